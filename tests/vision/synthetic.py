"""Generated pattern photos for the vision tests (no real data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def pattern(kind: str, rng: np.random.Generator, size: int = 96) -> Image.Image:
    """One photo-like image of a generated pattern: stripes, checks or dots, random colours, phase and scale."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    period = rng.uniform(10, 18)
    angle = rng.uniform(0, np.pi)
    u = xx * np.cos(angle) + yy * np.sin(angle) + rng.uniform(0, period)
    v = -xx * np.sin(angle) + yy * np.cos(angle) + rng.uniform(0, period)
    if kind == "stripes":
        mask = (u % period) < period / 2
    elif kind == "checks":
        mask = ((u % period) < period / 2) ^ ((v % period) < period / 2)
    else:
        mask = ((u % period) - period / 2) ** 2 + ((v % period) - period / 2) ** 2 < (period / 4) ** 2
    fg, bg = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    pixels = np.where(mask[..., None], fg, bg) + rng.normal(0, 12, (size, size, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def make_dataset(root: Path, counts: dict[str, int], seed: int = 0) -> Path:
    """Write a split dataset root/{split}/{class}/*.png with ``counts`` photos per class per split."""
    rng = np.random.default_rng(seed)
    for split, n in counts.items():
        for kind in ("checks", "dots", "stripes"):
            folder = root / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                pattern(kind, rng).save(folder / f"{kind}_{i}.png")
    return root
