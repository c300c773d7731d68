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
    method: Annotated[Method, typer.Option("--method", "-m", help="Ordering method.")] = "greedy",
    report: Annotated[Path | None, typer.Option("--report", help="Also write the figures as JSON here.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the route before and after as PNG here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for randomised methods.")] = 0,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Stop searching after this many seconds.")
    ] = None,
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
        if draw_feed <= 0 or rapid_feed <= 0 or (time_limit is not None and time_limit <= 0):
            raise BatikError("feeds and the time limit must be positive")
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


if __name__ == "__main__":
    app()
