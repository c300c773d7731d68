"""The one preprocessing definition shared by training, evaluation and ONNX inference (numpy + Pillow only).

A model folder stores these settings in ``preprocess.json``; every code path that feeds the network goes through
``to_array`` (one view) or ``tta_views`` (the test-time crops), so training and serving cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from batik_studio.errors import ModelError


@dataclass(frozen=True)
class Preprocess:
    """How an RGB photo becomes network input.

    The shorter side is resized to ``image_size`` and the centre square is cropped (``crop_fraction`` of the
    shorter side, then resized to ``image_size``); pixels are scaled to 0..1 and normalised with ``mean``/``std``.
    ``tta_crops`` lists extra test-time crops as (fraction of the shorter side, x position 0..1, y position 0..1,
    mirrored); the network's logits are averaged over the main view and these crops.
    """

    image_size: int = 260
    crop_fraction: float = 1.0
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    tta_crops: tuple[tuple[float, float, float, bool], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 16 <= self.image_size <= 1024:
            raise ModelError(f"preprocess image_size {self.image_size} outside 16..1024")
        if not 0.1 <= self.crop_fraction <= 1.0:
            raise ModelError(f"preprocess crop_fraction {self.crop_fraction} outside 0.1..1")
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        object.__setattr__(
            self, "tta_crops", tuple((float(f), float(x), float(y), bool(m)) for f, x, y, m in self.tta_crops)
        )

    @property
    def n_views(self) -> int:
        """Number of views the network sees per photo (main view plus test-time crops)."""
        return 1 + len(self.tta_crops)

    def save(self, path: Path) -> None:
        """Write the settings as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Preprocess:
        """Read settings written by ``save``."""
        try:
            data = json.loads(Path(path).read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise ModelError(f"{path}: cannot read preprocessing settings ({exc})") from exc


def crop_square(image: Image.Image, fraction: float, x: float = 0.5, y: float = 0.5) -> Image.Image:
    """Crop a square of ``fraction`` x the shorter side, placed at relative position (x, y) in 0..1."""
    width, height = image.size
    side = max(1, round(min(width, height) * fraction))
    left = round((width - side) * x)
    top = round((height - side) * y)
    return image.crop((left, top, left + side, top + side))


def normalize(image: Image.Image, pre: Preprocess) -> np.ndarray:
    """Turn a square RGB image into a normalised float32 (3, S, S) array at ``pre.image_size``."""
    if image.size != (pre.image_size, pre.image_size):
        image = image.resize((pre.image_size, pre.image_size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    array = (array - np.asarray(pre.mean, dtype=np.float32)) / np.asarray(pre.std, dtype=np.float32)
    return np.ascontiguousarray(array.transpose(2, 0, 1))


def to_array(image: Image.Image, pre: Preprocess) -> np.ndarray:
    """The main view of a photo as network input (3, S, S)."""
    return normalize(crop_square(image, pre.crop_fraction), pre)


def tta_views(image: Image.Image, pre: Preprocess) -> np.ndarray:
    """The main view and every test-time crop of a photo, stacked as (n_views, 3, S, S)."""
    views = [to_array(image, pre)]
    for fraction, x, y, mirrored in pre.tta_crops:
        crop = crop_square(image, fraction, x, y)
        if mirrored:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        views.append(normalize(crop, pre))
    return np.stack(views)


__all__ = ["Preprocess", "crop_square", "normalize", "to_array", "tta_views"]
