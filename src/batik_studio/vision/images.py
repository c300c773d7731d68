"""Safe image loading shared by every vision code path (Pillow + pillow-heif, no torch)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from batik_studio.atomic import input_file_size
from batik_studio.errors import ImageError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif"})

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def load_image(
    source: Image.Image | bytes | str | Path,
    *,
    max_bytes: int = 25_000_000,
    max_pixels: int = 50_000_000,
    min_side: int | None = None,
) -> Image.Image:
    """Open a photo as an EXIF-rotated RGB image.

    Parameters
    ----------
    source
        A PIL image, the encoded bytes of one, or a file path (JPEG, PNG, WEBP, HEIC and anything Pillow reads).
    max_bytes, max_pixels
        Larger files or images are refused (decompression bombs, accidental huge uploads).
    min_side
        When given, a JPEG may be decoded at a reduced scale (1/2, 1/4, 1/8) as long as both sides stay at least
        this many pixels: a 12-megapixel phone photo then decodes several times faster for a caller that will
        shrink it anyway.

    Raises
    ------
    ImageError
        For a missing, too large, truncated or non-image file, naming it and the limit.
    """
    if isinstance(source, Image.Image):
        name = "image"
        if source.width * source.height > max_pixels:
            raise ImageError(f"{name}: {source.width}x{source.height} pixels is more than the {max_pixels:,} allowed")
        return ImageOps.exif_transpose(source).convert("RGB")
    _register_heif()
    if isinstance(source, bytes | bytearray):
        name, data = "uploaded image", bytes(source)
    else:
        path = Path(source)
        name = str(path)
        size = input_file_size(path, ImageError)
        if size > max_bytes:
            raise ImageError(f"{name}: {size:,} bytes is more than the {max_bytes:,} allowed")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise ImageError(f"{name}: {len(data):,} bytes is more than the {max_bytes:,} allowed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise ImageError(f"{name}: {image.width}x{image.height} pixels is more than the {max_pixels:,} allowed")
            if min_side is not None:
                image.draft("RGB", (min_side, min_side))
            image.load()
            image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name}: too many pixels, refused as a possible decompression bomb") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageError(f"{name}: not an image Pillow or pillow-heif can read (JPEG, PNG, WEBP, HEIC, ...)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{name}: damaged or truncated image ({exc})") from exc


__all__ = ["IMAGE_SUFFIXES", "load_image"]
