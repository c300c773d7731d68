"""Fixtures for every test: the shared data folder beside the repository (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SHARED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` relative to the repository, or skip the test saying it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (it sits beside the repository and is not shipped with it)")
    return SHARED
