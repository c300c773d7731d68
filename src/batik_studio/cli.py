"""The ``batik`` command: thin adapters that parse arguments, call the library and print."""

from __future__ import annotations

import os

import typer

from batik_studio import __version__

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
    from batik_studio.app.launch import has_display, streamlit_argv

    argv = streamlit_argv(port=port, host=host, headless=not has_display())
    typer.echo(f"Batik Studio web app: http://{host}:{port}  (Ctrl+C stops it)")
    os.execv(argv[0], argv)


if __name__ == "__main__":
    app()
