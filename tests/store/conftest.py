"""Fixtures for the history store: a prediction stand-in and small generated photos."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image


@dataclass(frozen=True)
class FakePrediction:
    """The fields the store reads from a prediction."""

    label: str = "Kawung"
    confidence: float = 0.9
    top_k: tuple = (("Kawung", 0.9), ("Parang", 0.06), ("Truntum", 0.04))
    unknown: bool = False
    milliseconds: float = 12.5


def make_photo(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> tuple[bytes, Image.Image]:
    """A small JPEG of one colour: its bytes and the decoded image."""
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue(), image


@pytest.fixture
def store(tmp_path):
    """A store on a fresh SQLite file."""
    from batik_studio.store import HistoryStore

    store = HistoryStore(f"sqlite:///{tmp_path / 'db' / 'history.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def save_photo():
    """Save a generated photo to a store: ``save_photo(store, colour=..., name=..., prediction=...)``."""

    def save(store, colour=(200, 10, 10), name="cloth.jpg", prediction=None, created_at=None):
        data, image = make_photo(colour)
        return store.save(
            data=data,
            image=image,
            file_name=name,
            prediction=prediction or FakePrediction(),
            model="test-model",
            created_at=created_at,
        )

    return save


@pytest.fixture
def fake_prediction():
    """The prediction stand-in class."""
    return FakePrediction
