"""How ``batik app`` starts Streamlit: the command line, and whether a browser may be opened."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from batik_studio.app.service import MAX_UPLOAD_MB

#: The router script Streamlit runs.
ENTRY_FILE = Path(__file__).with_name("main.py")


def has_display() -> bool:
    """True where a browser window can be opened (macOS, Windows, or a Linux desktop session)."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def streamlit_argv(*, port: int, host: str, headless: bool) -> list[str]:
    """The command that serves the app on ``host:port`` (headless: no browser is opened)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
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


__all__ = ["ENTRY_FILE", "has_display", "streamlit_argv"]
