"""Fixtures for the vision tests: a tiny synthetic dataset of generated patterns, and the real data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import shared_path

from .synthetic import make_dataset

REPO = Path(__file__).resolve().parents[2]
# The real data sits in the ``shared`` folder beside the repository.
SHARED = shared_path()


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A split dataset of 3 generated pattern classes (10 train, 4 val, 5 test photos each)."""
    return make_dataset(tmp_path_factory.mktemp("tiny"), {"train": 10, "val": 4, "test": 5})


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real photo datasets next to the repository, or skip."""
    path = SHARED / "datasets"
    if not (path / "batik7" / "test").is_dir():
        pytest.skip(f"real datasets not found at {path} (they are not shipped with the repository)")
    return path
