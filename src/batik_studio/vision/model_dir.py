"""The files of a model folder and how to read them (numpy only; shared by training, evaluation and serving).

A model folder holds ``model.onnx`` (images -> logits, features), ``labels.json``, ``preprocess.json``,
``calibration.json`` (softmax temperature and the unknown-rejection rule), ``unknown.npz`` (the whitening and class
means the rejection score uses), ``metrics.json`` and the model card (``card.json``, ``MODEL_CARD.md``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from batik_studio.atomic import write_text_atomically
from batik_studio.errors import ModelError

MODEL_FILE = "model.onnx"
LABELS_FILE = "labels.json"
PREPROCESS_FILE = "preprocess.json"
CALIBRATION_FILE = "calibration.json"
UNKNOWN_FILE = "unknown.npz"
METRICS_FILE = "metrics.json"
CARD_FILE = "card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
#: Hand-written notes (how the data was made, how choices were made), appended to the card and kept on retraining.
NOTES_FILE = "NOTES.md"
REQUIRED = (MODEL_FILE, LABELS_FILE, PREPROCESS_FILE, CALIBRATION_FILE, UNKNOWN_FILE)


@dataclass(frozen=True)
class Calibration:
    """Softmax temperature (> 0) and the unknown-rejection threshold on ``UnknownScorer.score`` (0..2).

    A photo is rejected as "not one of the known motifs" when its score is above ``threshold``; the threshold was
    set on held-out photos of the known motifs so that about ``false_reject_rate`` of them are rejected.
    """

    temperature: float
    threshold: float
    false_reject_rate: float
    method: str = "mahalanobis+doubt"

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ModelError(f"calibration temperature must be > 0, got {self.temperature}")


@dataclass(frozen=True)
class UnknownScorer:
    """How unlike the known motifs a photo is, from two cues measured against held-out known photos.

    ``distance``: squared Mahalanobis distance of the L2-normalised features to the nearest class mean, in a
    whitened space (``projection`` (D, k) whitens the shared within-class covariance; ``means`` (C, k) are the
    class means there); it flags photos far from every motif, such as other fabrics and everyday photos.
    ``doubt``: one minus the calibrated top probability; it flags photos the head cannot place, such as batik
    motifs it was not trained on. Each cue becomes its empirical CDF over held-out (out-of-fold) photos of the known
    motifs (``reference_distance``, ``reference_doubt``, sorted), and the score is their sum, from 0 to 2.
    """

    offset: np.ndarray
    projection: np.ndarray
    means: np.ndarray
    reference_distance: np.ndarray
    reference_doubt: np.ndarray

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Squared whitened distance (n,) of features (n, D) to the nearest class mean, per dimension."""
        features = np.asarray(features, dtype=np.float32)
        features = features / np.linalg.norm(features, axis=1, keepdims=True)
        z = (features - self.offset) @ self.projection
        d2 = ((z[:, None, :] - self.means[None, :, :]) ** 2).sum(axis=2)
        return d2.min(axis=1) / self.projection.shape[1]

    def score(self, features: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Rejection scores (n,) from features (n, D) and calibrated probabilities (n, C); larger is stranger."""
        return self.combine(self.distance(features), 1.0 - np.asarray(probs).max(axis=1))

    def combine(self, distance: np.ndarray, doubt: np.ndarray) -> np.ndarray:
        """The score from already measured cues: the sum of their empirical CDFs over the references."""
        return _ecdf(self.reference_distance, distance) + _ecdf(self.reference_doubt, doubt)

    def with_references(self, distance: np.ndarray, doubt: np.ndarray) -> UnknownScorer:
        """The same scorer with new held-out reference values (stored sorted)."""
        return replace(self, reference_distance=np.sort(distance), reference_doubt=np.sort(doubt))

    def save(self, path: Path) -> None:
        """Write the arrays as ``.npz``."""
        np.savez(path, **{name: getattr(self, name) for name in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: Path) -> UnknownScorer:
        """Read arrays written by ``save``."""
        try:
            with np.load(path) as data:
                return cls(**{name: data[name].astype(np.float32) for name in cls.__dataclass_fields__})
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the unknown-rejection arrays ({exc})") from exc


def _ecdf(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of reference values at or below each value, kept inside (0, 1)."""
    return (np.searchsorted(reference, values, side="right") + 1) / (len(reference) + 2)


def fit_unknown_scorer(features: np.ndarray, targets: np.ndarray, dim: int = 512, shrink: float = 0.1) -> UnknownScorer:
    """Fit the whitening (PCA of the within-class scatter of L2-normalised features, shrunk) and class means.

    The references are left empty; set them from held-out photos with ``with_references``.
    """
    features = np.asarray(features, dtype=np.float64)
    features = features / np.linalg.norm(features, axis=1, keepdims=True)
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
    empty = np.zeros(0, dtype=np.float32)
    return UnknownScorer(
        offset.astype(np.float32), projection.astype(np.float32), class_means.astype(np.float32), empty, empty
    )


def read_json(path: Path) -> dict | list:
    """Read a JSON file of a model folder, as a ModelError when missing or broken."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read ({exc})") from exc


def write_json(path: Path, data: dict | list) -> None:
    """Write JSON atomically (temp file + rename)."""
    write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


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


def carry_notes(old: Path, new: Path) -> None:
    """Copy the hand-written ``NOTES.md`` of a model folder about to be replaced into its replacement."""
    if (Path(old) / NOTES_FILE).is_file():
        shutil.copy2(Path(old) / NOTES_FILE, Path(new) / NOTES_FILE)


__all__ = [
    "CARD_FILE",
    "CARD_MARKDOWN",
    "Calibration",
    "METRICS_FILE",
    "MODEL_FILE",
    "NOTES_FILE",
    "carry_notes",
    "UnknownScorer",
    "check_model_dir",
    "fit_unknown_scorer",
    "read_calibration",
    "read_json",
    "write_calibration",
    "write_json",
]
