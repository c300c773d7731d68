"""Self-made photos that are not batik, to measure the "not a batik" answer on more kinds of negatives.

Two kinds: generated textile-like textures (stripes, checks/tartan, florals, dots, noise-dyed cloth) and
random close crops of photos known not to be batik (a crop of a sofa or a dog's fur looks like cloth).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from batik_studio.errors import ImageError, InputError
from batik_studio.vision.images import IMAGE_SUFFIXES, load_image

KINDS = ("stripes", "checks", "florals", "dots", "mottled")


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, 3))


def texture(kind: str, rng: np.random.Generator, size: int = 320) -> Image.Image:
    """One generated textile-like texture of ``kind`` (one of ``KINDS``), random colours and scale."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, np.pi)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    period = rng.uniform(12, 60)
    a, b, c = (np.array(_colour(rng), dtype=float) for _ in range(3))
    if kind == "stripes":
        widths = rng.uniform(0.2, 0.8)
        mask = (u % period) < period * widths
        pixels = np.where(mask[..., None], a, b)
        pixels = np.where(((u % (period / 3)) < 1.5)[..., None], c, pixels)
    elif kind == "checks":
        mu, mv = (u % period) < period / 2, (v % period) < period / 2
        pixels = (a * mu[..., None] + b * mv[..., None] + c * (~mu & ~mv)[..., None]) / 1.5
    elif kind == "mottled":
        noise = rng.normal(size=(size // 16, size // 16))
        field = np.asarray(Image.fromarray(noise.astype(np.float32)).resize((size, size), Image.Resampling.BICUBIC))
        t = (field - field.min()) / (np.ptp(field) + 1e-6)
        pixels = a * t[..., None] + b * (1 - t[..., None])
    else:
        image = Image.new("RGB", (size, size), _colour(rng))
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(15, 60))):
            x, y = rng.uniform(0, size, 2)
            radius = rng.uniform(4, 30)
            colour = _colour(rng)
            if kind == "dots":
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
                continue
            for petal in range(int(rng.integers(4, 8))):
                t = 2 * np.pi * petal / 6 + rng.uniform(0, 0.3)
                px, py = x + radius * np.cos(t), y + radius * np.sin(t)
                draw.ellipse((px - radius / 2, py - radius / 2, px + radius / 2, py + radius / 2), fill=colour)
            draw.ellipse((x - radius / 3, y - radius / 3, x + radius / 3, y + radius / 3), fill=_colour(rng))
        return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 1.2))))
    pixels = pixels + rng.normal(0, 8, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def random_crop(image: Image.Image, rng: np.random.Generator, size: int = 320) -> Image.Image:
    """A random square crop of 15-40% of the shorter side, resized to ``size``."""
    side = max(8, int(min(image.size) * rng.uniform(0.15, 0.4)))
    left = int(rng.integers(0, image.width - side + 1))
    top = int(rng.integers(0, image.height - side + 1))
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)


def write_negatives(out: Path, per_kind: int = 30, crops_of: Path | None = None, seed: int = 0) -> dict[str, int]:
    """Write ``per_kind`` textures of every kind (and crops of the photos in ``crops_of``) under ``out/<kind>/``.

    Raises
    ------
    InputError
        When ``out`` exists and is not empty, or ``crops_of`` holds no readable photo.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: already exists and is not empty; choose a new folder")
    rng = np.random.default_rng(seed)
    counts = {}
    for kind in KINDS:
        (out / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_kind):
            texture(kind, rng).save(out / kind / f"{kind}-{i:03d}.jpg", quality=90)
        counts[kind] = per_kind
    if crops_of is not None:
        photos = []
        for path in sorted(Path(crops_of).rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                try:
                    photos.append(load_image(path))
                except ImageError:
                    continue
        if not photos:
            raise InputError(f"{crops_of}: no readable photo to crop")
        (out / "crops").mkdir(parents=True, exist_ok=True)
        for i in range(per_kind * 2):
            random_crop(photos[i % len(photos)], rng).save(out / "crops" / f"crop-{i:03d}.jpg", quality=90)
        counts["crops"] = per_kind * 2
    return counts


__all__ = ["KINDS", "random_crop", "texture", "write_negatives"]
