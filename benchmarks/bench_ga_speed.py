"""Seconds per run of the paper's two GA methods here, beside the paper's own Python (Tables 2-3).

Usage: python benchmarks/bench_ga_speed.py DRAWING [RUNS]   (e.g. megamendung_grid_5x5.svg, 475 segments)

The paper ran 466 segments on an Intel i7-11370H; its times are the means of 30 runs with its Table 1 parameters.
Prints one table: method, segments, iterations, mean seconds here, the paper's mean seconds, speed-up.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

from batik_studio.toolpath.io import read_drawing
from batik_studio.toolpath.model import Drawing
from batik_studio.toolpath.solvers import SolveOptions, optimize

PAPER_SECONDS = {"kmeans-msga": 372.84, "msga": 4923.34}
ITERATIONS = {"kmeans-msga": "100 + 200 + 20 x 500", "msga": "10,000"}


def main(path: Path, runs: int) -> None:
    drawing = read_drawing(path).drawing
    tiny = Drawing(tuple(np.array([[i, 0.0], [i, 1.0]]) for i in range(4)))
    print(f"{path.name}: {len(drawing)} segments; {platform.processor() or platform.machine()}; {runs} runs each")
    print("| method | segments | iterations | seconds here (mean) | paper seconds (466 segments) | speed-up |")
    print("|---|---|---|---|---|---|")
    for method, paper in PAPER_SECONDS.items():
        optimize(tiny, method)
        seconds = [optimize(drawing, method, SolveOptions(seed=seed)).seconds for seed in range(runs)]
        mean = float(np.mean(seconds))
        print(
            f"| {method} | {len(drawing)} | {ITERATIONS[method]} | {mean:.2f} | {paper:,.0f} | {paper / mean:,.0f}x |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
