"""The files of a model folder and how to read them (numpy only; shared by training, evaluation and serving).

A model folder holds ``model.onnx`` (images -> logits, features), ``labels.json``, ``preprocess.json``,
``calibration.json`` (softmax temperature and the unknown-rejection rule), ``unknown.npz`` (the whitening and class
means the rejection score uses), ``metrics.json`` and the model card (``card.json``, ``MODEL_CARD.md``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from batik_studio.errors import ModelError

MODEL_FILE = "model.onnx"
LABELS_FILE = "labels.json"
PREPROCESS_FILE = "preprocess.json"
CALIBRATION_FILE = "calibration.json"
UNKNOWN_FILE = "unknown.npz"
METRICS_FILE = "metrics.json"
CARD_FILE = "card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
REQUIRED = (MODEL_FILE, LABELS_FILE, PREPROCESS_FILE, CALIBRATION_FILE, UNKNOWN_FILE)


@dataclass(frozen=True)
class Calibration:
    """Softmax temperature (> 0) and the unknown-rejection threshold on ``UnknownScorer`` scores.

    A photo is rejected as "not one of the known motifs" when its score is above ``threshold``; the threshold was
    set on held-out photos of the known motifs so that about ``false_reject_rate`` of them are rejected.
    """

    temperature: float
    threshold: float
    false_reject_rate: float
    method: str = "mahalanobis"

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ModelError(f"calibration temperature must be > 0, got {self.temperature}")


@dataclass(frozen=True)
class UnknownScorer:
    """Mahalanobis distance to the nearest class mean, in a whitened space of the backbone features.

    ``score(f) = min_c || (f - offset) @ projection - means[c] ||^2 / k`` with ``projection`` (D, k) whitening the
    training features (shared within-class covariance) and ``means`` (C, k) the class means in that space.
    """

    offset: np.ndarray
    projection: np.ndarray
    means: np.ndarray

    def score(self, features: np.ndarray) -> np.ndarray:
        """Rejection scores (n,) of features (n, D); larger means less like any known motif."""
        z = (np.asarray(features, dtype=np.float32) - self.offset) @ self.projection
        d2 = ((z[:, None, :] - self.means[None, :, :]) ** 2).sum(axis=2)
        return d2.min(axis=1) / self.projection.shape[1]

    def save(self, path: Path) -> None:
        """Write the arrays as ``.npz``."""
        np.savez(path, offset=self.offset, projection=self.projection, means=self.means)

    @classmethod
    def load(cls, path: Path) -> UnknownScorer:
        """Read arrays written by ``save``."""
        try:
            with np.load(path) as data:
                return cls(
                    data["offset"].astype(np.float32),
                    data["projection"].astype(np.float32),
                    data["means"].astype(np.float32),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the unknown-rejection arrays ({exc})") from exc


def fit_unknown_scorer(features: np.ndarray, targets: np.ndarray, dim: int = 256, shrink: float = 0.1) -> UnknownScorer:
    """Fit the whitening (PCA of the within-class scatter, shrunk towards its mean eigenvalue) and class means."""
    features = np.asarray(features, dtype=np.float64)
    offset = features.mean(axis=0)
    classes = np.unique(targets)
    means = np.stack([features[targets == c].mean(axis=0) for c in classes])
    centred = features - means[np.searchsorted(classes, targets)]
    cov = centred.T @ centred / max(1, len(features) - len(classes))
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][: min(dim, len(values))]
    values, vectors = values[order], vectors[:, order]
    values = (1 - shrink) * values + shrink * values.mean()
    projection = vectors / np.sqrt(values)
    class_means = (means - offset) @ projection
    return UnknownScorer(offset.astype(np.float32), projection.astype(np.float32), class_means.astype(np.float32))


def read_json(path: Path) -> dict | list:
    """Read a JSON file of a model folder, as a ModelError when missing or broken."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read ({exc})") from exc


def write_json(path: Path, data: dict | list) -> None:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_calibration(folder: Path) -> Calibration:
    """Read ``calibration.json`` of a model folder."""
    data = read_json(Path(folder) / CALIBRATION_FILE)
    try:
        return Calibration(**data)
    except TypeError as exc:
        raise ModelError(f"{folder / CALIBRATION_FILE}: unexpected fields ({exc})") from exc


def write_calibration(folder: Path, calibration: Calibration) -> None:
    """Write ``calibration.json`` of a model folder."""
    write_json(Path(folder) / CALIBRATION_FILE, asdict(calibration))


def check_model_dir(folder: Path) -> Path:
    """Return the folder if it holds every required file, else raise ModelError naming what is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: model folder not found")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{folder}: not a complete model folder, missing {', '.join(missing)}")
    return folder


__all__ = [
    "CARD_FILE",
    "CARD_MARKDOWN",
    "Calibration",
    "METRICS_FILE",
    "MODEL_FILE",
    "UnknownScorer",
    "check_model_dir",
    "fit_unknown_scorer",
    "read_calibration",
    "read_json",
    "write_calibration",
    "write_json",
]
