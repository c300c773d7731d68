"""Safe image loading: EXIF rotation, HEIC, and clear errors for bad files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.errors import ImageError
from batik_studio.vision.images import load_image


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A JPEG tagged 'rotate 90' comes back upright (width and height swapped) and RGB."""
    image = Image.new("L", (40, 20), 128)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    loaded = load_image(path)
    assert loaded.size == (20, 40) and loaded.mode == "RGB"


def test_heic_is_read(tmp_path: Path) -> None:
    """HEIC photos (phones) are read through pillow-heif."""
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    path = tmp_path / "photo.heic"
    Image.fromarray(np.full((32, 48, 3), 200, dtype=np.uint8)).save(path)
    assert load_image(path).size == (48, 32)


def test_not_an_image(tmp_path: Path) -> None:
    """A text file named .jpg is an ImageError saying it is not an image."""
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo")
    with pytest.raises(ImageError, match="not an image"):
        load_image(path)


def test_truncated_file(tmp_path: Path) -> None:
    """A JPEG cut in half is an ImageError saying it is damaged or truncated."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    path = tmp_path / "half.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_image(path)


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    """An image declaring more pixels than allowed is refused before decoding."""
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(path)
    with pytest.raises(ImageError, match="pixels"):
        load_image(path, max_pixels=50_000_000)


def test_too_many_bytes_and_missing(tmp_path: Path) -> None:
    """Oversized files and missing files are ImageErrors naming the file."""
    path = tmp_path / "big.png"
    Image.new("RGB", (64, 64)).save(path)
    with pytest.raises(ImageError, match="bytes"):
        load_image(path, max_bytes=10)
    with pytest.raises(ImageError, match="missing.png"):
        load_image(tmp_path / "missing.png")


def test_bytes_and_pil_sources() -> None:
    """Encoded bytes and PIL images (any mode) are accepted and returned as RGB."""
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 12)).save(buffer, "PNG")
    assert load_image(buffer.getvalue()).mode == "RGB"
    assert load_image(Image.new("P", (5, 5))).mode == "RGB"


def test_min_side_decodes_big_jpeg_smaller_but_not_below():
    """A big JPEG decoded with min_side comes out reduced, never below min_side on either side."""
    buffer = io.BytesIO()
    Image.new("RGB", (4032, 3024), (200, 120, 40)).save(buffer, format="JPEG")
    full = load_image(buffer.getvalue())
    reduced = load_image(buffer.getvalue(), min_side=1280)
    assert full.size == (4032, 3024)
    assert reduced.size == (2016, 1512)
