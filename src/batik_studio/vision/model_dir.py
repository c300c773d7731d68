"""The files of a model folder and how to read them (numpy only; shared by training, evaluation and serving).

A model folder holds ``model.onnx`` (images -> logits, features), ``labels.json``, ``preprocess.json``,
``calibration.json`` (softmax temperature and the unknown-rejection rule), ``unknown.npz`` (the whitening and class
means the rejection score uses), ``metrics.json`` and the model card (``card.json``, ``MODEL_CARD.md``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field, replace
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

#: The rule of model folders written before the rules were compared: sum of the distance and doubt CDFs (0..2).
LEGACY_RULE = "mahalanobis+doubt"
#: Arrays of every unknown.npz, and those added with the k-NN cue.
_CORE_ARRAYS = ("offset", "projection", "means", "reference_distance", "reference_doubt")
_ARRAYS = (*_CORE_ARRAYS, "neighbours", "reference_knn")


@dataclass(frozen=True)
class Calibration:
    """Softmax temperature (> 0) and the unknown-rejection threshold on ``UnknownScorer.score``.

    A photo is rejected as "not one of the known motifs" when its score is above ``threshold``; the threshold was
    set on held-out photos of the known motifs so that about ``false_reject_rate`` of them are rejected.
    ``method`` names the rejection rule (``UnknownScorer.rule``).
    """

    temperature: float
    threshold: float
    false_reject_rate: float
    method: str = LEGACY_RULE

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ModelError(f"calibration temperature must be > 0, got {self.temperature}")


@dataclass(frozen=True)
class UnknownScorer:
    """How unlike the known motifs a photo is, from cues measured against held-out known photos.

    ``distance``: squared Mahalanobis distance of the L2-normalised features to the nearest class mean, in a
    whitened space (``projection`` (D, k) whitens the shared within-class covariance; ``means`` (C, k) are the
    class means there); it flags photos far from every motif, such as other fabrics and everyday photos.
    ``knn``: mean cosine distance of the (signed square root, L2-normalised) features to their
    ``knn_neighbours`` nearest training photos (``neighbours`` (N, D), float16 on disk); it flags photos unlike any one
    training photo. ``doubt``: one minus the calibrated top probability; it flags photos the head cannot place,
    such as batik motifs it was not trained on. Each cue becomes its empirical CDF over held-out (out-of-fold)
    photos of the known motifs (``reference_*``, sorted), so it lies in 0..1; ``rule`` combines them (``rules``).
    """

    offset: np.ndarray
    projection: np.ndarray
    means: np.ndarray
    reference_distance: np.ndarray
    reference_doubt: np.ndarray
    neighbours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float16))
    reference_knn: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    knn_neighbours: int = 10
    rule: str = LEGACY_RULE

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Squared whitened distance (n,) of features (n, D) to the nearest class mean, per dimension."""
        features = np.asarray(features, dtype=np.float32)
        features = features / np.linalg.norm(features, axis=1, keepdims=True)
        z = (features - self.offset) @ self.projection
        d2 = ((z[:, None, :] - self.means[None, :, :]) ** 2).sum(axis=2)
        return d2.min(axis=1) / self.projection.shape[1]

    def knn_distance(self, features: np.ndarray) -> np.ndarray:
        """Mean cosine distance (n,) of features (n, D) to their nearest training photos (needs ``neighbours``)."""
        if not len(self.neighbours):
            raise ModelError("this model folder has no training features for the k-NN rejection cue")
        x = knn_space(features)
        references = self.neighbours if self.neighbours.dtype == np.float32 else self.neighbours.astype(np.float32)
        k = min(self.knn_neighbours, len(references))
        out = np.empty(len(x))
        for start in range(0, len(x), 512):
            similarity = x[start : start + 512] @ references.T
            out[start : start + 512] = 1 - np.partition(similarity, -k, axis=1)[:, -k:].mean(axis=1)
        return out

    def cues(self, features: np.ndarray, probs: np.ndarray) -> dict[str, np.ndarray]:
        """The raw cues of features (n, D) and calibrated probabilities (n, C): distance, doubt and knn."""
        found = {"distance": self.distance(features), "doubt": 1.0 - np.asarray(probs).max(axis=1)}
        if len(self.neighbours):
            found["knn"] = self.knn_distance(features)
        return found

    def rules(self, cues: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every rejection rule this scorer can compute from measured cues (each scaled by its references)."""
        distance = _ecdf(self.reference_distance, cues["distance"])
        doubt = _ecdf(self.reference_doubt, cues["doubt"])
        found = {
            "doubt": doubt,
            "mahalanobis": distance,
            "mean": (distance + doubt) / 2,
            "max-mahalanobis": np.maximum(distance, doubt),
            LEGACY_RULE: distance + doubt,
        }
        if "knn" in cues and len(self.reference_knn):
            knn = _ecdf(self.reference_knn, cues["knn"])
            found |= {"knn": knn, "max": np.maximum(knn, doubt), "max-all": np.maximum.reduce([knn, distance, doubt])}
        return found

    def score(self, features: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Rejection scores (n,) under ``rule`` from features (n, D) and calibrated probabilities (n, C)."""
        found = self.rules(self.cues(features, probs))
        if self.rule not in found:
            raise ModelError(f"rejection rule {self.rule!r} cannot be computed from this model folder's arrays")
        return found[self.rule]

    def with_references(self, distance: np.ndarray, doubt: np.ndarray, knn: np.ndarray | None = None) -> UnknownScorer:
        """The same scorer with new held-out reference values (stored sorted)."""
        knn_sorted = self.reference_knn if knn is None else np.sort(knn).astype(np.float32)
        return replace(
            self, reference_distance=np.sort(distance), reference_doubt=np.sort(doubt), reference_knn=knn_sorted
        )

    def with_neighbours(self, features: np.ndarray, k: int | None = None) -> UnknownScorer:
        """The same scorer with training photos' features (N, D) for the k-NN cue, stored as float16."""
        return replace(self, neighbours=knn_space(features).astype(np.float16), knn_neighbours=k or self.knn_neighbours)

    def with_rule(self, rule: str) -> UnknownScorer:
        """The same scorer deciding on another rule."""
        return replace(self, rule=rule)

    def save(self, path: Path) -> None:
        """Write the arrays (and the rule) as ``.npz``."""
        arrays = {name: getattr(self, name) for name in _ARRAYS} | {"neighbours": self.neighbours.astype(np.float16)}
        np.savez(path, **arrays, knn_neighbours=np.array(self.knn_neighbours), rule=np.array(self.rule))

    @classmethod
    def load(cls, path: Path) -> UnknownScorer:
        """Read arrays written by ``save`` (folders written before the k-NN cue load with the older rule)."""
        try:
            with np.load(path) as data:
                found = {name: data[name].astype(np.float32) for name in _CORE_ARRAYS}
                if "neighbours" in data:
                    found |= {
                        "neighbours": data["neighbours"].astype(np.float32),  # float16 on disk
                        "reference_knn": data["reference_knn"].astype(np.float32),
                        "knn_neighbours": int(data["knn_neighbours"]),
                        "rule": str(data["rule"]),
                    }
                return cls(**found)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the unknown-rejection arrays ({exc})") from exc


def knn_space(features: np.ndarray) -> np.ndarray:
    """Features (n, D) as the k-NN cue compares them: signed square root, then unit length."""
    features = np.asarray(features, dtype=np.float32)
    features = np.sign(features) * np.sqrt(np.abs(features))
    return features / (np.linalg.norm(features, axis=1, keepdims=True) + 1e-12)


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
    "LEGACY_RULE",
    "METRICS_FILE",
    "MODEL_FILE",
    "NOTES_FILE",
    "carry_notes",
    "UnknownScorer",
    "check_model_dir",
    "fit_unknown_scorer",
    "knn_space",
    "read_calibration",
    "read_json",
    "write_calibration",
    "write_json",
]
