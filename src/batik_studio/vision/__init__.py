"""Batik motif recognition: train, evaluate, export and serve classifiers of batik photos.

The public names load on first use, so importing the package (or the CLI) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "Prediction": "batik_studio.vision.predict",
    "Predictor": "batik_studio.vision.predict",
    "TrainConfig": "batik_studio.vision.config",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


__all__ = sorted(_PUBLIC)
