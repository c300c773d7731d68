"""The ``batik`` command: thin adapters that parse arguments, call the library and print."""

from __future__ import annotations

import enum
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from batik_studio import __version__
from batik_studio.errors import BatikError

if TYPE_CHECKING:
    from batik_studio.toolpath.io import Document

app = typer.Typer(
    help="Batik Studio: recognise batik motifs from photos and optimise CNC batik-tulis drawing order.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
toolpath_app = typer.Typer(
    help="Re-order the strokes of a CNC drawing (G-code or SVG) so the pen travels less.",
    no_args_is_help=True,
)
app.add_typer(toolpath_app, name="toolpath")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"batik-studio {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Batik Studio command line."""


@app.command("app")
def app_command(
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve the web app on."),
    host: str = typer.Option("localhost", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
) -> None:
    """Start the web app (Streamlit); a browser opens only where there is a display."""
    from batik_studio.app.launch import has_display, serve

    typer.echo(f"Batik Studio web app: http://{host}:{port}  (Ctrl+C stops it)")
    serve(port=port, host=host, headless=not has_display())


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the project's own errors into one line on stderr and exit status 1 (no traceback)."""
    try:
        yield
    except BatikError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _write_text_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _method_choices() -> type[enum.Enum]:
    """The ``--method`` choices: every key of the solver registry."""
    from batik_studio.toolpath.solvers import SOLVERS

    return enum.Enum("Method", {name: name for name in sorted(SOLVERS)}, type=str)


Method = _method_choices()


_PEN_Z_HELP = "G-code: the pen is down while Z is below this (mm)."
_PEN_DOWN_HELP = (
    "G-code input: the command that lowers the pen (e.g. M3; then Z is ignored). SVG input: the pen-down line to write."
)
_PEN_UP_HELP = "G-code input: the command that lifts the pen (e.g. M5). SVG input: the pen-up line to write."


def _read(
    input_path: Path, pen_z_threshold: float, pen_down: str | None, pen_up: str | None, tolerance_mm: float
) -> Document:
    """Read a drawing with the CLI's pen options (pen commands only matter for G-code input)."""
    from batik_studio.toolpath.io import PenSettings, read_drawing

    pen = PenSettings(z_threshold_mm=pen_z_threshold, down_command=pen_down, up_command=pen_up)
    return read_drawing(input_path, pen=pen, tolerance_mm=tolerance_mm)


def _paper_default(method: str, name: str) -> object:
    """A GA parameter's default, read from its solver so the help text cannot disagree with it."""
    import inspect

    from batik_studio.toolpath.solvers import SOLVERS

    return inspect.signature(SOLVERS[method]).parameters[name].default


_BOTH = "msga and kmeans-msga only"
_KMEANS = "kmeans-msga only"


def _ga_option(flag: str, method: str, what: str, scope: str) -> typer.models.OptionInfo:
    """A method parameter's option, its help quoting the solver's default (the paper's value)."""
    name = flag.removeprefix("--").replace("-", "_")
    return typer.Option(flag, help=f"{what} (default {_paper_default(method, name)}; {scope}).")


Population = Annotated[int | None, _ga_option("--population", "msga", "GA population size", _BOTH)]
MutationRate = Annotated[
    float | None, _ga_option("--mutation-rate", "msga", "Share of the population mutated each iteration", _BOTH)
]
CrossoverRate = Annotated[
    float | None, _ga_option("--crossover-rate", "msga", "Share of the population crossed each iteration", _BOTH)
]
Iterations = Annotated[int | None, _ga_option("--iterations", "msga", "MS-GA iterations", "msga only")]
Clusters = Annotated[int | None, _ga_option("--clusters", "kmeans-msga", "K-means clusters", _KMEANS)]
KmeansIterations = Annotated[
    int | None, _ga_option("--kmeans-iterations", "kmeans-msga", "K-means iterations", _KMEANS)
]
ClusterIterations = Annotated[
    int | None,
    _ga_option("--cluster-iterations", "kmeans-msga", "Iterations of the GA over the cluster order", _KMEANS),
]
IntraIterations = Annotated[
    int | None, _ga_option("--intra-iterations", "kmeans-msga", "MS-GA iterations inside each cluster", _KMEANS)
]
Scheme = Annotated[
    str | None,
    _ga_option(
        "--scheme",
        "msga",
        "What the rates mean: 'counts' (offspring per iteration) or 'probabilities' (per pair, per child)",
        _BOTH,
    ),
]
Selection = Annotated[
    str | None,
    _ga_option("--selection", "msga", "Survivors: 'elitist' (best of parents and offspring) or 'offspring'", _BOTH),
]
Initial = Annotated[
    str | None,
    _ga_option("--initial", "msga", "Initial population: 'random', or 'file' to include the order as read", _BOTH),
]
SegmentPoint = Annotated[
    str | None,
    _ga_option(
        "--segment-point",
        "kmeans-msga",
        "What K-means clusters: 'ends' (midpoint of a segment's ends) or 'centroid' (mean of its vertices)",
        _KMEANS,
    ),
]
KeepInput = Annotated[
    bool | None,
    typer.Option(
        "--keep-input/--no-keep-input",
        help="Return the order as read when it travels less than the GA's best, so the result is never worse "
        f"(default on; {_BOTH}). Off: the GA's own result, as the paper reports it.",
    ),
]


def _solver_params(methods: list[str], given: dict[str, object]) -> dict[str, object]:
    """The method parameters given on the command line; refuse one that none of ``methods`` takes."""
    from batik_studio.toolpath.experiment import accepted
    from batik_studio.toolpath.solvers import SOLVERS

    params = {name: value for name, value in given.items() if value is not None}
    for name in params:
        if not any(name in accepted(method) for method in methods):
            users = ", ".join(m for m in sorted(SOLVERS) if name in accepted(m))
            flag = "--" + name.replace("_", "-")
            raise BatikError(f"{flag} applies to {users} only, not to {', '.join(methods)}")
    return params


@toolpath_app.command("stats")
def toolpath_stats(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code or SVG drawing.")],
    no_return: Annotated[bool, typer.Option("--no-return", help="Do not count the travel back to the origin.")] = False,
    draw_feed: Annotated[float, typer.Option("--draw-feed", help="Drawing feed for machining time (mm/min).")] = 500.0,
    rapid_feed: Annotated[float, typer.Option("--rapid-feed", help="Travel feed for machining time (mm/min).")] = 500.0,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: Annotated[
        float, typer.Option("--tolerance-mm", help="Flattening tolerance for arcs and curves (mm).")
    ] = 0.05,
) -> None:
    """Segments, closed loops, TS, TC, TL and machining time of a drawing as it is."""
    from batik_studio.toolpath.model import measure
    from batik_studio.toolpath.report import metrics_lines

    with _user_errors():
        if draw_feed <= 0 or rapid_feed <= 0:
            raise BatikError("feeds must be positive (mm/min)")
        document = _read(input_path, pen_z_threshold, pen_down, pen_up, tolerance_mm)
        metrics = measure(
            document.drawing,
            return_to_origin=not no_return,
            draw_feed_mm_min=draw_feed,
            rapid_feed_mm_min=rapid_feed,
        )
    typer.echo(f"{input_path} ({document.kind})")
    for line in metrics_lines(metrics):
        typer.echo(line)


@toolpath_app.command("optimize")
def toolpath_optimize(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code or SVG drawing.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the re-ordered G-code.")],
    method: Annotated[Method, typer.Option("--method", "-m", help="Ordering method.")] = "best",
    report: Annotated[Path | None, typer.Option("--report", help="Also write the figures as JSON here.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the route before and after as PNG here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for randomised methods.")] = 0,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Stop searching after this many seconds (default: set by the method)."),
    ] = None,
    bound_time_limit: Annotated[
        float, typer.Option("--bound-time-limit", help="Seconds at most for proving the lower bound on travel.")
    ] = 60.0,
    no_return: Annotated[
        bool, typer.Option("--no-return", help="The job ends at the last stroke, not at the origin.")
    ] = False,
    reloop: Annotated[
        bool, typer.Option("--reloop", help="Closed loops may be started at any of their vertices.")
    ] = False,
    draw_feed: Annotated[
        float, typer.Option("--draw-feed", help="Drawing feed (mm/min): SVG output and timings.")
    ] = 500.0,
    rapid_feed: Annotated[float, typer.Option("--rapid-feed", help="Travel feed for machining time (mm/min).")] = 500.0,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: Annotated[
        float, typer.Option("--tolerance-mm", help="Flattening tolerance for arcs and curves (mm).")
    ] = 0.05,
    population: Population = None,
    mutation_rate: MutationRate = None,
    crossover_rate: CrossoverRate = None,
    iterations: Iterations = None,
    clusters: Clusters = None,
    kmeans_iterations: KmeansIterations = None,
    cluster_iterations: ClusterIterations = None,
    intra_iterations: IntraIterations = None,
    scheme: Scheme = None,
    selection: Selection = None,
    initial: Initial = None,
    segment_point: SegmentPoint = None,
    keep_input: KeepInput = None,
) -> None:
    """Re-order the strokes of INPUT to cut pen-up travel and write them as G-code."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from batik_studio.toolpath.io import GcodeSettings, write_gcode
    from batik_studio.toolpath.model import Order
    from batik_studio.toolpath.report import plot_route, report_lines, result_report
    from batik_studio.toolpath.solvers import SolveOptions, optimize

    with _user_errors():
        if output.resolve() == input_path.resolve():
            raise BatikError(f"{output}: the output would overwrite the input; choose another file")
        for target in (output, report, plot):
            if target is not None and not target.resolve().parent.is_dir():
                raise BatikError(f"{target}: folder {target.resolve().parent} does not exist; create it first")
        if draw_feed <= 0 or rapid_feed <= 0 or (time_limit is not None and time_limit <= 0) or bound_time_limit <= 0:
            raise BatikError("feeds and the time limits must be positive")
        document = _read(input_path, pen_z_threshold, pen_down, pen_up, tolerance_mm)
        svg_pens = document.kind == "svg"
        settings = GcodeSettings(
            pen_up=pen_up if svg_pens else None,
            pen_down=pen_down if svg_pens else None,
            draw_feed_mm_min=draw_feed,
            return_to_origin=not no_return,
        )
        options = SolveOptions(return_to_origin=not no_return, reloop=reloop, time_limit_s=time_limit, seed=seed)
        name = Method(method).value
        params = _solver_params(
            [name],
            {
                "population": population,
                "mutation_rate": mutation_rate,
                "crossover_rate": crossover_rate,
                "iterations": iterations,
                "clusters": clusters,
                "kmeans_iterations": kmeans_iterations,
                "cluster_iterations": cluster_iterations,
                "intra_iterations": intra_iterations,
                "scheme": scheme,
                "selection": selection,
                "initial": initial,
                "segment_point": segment_point,
                "keep_input": keep_input,
            },
        )
        console = Console(stderr=True)
        columns = (TextColumn(name), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task(name, total=1.0)
            result = optimize(
                document.drawing,
                name,
                options,
                progress=lambda done: bar.update(task, completed=done),
                draw_feed_mm_min=draw_feed,
                rapid_feed_mm_min=rapid_feed,
                bound=True,
                bound_time_limit_s=bound_time_limit,
                **params,
            )
        write_gcode(document, result.order, output, settings=settings)
        figures = result_report(result, document)
        if report is not None:
            _write_text_atomically(report, json.dumps(figures, indent=2) + "\n")
        if plot is not None:
            before = Order.identity(len(document.drawing))
            plot_route(document.drawing, before, result.order, plot, return_to_origin=not no_return)
    typer.echo(f"{input_path} ({document.kind}) -> {output}")
    for line in report_lines(figures):
        typer.echo(line)


@toolpath_app.command("experiment")
def toolpath_experiment(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code or SVG drawing.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, report.json and the figures.")],
    methods: Annotated[
        str, typer.Option("--methods", help="Comma-separated methods; the first is compared with each other.")
    ] = "kmeans-msga,msga",
    replications: Annotated[int, typer.Option("--replications", help="Runs per method (seeds seed..).")] = 30,
    at_seconds: Annotated[
        float | None,
        typer.Option(
            "--at-seconds",
            help="Compare the best travel reached by this time (default: the slowest run of the first method).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local processes running replications.")] = 1,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run replications as Ray tasks: a cluster address, 'auto' or 'local'."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first replication.")] = 0,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds per run at most.")] = None,
    no_return: Annotated[
        bool, typer.Option("--no-return", help="The job ends at the last stroke, not at the origin.")
    ] = False,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: Annotated[
        float, typer.Option("--tolerance-mm", help="Flattening tolerance for arcs and curves (mm).")
    ] = 0.05,
    population: Population = None,
    mutation_rate: MutationRate = None,
    crossover_rate: CrossoverRate = None,
    iterations: Iterations = None,
    clusters: Clusters = None,
    kmeans_iterations: KmeansIterations = None,
    cluster_iterations: ClusterIterations = None,
    intra_iterations: IntraIterations = None,
    scheme: Scheme = None,
    selection: Selection = None,
    initial: Initial = None,
    segment_point: SegmentPoint = None,
    keep_input: KeepInput = None,
) -> None:
    """Run each method many times on INPUT; write the paper's tables, convergence plots and tests to --out."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from batik_studio.toolpath.experiment import ExperimentSettings, experiment

    with _user_errors():
        names = [name.strip() for name in methods.split(",") if name.strip()]
        params = _solver_params(
            names,
            {
                "population": population,
                "mutation_rate": mutation_rate,
                "crossover_rate": crossover_rate,
                "iterations": iterations,
                "clusters": clusters,
                "kmeans_iterations": kmeans_iterations,
                "cluster_iterations": cluster_iterations,
                "intra_iterations": intra_iterations,
                "scheme": scheme,
                "selection": selection,
                "initial": initial,
                "segment_point": segment_point,
                "keep_input": keep_input,
            },
        )
        if time_limit is not None and time_limit <= 0:
            raise BatikError(f"--time-limit must be positive, got {time_limit}")
        settings = ExperimentSettings(
            tuple(names), replications, seed, not no_return, time_limit_s=time_limit, params=params
        )
        document = _read(input_path, pen_z_threshold, pen_down, pen_up, tolerance_mm)
        console = Console(stderr=True)
        columns = (TextColumn("replications"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("runs", total=len(names) * replications)
            summary = experiment(
                document.drawing,
                settings,
                out,
                source=str(input_path),
                at_seconds=at_seconds,
                workers=workers,
                ray_address=ray,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    for method, figures in summary["methods"].items():
        travel, seconds = figures["travel_mm"], figures["seconds"]
        typer.echo(
            f"{method}: travel min {travel['min']:,.0f} / mean {travel['mean']:,.0f} mm "
            f"({-figures['reduction_pct']['travel_mean']:+.1f} % against the file order on average), "
            f"mean {seconds['mean']:.2f} s per run"
        )
    typer.echo(f"report: {out / 'report.md'}")


if __name__ == "__main__":
    app()
