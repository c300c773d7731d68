"""Greedy ordering: our k-d tree nearest neighbour against vpype's ``linesort`` (its greedy), plus reading time.

Usage::

    python benchmarks/toolpath_greedy.py [DRAWING ...] [--sizes 1000 10000 100000]

Random instances are short random segments in a square (seeded); each DRAWING (G-code or SVG) is read and
ordered too. Travel is the paper's TC from the origin and back, for both methods. Prints one table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from batik_studio.toolpath.io import read_drawing
from batik_studio.toolpath.model import Drawing
from batik_studio.toolpath.solvers import optimize


def random_drawing(n: int, seed: int = 0) -> Drawing:
    """``n`` random segments of 2 to 5 points, each a few millimetres long, in a square of side sqrt(n) * 10 mm."""
    rng = np.random.default_rng(seed)
    side = np.sqrt(n) * 10.0
    starts = rng.random((n, 2)) * side
    sizes = rng.integers(2, 6, size=n)
    steps = (rng.normal(0, 2, (k, 2)) for k in sizes)
    return Drawing(tuple(s + np.cumsum(step, axis=0) for s, step in zip(starts, steps, strict=True)))


def vpype_linesort(drawing: Drawing) -> tuple[float | None, float | None]:
    """Travel (mm, from the origin and back) and seconds of ``vpype linesort``, or Nones without vpype."""
    try:
        import vpype as vp
        import vpype_cli
    except ImportError:
        return None, None
    document = vp.Document(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in drawing.paths]))
    started = time.perf_counter()
    result = vpype_cli.execute("linesort", document)
    seconds = time.perf_counter() - started
    lines = list(result.layers[1])
    origin = complex(*drawing.origin)
    travel = abs(lines[0][0] - origin) + abs(lines[-1][-1] - origin)
    travel += float(sum(abs(b[0] - a[-1]) for a, b in zip(lines, lines[1:], strict=False)))
    return travel, seconds


def row(name: str, drawing: Drawing, read_seconds: float | None) -> str:
    result = optimize(drawing, "greedy")
    theirs, their_seconds = vpype_linesort(drawing)
    cells = [
        name,
        f"{len(drawing):,}",
        "-" if read_seconds is None else f"{read_seconds:.2f}",
        f"{result.before.travel_mm:,.0f}",
        f"{result.after.travel_mm:,.0f}",
        f"{result.seconds:.2f}",
        "n/a" if theirs is None else f"{theirs:,.0f}",
        "n/a" if their_seconds is None else f"{their_seconds:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drawings", nargs="*", type=Path, help="G-code or SVG files to order as well")
    parser.add_argument("--sizes", nargs="*", type=int, default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    print(
        "| instance | segments | read s | file-order TC mm | greedy TC mm | greedy s | vpype linesort TC mm | vpype s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        print(row(f"random-{n}", random_drawing(n), None), flush=True)
    for path in args.drawings:
        started = time.perf_counter()
        document = read_drawing(path)
        print(row(path.name, document.drawing, time.perf_counter() - started), flush=True)


if __name__ == "__main__":
    main()
