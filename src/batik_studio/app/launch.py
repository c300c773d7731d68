"""How ``batik app`` starts Streamlit: its arguments, whether a browser may be opened, and the warm-up.

The server runs in this process (Streamlit's own command-line entry point), so the model, catalogue and history
store can be loaded into the app's resource cache on a background thread while the server starts: the first
photo a user uploads is then answered without waiting for the model.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from batik_studio.app.service import MAX_UPLOAD_MB
from batik_studio.errors import BatikError

#: The router script Streamlit runs.
ENTRY_FILE = Path(__file__).with_name("main.py")


def has_display() -> bool:
    """True where a browser window can be opened (macOS, Windows, or a Linux desktop session)."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def streamlit_args(*, port: int, host: str, headless: bool) -> list[str]:
    """The ``streamlit`` arguments that serve the app on ``host:port`` (headless: no browser is opened)."""
    return [
        "run",
        str(ENTRY_FILE),
        f"--server.port={port}",
        f"--server.address={host}",
        f"--server.headless={str(headless).lower()}",
        f"--server.maxUploadSize={MAX_UPLOAD_MB}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
    ]


def warm_up() -> None:
    """Fill the app's resource cache (catalogue, history store, model) before the first visitor needs them.

    A model or database that cannot be loaded is left for the page to report, where the user sees it.
    """
    from batik_studio.app import resources

    resources.catalog()
    try:
        resources.store()
        resources.predictor()
    except BatikError:
        return


def serve(*, port: int, host: str, headless: bool) -> None:
    """Serve the app until interrupted, warming the resource cache on a background thread."""
    from streamlit.web import cli as streamlit_cli

    threading.Thread(target=warm_up, name="batik-warm-up", daemon=True).start()
    streamlit_cli.main(args=streamlit_args(port=port, host=host, headless=headless), prog_name="streamlit")


__all__ = ["ENTRY_FILE", "has_display", "serve", "streamlit_args", "warm_up"]
