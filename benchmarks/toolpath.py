"""Drawing-order benchmark: `best` against `greedy` and `vpype linesort --two-opt`, with proven lower bounds.

Every (instance, method) pair runs in its own fresh Python process, so its seconds and peak memory (that process's
maximum resident set, including the interpreter and libraries) are clean; seconds leave out imports and, for this
project's methods, a warm-up call on 20 strokes (numba's one-time start); lower bounds run in separate processes
too and are not counted in any method's time. Travel is the pen-up distance from the origin (0, 0) through every
segment and back (TSPLIB: from the first city), always measured by ``batik_studio.toolpath.model.travel_mm`` on
the order each method returns. vpype's ``linesort --two-opt`` runs through its Python API on the same polylines.

Instances: the Megamendung 5x5 grid (SVG), a real pen-plotter G-code (``dexarm_walle.gcode``), the Megamendung
motif unit tiled 23x23 (10,051 segments) and 73x73 (101,251 segments) on the cloth's repeat lattice, and the
TSPLIB files (cities as zero-length segments). ``--reloop`` rows show how much further travel drops when closed
loops may be entered at any vertex.

End-to-end rows (``batik e2e``) time what a user times: the whole ``vpype read F linesort --two-opt write ...``
process against the whole ``batik toolpath optimize F -o ... --report ...`` process (start, imports, reading,
ordering, the proven bound, writing), on the same SVG file (drawings that are not SVG files are written as one
first). batik's ``--time-limit`` is set so that its wall time matches vpype's: a first run with a 0.1 s limit
measures batik's fixed cost, the limit is vpype's wall time less that, and one correction follows if the wall
time still differs by more than 5%. ``--bound-time-limit`` is the same limit: the bound runs on the second core
while the search runs. vpype's travel in those rows is that of the file vpype wrote, read back as batik reads its
input (same origin and axes). Drawings written as SVG first are shifted onto the page (vpype drops what lies
outside it). ``random_lines_7000`` is generated (7,000 seeded random strokes, see :func:`random_lines`).
``--end-to-end-only`` runs only these rows, ``--only NAME`` only the named instances.

    PYTHONPATH=src python benchmarks/toolpath.py --data ../shared/toolpath
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "toolpath"

#: Proven optimal tour lengths of the TSPLIB instances (EUC_2D, nearest-integer edge lengths).
TSPLIB_OPTIMUM = {
    "pcb442": 50_778,
    "d493": 35_002,
    "rat575": 6_773,
    "pr1002": 259_045,
    "u1817": 57_201,
    "pcb3038": 137_694,
}

#: The drawings of the whole-process rows: the shared ones (not the 101,251-segment tiling) and a generated one.
END_TO_END = ["megamendung_grid_5x5", "dexarm_walle", "megamendung_23x23", "random_lines_7000"]

#: Segments per motif unit in megamendung_grid_5x5.svg, and units per row there.
UNIT_SEGMENTS = 19
GRID_COLUMNS = 5


def read_tsplib(path: Path) -> np.ndarray:
    """The city coordinates of a TSPLIB EUC_2D file."""
    points, inside = [], False
    for line in path.read_text().splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "NODE_COORD_SECTION":
            inside = True
        elif words[0] == "EOF":
            break
        elif inside:
            points.append((float(words[1]), float(words[2])))
    return np.array(points)


def tile_megamendung(grid, copies: int):
    """The motif unit of the 5x5 grid drawing repeated ``copies`` x ``copies`` times on the same lattice."""
    from batik_studio.toolpath.model import Drawing

    starts = grid.starts
    across = starts[UNIT_SEGMENTS] - starts[0]
    down = starts[UNIT_SEGMENTS * GRID_COLUMNS] - starts[0]
    unit = grid.paths[:UNIT_SEGMENTS]
    offsets = np.array([i * across + j * down for j in range(copies) for i in range(copies)])
    offsets -= offsets.min(axis=0)
    return Drawing(tuple(path + offset for offset in offsets for path in unit))


def random_lines(count: int, seed: int = 7):
    """``count`` straight strokes 2-20 mm long at random places and angles on a 300 x 200 mm page (seeded).

    A drawing of another shape than the shared ones, like vpype's ``7k_lines.svg``: no motif, no clusters.
    """
    from batik_studio.toolpath.model import Drawing

    rng = np.random.default_rng(seed)
    starts = rng.uniform((10.0, 10.0), (290.0, 190.0), (count, 2))
    angles = rng.uniform(0.0, 2 * np.pi, count)
    lengths = rng.uniform(2.0, 20.0, count)
    ends = starts + lengths[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    return Drawing(tuple(np.stack([a, b]) for a, b in zip(starts, ends, strict=True)))


def load(instance: str, data: Path):
    """The drawing of a benchmark instance (TSPLIB: cities as dots, origin at the first city)."""
    from batik_studio.toolpath.io import Placement, read_drawing
    from batik_studio.toolpath.model import Drawing

    if instance.startswith("random_lines_"):
        return random_lines(int(instance.rsplit("_", 1)[1]))
    if instance in TSPLIB_OPTIMUM:
        cities = read_tsplib(data / "tsplib" / f"{instance}.tsp")
        return Drawing(tuple(city[None, :] for city in cities), origin=tuple(cities[0]))
    if instance == "dexarm_walle":
        return read_drawing(data / "gcode" / "dexarm_walle.gcode").drawing
    grid = read_drawing(data / "batik" / "megamendung_grid_5x5.svg", placement=Placement(y_down=True)).drawing
    if instance == "megamendung_grid_5x5":
        return grid
    copies = int(instance.rsplit("_", 1)[1].split("x")[0])
    return tile_megamendung(grid, copies)


def run_vpype(drawing):
    """vpype's ``linesort --two-opt`` on the drawing's polylines, mapped back to an Order."""
    import vpype
    import vpype_cli.operations

    from batik_studio.toolpath.model import Order

    linesort = inspect.unwrap(vpype_cli.operations.linesort.callback)
    lines = vpype.LineCollection([path[:, 0] + 1j * path[:, 1] for path in drawing.paths])
    started = time.perf_counter()
    result = linesort(lines, no_flip=False, two_opt=True, passes=250)
    seconds = time.perf_counter() - started
    by_ends: dict[tuple, list[tuple[int, bool]]] = {}
    for i, path in enumerate(drawing.paths):
        by_ends.setdefault((*path[0], *path[-1]), []).append((i, False))
        by_ends.setdefault((*path[-1], *path[0]), []).append((i, True))
    used = np.zeros(len(drawing), dtype=bool)
    sequence, flipped = [], np.zeros(len(drawing), dtype=bool)
    for line in result:
        for i, backwards in by_ends[(line[0].real, line[0].imag, line[-1].real, line[-1].imag)]:
            if not used[i]:
                used[i] = True
                sequence.append(i)
                flipped[i] = backwards and not drawing.closed[i]
                break
    if len(sequence) != len(drawing):
        raise RuntimeError(f"vpype returned {len(sequence)} of {len(drawing)} segments")
    return Order(np.array(sequence), flipped), seconds


def run_greedy_two_opt(drawing):
    """Greedy start then plain 2-opt on neighbour lists (the classic plotter recipe, in linear memory)."""
    from batik_studio.toolpath.segment_graph import build_graph, order_from_tour, tour_from_order
    from batik_studio.toolpath.solvers import SolveOptions
    from batik_studio.toolpath.solvers.greedy import GreedySolver
    from batik_studio.toolpath.solvers.local_search import improve_tour

    started = time.perf_counter()
    graph = build_graph(drawing)
    start = GreedySolver().solve(drawing, SolveOptions())
    tour = improve_tour(graph, tour_from_order(graph, start), max_chain=0, depth=1)
    return order_from_tour(graph, tour), time.perf_counter() - started


def child(spec: dict) -> dict:
    """One measurement in this (fresh) process: solve or bound, then report figures as JSON."""
    from batik_studio.toolpath.bounds import lower_bound
    from batik_studio.toolpath.model import Drawing, travel_mm
    from batik_studio.toolpath.solvers import SolveOptions, optimize

    drawing = load(spec["instance"], Path(spec["data"]))
    reloop = spec.get("reloop", False)
    out = {"segments": len(drawing)}
    if spec["method"] == "bound":
        proven = lower_bound(drawing, reloop=reloop, time_limit_s=spec["bound_s"], upper_bound_mm=spec.get("upper"))
        out.update(bound_mm=proven.value_mm, bound_method=proven.method)
    else:
        if spec["method"] == "vpype":
            order, seconds = run_vpype(drawing)
        elif spec["method"] == "greedy+2opt":
            order, seconds = run_greedy_two_opt(drawing)
        else:
            # Warm up first: numba's one-time start in a fresh process (about 0.4 s) is left out, as vpype's imports
            # are.
            optimize(Drawing(drawing.paths[:20], origin=drawing.origin), spec["method"], SolveOptions(time_limit_s=0.1))
            options = SolveOptions(reloop=reloop, time_limit_s=spec.get("time_limit"), seed=spec.get("seed", 0))
            result = optimize(drawing, spec["method"], options)
            order, seconds = result.order, result.seconds
        order.check(drawing)
        out.update(travel_mm=travel_mm(drawing, order), seconds=seconds)
        if spec["instance"] in TSPLIB_OPTIMUM:
            cities = np.array([path[0] for path in drawing.paths])[order.sequence]
            out["tsplib_length"] = int(np.floor(np.hypot(*(cities - np.roll(cities, -1, axis=0)).T) + 0.5).sum())
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(spec: dict, timeout_s: float) -> dict:
    """Run ``child(spec)`` in a fresh interpreter; a run past ``timeout_s`` is reported as such."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout_s}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_svg(drawing, path: Path) -> Path:
    """The drawing's polylines as an SVG whose user units are millimetres (as the shared drawings' are)."""
    # Shifted onto the page (1 mm margin): vpype crops what lies outside it, and so would skip those strokes.
    points = np.concatenate(drawing.paths)
    shift = 1.0 - points.min(axis=0)
    drawing = type(drawing)(tuple(path + shift for path in drawing.paths))
    width, height = (points.max(axis=0) + shift + 1.0).tolist()
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.3f}mm" height="{height:.3f}mm" '
        f'viewBox="0 0 {width:.3f} {height:.3f}" fill="none" stroke="black" stroke-width="0.5">'
    ]
    for polyline in drawing.paths:
        if len(polyline) == 1:
            polyline = np.repeat(polyline, 2, axis=0)
        lines.append('<polyline points="' + " ".join(f"{x!r},{y!r}" for x, y in polyline.tolist()) + '"/>')
    lines.append("</svg>")
    path.write_text("\n".join(lines) + "\n")
    return path


def _wall(command: list[str], timeout_s: float) -> float:
    """Seconds the whole process ``command`` takes (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=True)
    return time.perf_counter() - started


def _file_travel_mm(svg: Path) -> tuple[float, int]:
    """Travel (mm) of the strokes of ``svg`` in file order, as batik reads it, and how many strokes it holds."""
    from batik_studio.toolpath.io import read_drawing
    from batik_studio.toolpath.model import Order, travel_mm

    drawing = read_drawing(svg).drawing.merged()
    return travel_mm(drawing, Order.identity(len(drawing))), len(drawing)


def end_to_end(svg: Path, work: Path, timeout_s: float) -> dict:
    """The whole vpype process and the whole batik process given the time limit that matches vpype's wall time.

    vpype's travel is that of the file vpype wrote, read back as batik reads the input (same origin and axes).
    """
    bin_dir = Path(sys.executable).parent
    vpype_s = _wall(
        [str(bin_dir / "vpype"), "read", str(svg), "linesort", "--two-opt", "write", str(work / "v.svg")], timeout_s
    )
    vpype_mm, vpype_strokes = _file_travel_mm(work / "v.svg")
    report = work / "report.json"

    def batik(limit: float) -> float:
        command = [str(bin_dir / "batik"), "toolpath", "optimize", str(svg), "-o", str(work / "b.gcode")]
        command += ["--report", str(report), "--time-limit", f"{limit:.3f}", "--bound-time-limit", f"{limit:.3f}"]
        return _wall(command, timeout_s)

    fixed_s = batik(0.1) - 0.1
    limit = max(0.1, vpype_s - fixed_s)
    wall_s = batik(limit)
    # A busy machine makes single runs noisy: up to three corrections towards vpype's wall time.
    for _ in range(3):
        if abs(wall_s - vpype_s) <= 0.05 * vpype_s or (limit <= 0.1 and wall_s > vpype_s):
            break
        limit = max(0.1, limit + (vpype_s - wall_s))
        wall_s = batik(limit)
    figures = json.loads(report.read_text())
    return {
        "segments": figures["segments"],
        "travel_mm": figures["travel_after_mm"],
        "bound_mm": figures["lower_bound_mm"],
        "bound_method": figures["details"].get("bound_method"),
        "winner": figures["details"].get("winner"),
        "seconds": wall_s,
        "vpype_seconds": vpype_s,
        "vpype_travel_mm": vpype_mm,
        "vpype_strokes": vpype_strokes,
        "time_limit_s": limit,
        "touching_strokes": figures["cleaning"]["input_touching_strokes"],
        "retraced_strokes": figures["cleaning"]["input_retraced_strokes"],
    }


def combine_seeds(runs: list[dict]) -> dict:
    """One row from runs that differ only in their seed: mean travel, slowest time, largest memory."""
    done = [run for run in runs if "travel_mm" in run]
    if len(done) < len(runs):
        return next(run for run in runs if "travel_mm" not in run)
    return {
        "segments": done[0]["segments"],
        "travel_mm": float(np.mean([run["travel_mm"] for run in done])),
        "seed_travel_mm": [run["travel_mm"] for run in done],
        "seconds": max(run["seconds"] for run in done),
        "peak_mb": max(run["peak_mb"] for run in done),
    }


def plan(skip_huge: bool) -> list[tuple[str, list[tuple[str, bool]]]]:
    """(instance, [(method, reloop), ...]) in table order."""
    drawings = ["megamendung_grid_5x5", "dexarm_walle", "megamendung_23x23"]
    if not skip_huge:
        drawings.append("megamendung_73x73")
    rows = []
    for name in drawings:
        methods = [("vpype", False), ("greedy", False)]
        if name == "megamendung_73x73":
            methods.append(("greedy+2opt", False))
        methods.append(("best", False))
        if name == "megamendung_23x23":
            methods.append(("best@vpype-time", False))
        if name.startswith("megamendung"):
            methods.append(("best", True))
        rows.append((name, methods))
    rows.extend((name, [("best", False)]) for name in TSPLIB_OPTIMUM)
    return rows


def end_to_end_row(instance: str, args: argparse.Namespace) -> dict | None:
    """Print and return the whole-process row of ``instance`` (see the module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        svg = args.data / "batik" / f"{instance}.svg"
        if not svg.is_file():
            svg = write_svg(load(instance, args.data), work / f"{instance}.svg")
        try:
            row = end_to_end(svg, work, args.timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            print(f"| {instance} | | batik e2e | | | | | | failed: {error} |", flush=True)
            return None
    gap = 100 * (row["travel_mm"] - row["bound_mm"]) / row["bound_mm"] if row["bound_mm"] else None
    notes = [f"whole process; vpype process {row['vpype_seconds']:.1f} s; --time-limit {row['time_limit_s']:.2f}"]
    notes.append(f"vpype {row['vpype_travel_mm']:,.0f} mm: {row['travel_mm'] / row['vpype_travel_mm']:.3f} x vpype's")
    if row["vpype_strokes"] != row["segments"]:
        notes.append(f"vpype wrote {row['vpype_strokes']:,} strokes")
    notes.append(f"bound: {row['bound_method']}; kept: {row['winner']}")
    retraced = "not counted" if row["retraced_strokes"] is None else f"{row['retraced_strokes']:,}"
    notes.append(f"touching {row['touching_strokes']:,}, retraced {retraced}")
    print(
        f"| {instance} | {row['segments']:,} | batik e2e | {row['travel_mm']:,.0f} | {row['bound_mm'] or 0:,.0f} | "
        f"{'' if gap is None else f'{gap:.1f}'} | {row['seconds']:.1f} | | {'; '.join(notes)} |",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared toolpath folder")
    parser.add_argument("--skip-huge", action="store_true", help="leave out the 101,251-segment tiling")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before a run is given up")
    parser.add_argument("--bound-seconds", type=float, default=60.0, help="time for each lower bound")
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the run given vpype's time")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--no-end-to-end", action="store_true", help="leave out the whole-process rows")
    parser.add_argument("--end-to-end-only", action="store_true", help="only the whole-process rows")
    parser.add_argument("--only", action="append", help="only this instance (may be given again)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if not args.data.is_dir():
        parser.error(f"{args.data}: not a folder; pass --data with the shared toolpath drawings")
    header = "| instance | segments | method | travel mm | lower bound mm | gap % | seconds | peak MB | note |"
    print(header)
    print("|" + "---|" * 9, flush=True)
    records = []
    if args.end_to_end_only:
        for instance in END_TO_END if not args.only else args.only:
            records.append({"instance": instance, "end_to_end": end_to_end_row(instance, args)})
        if args.json:
            args.json.write_text(json.dumps(records, indent=2) + "\n")
        return
    for instance, methods in plan(args.skip_huge):
        if args.only and instance not in args.only:
            continue
        results = {}
        for method, reloop in methods:
            spec = {"instance": instance, "method": method, "reloop": reloop, "data": str(args.data)}
            if method == "best@vpype-time":
                # The same solver given exactly the time vpype took on this instance, over several seeds: a search
                # cut short varies with its seed, so one seed alone says little about a 0.1 % margin.
                spec.update(method="best", time_limit=results.get(("vpype", False), {}).get("seconds", 10.0))
                runs = [measure({**spec, "seed": seed}, args.timeout) for seed in range(args.seeds)]
                results[(method, reloop)] = combine_seeds(runs)
                continue
            results[(method, reloop)] = measure(spec, args.timeout)
        bounds = {}
        for reloop in sorted({r for _, r in methods}):
            upper = min(
                (v["travel_mm"] for (m, r), v in results.items() if r == reloop and "travel_mm" in v), default=None
            )
            spec = {"instance": instance, "method": "bound", "reloop": reloop, "data": str(args.data)}
            spec.update(bound_s=args.bound_seconds, upper=upper)
            bounds[reloop] = measure(spec, args.timeout)
        vpype_mm = results.get(("vpype", False), {}).get("travel_mm")
        plain_mm = results.get(("best", False), {}).get("travel_mm")
        for (method, reloop), figures in results.items():
            label = method + (" --reloop" if reloop else "")
            bound = bounds[reloop].get("bound_mm")
            if "travel_mm" not in figures:
                status = f"did not finish in {figures['timeout']:.0f} s" if "timeout" in figures else figures["error"]
                print(f"| {instance} | | {label} | | | | | | {status} |", flush=True)
                continue
            travel = figures["travel_mm"]
            gap = f"{100 * (travel - bound) / bound:.1f}" if bound else ""
            notes = []
            if instance in TSPLIB_OPTIMUM:
                optimum = TSPLIB_OPTIMUM[instance]
                length = figures["tsplib_length"]
                notes.append(f"TSPLIB {length:,} = optimum +{100 * (length - optimum) / optimum:.2f}%")
            if vpype_mm and method != "vpype":
                notes.append(f"{100 * (travel - vpype_mm) / vpype_mm:+.1f}% vs vpype")
            if reloop and plain_mm:
                notes.append(f"{100 * (travel - plain_mm) / plain_mm:+.1f}% vs best")
            if "seed_travel_mm" in figures:
                seeds = figures["seed_travel_mm"]
                spread = f"{min(seeds):,.0f}-{max(seeds):,.0f}"
                notes.append(f"mean of {len(seeds)} seeds, {spread} (seed 0: {seeds[0]:,.0f})")
            if method.startswith("best"):
                notes.append(f"bound: {bounds[reloop].get('bound_method', '?')}")
            print(
                f"| {instance} | {figures['segments']:,} | {label} | {travel:,.0f} | "
                f"{bound:,.0f} | {gap} | {figures['seconds']:.1f} | {figures['peak_mb']:,.0f} | {'; '.join(notes)} |"
                if bound
                else f"| {instance} | {figures['segments']:,} | {label} | {travel:,.0f} | | | "
                f"{figures['seconds']:.1f} | {figures['peak_mb']:,.0f} | {'; '.join(notes)} |",
                flush=True,
            )
        whole = None
        if not args.no_end_to_end and instance not in TSPLIB_OPTIMUM:
            whole = end_to_end_row(instance, args)
        records.append(
            {
                "instance": instance,
                "results": {f"{m}{'+reloop' if r else ''}": v for (m, r), v in results.items()},
                "bounds": {str(r): v for r, v in bounds.items()},
                "end_to_end": whole,
            }
        )
    if args.json:
        args.json.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
