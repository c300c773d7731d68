"""Classify photos with an exported model folder using ONNX Runtime only (torch is never imported here)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from batik_studio.errors import ModelError
from batik_studio.vision.images import load_image
from batik_studio.vision.model_dir import (
    CARD_FILE,
    LABELS_FILE,
    MODEL_FILE,
    PREPROCESS_FILE,
    UNKNOWN_FILE,
    UnknownScorer,
    check_model_dir,
    read_calibration,
    read_json,
)
from batik_studio.vision.preprocess import Preprocess, tta_views

#: The folder holding the shipped models, one folder each (``<repo>/models/<name>``, package data in a wheel).
MODELS_ROOT = Path(os.fspath(resources.files("batik_studio") / "models"))


def shipped_model(name: str = "batik-motifs") -> Path:
    """The folder of a model shipped inside the package."""
    return MODELS_ROOT / name


#: The default model: every catalogue motif that two public sources have photos of.
SHIPPED_MODEL = shipped_model()
#: The seed paper's 7-motif model (``--model batik7``), the one compared with the paper.
SEED_MODEL = shipped_model("batik7")


def default_model_dir() -> Path:
    """The model folder used when none is given: ``$BATIK_MODEL_DIR`` or the shipped model."""
    return Path(os.environ.get("BATIK_MODEL_DIR") or SHIPPED_MODEL)


def model_path(model: str | Path | None) -> Path:
    """A model folder from a path, or from the name of a shipped model (``batik7``); None means the default."""
    if model is None:
        return default_model_dir()
    path = Path(model)
    # A bare name is a shipped model unless a model folder of that name is right here.
    if len(path.parts) == 1 and not (path / MODEL_FILE).is_file() and (MODELS_ROOT / path).is_dir():
        return MODELS_ROOT / path
    return path


@dataclass(frozen=True)
class Prediction:
    """The answer for one photo.

    ``label`` is the most likely motif and ``confidence`` its calibrated probability; ``top_k`` holds the best
    (label, probability) pairs in decreasing order, starting with ``label``; ``unknown`` is true when the photo was
    rejected as not one of the known motifs; ``novelty`` is the rejection score it was decided on (0..1, higher is
    less like any known motif; rejected above ``threshold``; 0..2 for model folders of the older rule);
    ``milliseconds`` is the time spent on this photo.
    """

    label: str
    confidence: float
    top_k: tuple[tuple[str, float], ...]
    unknown: bool
    milliseconds: float
    novelty: float = 0.0
    threshold: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "top_k": [{"label": name, "probability": round(p, 4)} for name, p in self.top_k],
            "unknown": self.unknown,
            "novelty": round(self.novelty, 4),
            "novelty_threshold": round(self.threshold, 4),
            "milliseconds": round(self.milliseconds, 1),
        }


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Predictor:
    """A loaded model folder: classifies PIL images, encoded bytes or file paths.

    Parameters
    ----------
    model_dir
        A folder written by ``batik train``; None means ``default_model_dir()``.
    threads
        ONNX Runtime intra-op threads (default: all cores).
    """

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.model_dir = check_model_dir(model_path(model_dir))
        labels = read_json(self.model_dir / LABELS_FILE)
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
            raise ModelError(f"{self.model_dir / LABELS_FILE}: expected a JSON list of class names")
        self.labels: list[str] = labels
        self.preprocess = Preprocess.load(self.model_dir / PREPROCESS_FILE)
        self.calibration = read_calibration(self.model_dir)
        self.scorer = UnknownScorer.load(self.model_dir / UNKNOWN_FILE)
        if self.scorer.rule != self.calibration.method:
            raise ModelError(
                f"{self.model_dir}: the threshold was set for the {self.calibration.method!r} rejection rule, "
                f"but {UNKNOWN_FILE} scores by {self.scorer.rule!r}"
            )
        card_path = self.model_dir / CARD_FILE
        self.card: dict = read_json(card_path) if card_path.is_file() else {}
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(self.model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for broken graphs
            raise ModelError(f"{self.model_dir / MODEL_FILE}: cannot load the ONNX model ({exc})") from exc
        outputs = [o.name for o in self._session.get_outputs()]
        if outputs[:2] != ["logits", "features"]:
            raise ModelError(f"{self.model_dir / MODEL_FILE}: outputs {outputs}, expected ['logits', 'features']")

    def raw_outputs(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """Logits (C,) and features (D,) of one RGB image, averaged over the test-time views."""
        views = tta_views(image, self.preprocess)
        logits, features = self._session.run(None, {"images": views})
        return logits.mean(axis=0), features.mean(axis=0)

    def decide(self, logits: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities (n, C) and unknown flags (n,) from raw outputs (n, C), (n, D)."""
        probs = softmax(logits, self.calibration.temperature)
        unknown = self.scorer.score(features, probs) > self.calibration.threshold
        return probs, unknown

    def predict(self, image: Image.Image | bytes | str | Path, top_k: int = 3) -> Prediction:
        """Classify one photo (raises ImageError when it cannot be read)."""
        start = time.perf_counter()
        logits, features = self.raw_outputs(load_image(image))
        probs = softmax(logits[None], self.calibration.temperature)
        novelty = float(self.scorer.score(features[None], probs)[0])
        order = np.argsort(probs[0])[::-1][: max(1, min(top_k, len(self.labels)))]
        top = tuple((self.labels[i], float(probs[0, i])) for i in order)
        milliseconds = (time.perf_counter() - start) * 1000
        unknown = novelty > self.calibration.threshold
        return Prediction(top[0][0], top[0][1], top, unknown, milliseconds, novelty, self.calibration.threshold)


__all__ = [
    "MODELS_ROOT",
    "SEED_MODEL",
    "SHIPPED_MODEL",
    "Prediction",
    "Predictor",
    "default_model_dir",
    "load_image",
    "model_path",
    "shipped_model",
    "softmax",
]
