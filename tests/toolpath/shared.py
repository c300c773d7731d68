"""Where the test drawings live: small fixtures in tests/data, and the optional real drawings."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def find_shared_toolpath() -> Path | None:
    """The real drawings: ``$BATIK_TOOLPATH_DATA``, else a ``shared/toolpath`` folder beside the repository."""
    if "BATIK_TOOLPATH_DATA" in os.environ:
        folder = Path(os.environ["BATIK_TOOLPATH_DATA"])
        return folder if folder.is_dir() else None
    for parent in REPO.parents:
        folder = parent / "shared" / "toolpath"
        if folder.is_dir():
            return folder
    return None


SHARED_TOOLPATH = find_shared_toolpath()


def shared_files(*folders: str, suffix: str) -> list[Path]:
    """Every file with ``suffix`` in the shared folders (empty when the shared data is absent)."""
    if SHARED_TOOLPATH is None:
        return []
    return sorted(p for folder in folders for p in (SHARED_TOOLPATH / folder).glob(f"*{suffix}"))


def require_shared(name: str) -> Path:
    """The shared file ``name`` (relative to the toolpath data folder), or skip the test saying why."""
    if SHARED_TOOLPATH is None or not (SHARED_TOOLPATH / name).is_file():
        pytest.skip(f"real drawing {name} not found (set BATIK_TOOLPATH_DATA to the toolpath data folder)")
    return SHARED_TOOLPATH / name
