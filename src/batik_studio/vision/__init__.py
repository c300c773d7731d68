"""Batik motif recognition: train, evaluate, export and serve classifiers of batik photos.

The public names load on first use (:func:`batik_studio._lazy.lazy_exports`).
"""

from __future__ import annotations

from batik_studio._lazy import lazy_exports

_PUBLIC = {
    "Prediction": "batik_studio.vision.predict",
    "Predictor": "batik_studio.vision.predict",
    "TrainConfig": "batik_studio.vision.config",
}


__getattr__ = lazy_exports(__name__, _PUBLIC)
__all__ = sorted(_PUBLIC)
