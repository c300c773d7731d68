"""Random photometric and geometric views of a training photo (Pillow + numpy; the randomness is an argument).

The views imitate what other sources do to a motif: a different scale and framing, rotation and mirroring,
lighting and white balance, dye colour, blur, perspective and cloth folds, re-encoding.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from batik_studio.vision.preprocess import Preprocess, normalize


@dataclass(frozen=True)
class Augment:
    """Strengths of the random view; every field is a probability or a range."""

    scale: tuple[float, float] = (0.12, 1.0)
    ratio: tuple[float, float] = (0.75, 1.333)
    rotate_deg: float = 20.0
    quarter_turns: bool = True
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.5
    hue: float = 0.06
    grayscale_p: float = 0.15
    blur_p: float = 0.3
    perspective_p: float = 0.3
    jpeg_p: float = 0.2


def _random_crop(image: Image.Image, aug: Augment, rng: np.random.Generator) -> Image.Image:
    width, height = image.size
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(*aug.scale)
        ratio = math.exp(rng.uniform(math.log(aug.ratio[0]), math.log(aug.ratio[1])))
        w = round(math.sqrt(target * ratio))
        h = round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            return image.crop((left, top, left + w, top + h))
    side = min(width, height)
    return image.crop(((width - side) // 2, (height - side) // 2, (width + side) // 2, (height + side) // 2))


def _rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate and crop the largest centred rectangle free of empty corners."""
    width, height = image.size
    rotated = image.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=False)
    angle = math.radians(abs(degrees))
    shrink = math.cos(angle) + math.sin(angle) * max(width, height) / max(1, min(width, height))
    w, h = max(1, int(width / shrink)), max(1, int(height / shrink))
    return rotated.crop(((width - w) // 2, (height - h) // 2, (width + w) // 2, (height + h) // 2))


def _perspective(image: Image.Image, rng: np.random.Generator, strength: float = 0.12) -> Image.Image:
    width, height = image.size
    dx, dy = strength * width, strength * height
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float)
    moved = corners + rng.uniform(-1, 1, size=(4, 2)) * [dx, dy]
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(corners, moved, strict=True):
        rows.append([u, v, 1, 0, 0, 0, -x * u, -x * v])
        rows.append([0, 0, 0, u, v, 1, -y * u, -y * v])
        rhs += [x, y]
    coeffs = np.linalg.solve(np.array(rows), np.array(rhs))
    return image.transform(image.size, Image.Transform.PERSPECTIVE, tuple(coeffs), Image.Resampling.BILINEAR)


def _hue_shift(image: Image.Image, shift: float) -> Image.Image:
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(shift * 255)) % 256
    return Image.fromarray(hsv, mode="HSV").convert("RGB")


def random_view(image: Image.Image, pre: Preprocess, aug: Augment, rng: np.random.Generator) -> np.ndarray:
    """One random augmented view of ``image`` as network input (3, S, S), via ``preprocess.normalize``."""
    view = _random_crop(image, aug, rng)
    if aug.rotate_deg > 0:
        view = _rotate(view, float(rng.uniform(-aug.rotate_deg, aug.rotate_deg)))
    side = min(view.size)
    view = view.crop(
        ((view.width - side) // 2, (view.height - side) // 2, (view.width + side) // 2, (view.height + side) // 2)
    )
    view = view.resize((pre.image_size, pre.image_size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    if aug.quarter_turns:
        view = view.rotate(90 * int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < aug.perspective_p:
        view = _perspective(view, rng)
    view = ImageEnhance.Brightness(view).enhance(rng.uniform(1 - aug.brightness, 1 + aug.brightness))
    view = ImageEnhance.Contrast(view).enhance(rng.uniform(1 - aug.contrast, 1 + aug.contrast))
    view = ImageEnhance.Color(view).enhance(rng.uniform(1 - aug.saturation, 1 + aug.saturation))
    if aug.hue > 0:
        view = _hue_shift(view, float(rng.uniform(-aug.hue, aug.hue)))
    if rng.random() < aug.grayscale_p:
        view = view.convert("L").convert("RGB")
    if rng.random() < aug.blur_p:
        view = view.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.8))))
    if rng.random() < aug.jpeg_p:
        buffer = io.BytesIO()
        view.save(buffer, format="JPEG", quality=int(rng.integers(30, 80)))
        view = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return normalize(view, pre)


__all__ = ["Augment", "random_view"]
