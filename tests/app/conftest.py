"""Fixtures for the web app: a temporary history database, photos made on the fly, and a predictor.

The pages get their predictor from ``batik_studio.app.resources``; tests that do not need the shipped model inject
a small deterministic predictor there (``resources.use_predictor``), so they stay fast and exact.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.app import resources
from batik_studio.app.launch import ENTRY_FILE
from tests.helpers import shared_path

LABELS = ["Insang", "Kawung", "Mega Mendung", "Parang", "Sidoluhur", "Truntum", "Tumpal"]
REPO = Path(__file__).resolve().parents[2]
BATIK7_TEST = shared_path("datasets", "batik7", "test")


class ColourPredictor:
    """Names a motif from the photo's dominant channel: red -> Kawung, blue -> Mega Mendung, grey -> unknown."""

    labels = LABELS
    card = {
        "name": "colour-rule test predictor",
        "evaluations": {
            "batik7-test": {"n": 7, "accuracy": 0.5, "unknown": {"/data/not-batik": {"n": 10, "rejected": 0.8}}}
        },
        "known_limits": ["Knows only three colours."],
    }

    def predict(self, image, top_k=3):
        from batik_studio.vision.predict import Prediction

        started = time.perf_counter()
        mean = np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(axis=0)
        if mean.max() - mean.min() < 20:
            probs = {"Parang": 0.3, "Kawung": 0.25, "Truntum": 0.2}
            unknown = True
        elif mean.argmax() == 0:
            probs = {"Kawung": 0.92, "Parang": 0.05, "Truntum": 0.03}
            unknown = False
        else:
            probs = {"Mega Mendung": 0.62, "Tumpal": 0.3, "Insang": 0.08}
            unknown = False
        ranked = tuple(sorted(probs.items(), key=lambda item: -item[1]))[:top_k]
        return Prediction(
            label=ranked[0][0],
            confidence=ranked[0][1],
            top_k=ranked,
            unknown=unknown,
            milliseconds=1000 * (time.perf_counter() - started),
        )


def photo_bytes(colour, size=(120, 90), fmt="PNG") -> bytes:
    """A small generated photo of one colour, encoded as ``fmt``."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def colour_predictor():
    """The deterministic colour-rule predictor."""
    return ColourPredictor()


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """A fresh history database and images folder for the app, and the colour-rule predictor."""
    monkeypatch.setenv("BATIK_DATABASE_URL", f"sqlite:///{tmp_path / 'history.sqlite3'}")
    monkeypatch.setenv("BATIK_IMAGES_DIR", str(tmp_path / "images"))
    resources.use_predictor(ColourPredictor())
    yield tmp_path
    resources.use_predictor(None)


@pytest.fixture
def new_app():
    """Build a fresh AppTest of the real entry file (a new session, as after a reload or a restart)."""
    from streamlit.testing.v1 import AppTest

    def build():
        app = AppTest.from_file(str(ENTRY_FILE), default_timeout=60)
        app.run()
        return app

    return build


def _open_page(app, name: str):
    app.switch_page(f"views/{name}.py")
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def open_page():
    """Switch an AppTest to ``views/<name>.py``, run it and check it raised nothing: ``open_page(app, name)``."""
    return _open_page


@pytest.fixture
def photo():
    """Make a one-colour photo: ``photo(colour, size=(120, 90), fmt="PNG") -> bytes``."""
    return photo_bytes
