"""What the pages do, without Streamlit: classify an upload and save it, optimise an uploaded drawing.

Each function takes bytes and a file name from an upload and returns plain data; errors are the project's own
exceptions, turned into messages by the page that called.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from batik_studio.errors import DrawingError
from batik_studio.store import HistoryEntry, HistoryStore
from batik_studio.store.history import IMAGE_MAX_PX

#: Largest upload accepted (bytes) and largest photo (pixels); the server refuses bigger uploads too.
MAX_UPLOAD_MB = 25
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
MAX_PIXELS = 50_000_000

#: Photos one browser session may classify: a stuck script or key cannot fill the history or hold the model.
MAX_UPLOADS_PER_SESSION = 200

#: Confidence at or above which a result reads "likely", and at or above which it reads "possibly".
LIKELY_AT = 0.8
POSSIBLY_AT = 0.5

#: Longest time (s) spent proving a lower bound when no time limit is given.
BOUND_TIME_LIMIT_S = 60.0

#: File endings the toolpath page accepts.
DRAWING_SUFFIXES = (".gcode", ".nc", ".ngc", ".tap", ".svg")


def model_name(predictor: Any) -> str:
    """A short name for the model a predictor serves, from its model card (for the history)."""
    card = getattr(predictor, "card", None) or {}
    for key in ("name", "model", "architecture", "backbone"):
        if isinstance(card.get(key), str) and card[key]:
            return card[key]
    return type(predictor).__name__


def classify_upload(data: bytes, file_name: str, predictor: Any, store: HistoryStore) -> HistoryEntry:
    """Open ``data`` as a photo, classify it and save the result; raises ImageError for unusable files."""
    from batik_studio.vision.predict import load_image

    image = load_image(data, max_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_PIXELS, min_side=IMAGE_MAX_PX)
    # One downscale for everything after decoding: the model sees a few hundred pixels and the history keeps at
    # most IMAGE_MAX_PX, so a 12-megapixel phone photo need not be carried further at full size.
    image.thumbnail((IMAGE_MAX_PX, IMAGE_MAX_PX), Image.Resampling.LANCZOS, reducing_gap=1.0)
    prediction = predictor.predict(image, top_k=3)
    return store.save(data=data, image=image, file_name=file_name, prediction=prediction, model=model_name(predictor))


def confidence_level(entry: HistoryEntry) -> str:
    """How to word a result honestly: ``rejected``, ``likely``, ``possibly`` or ``uncertain``."""
    if entry.unknown:
        return "rejected"
    if entry.confidence >= LIKELY_AT:
        return "likely"
    if entry.confidence >= POSSIBLY_AT:
        return "possibly"
    return "uncertain"


@dataclass(frozen=True)
class ToolpathOutcome:
    """One optimised upload: the report figures, the before/after plot (PNG) and the new G-code."""

    report: dict[str, Any]
    plot_png: bytes
    gcode: bytes
    download_name: str


def _safe_stem(file_name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(file_name).stem).strip("_")
    return stem[:80] or "drawing"


def optimise_drawing(
    data: bytes,
    file_name: str,
    method: str,
    *,
    feed_mm_min: float,
    time_limit_s: float | None = None,
    bound: bool = True,
    progress: Callable[[float], None] | None = None,
) -> ToolpathOutcome:
    """Read an uploaded G-code/SVG drawing, re-order it with ``method`` and return the report, plot and G-code.

    With ``bound``, a lower bound on travel is proved as well (at most ``time_limit_s`` more), so the page can
    show how far from optimal the new order can be.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in DRAWING_SUFFIXES:
        allowed = ", ".join(DRAWING_SUFFIXES)
        raise DrawingError(f"{file_name}: unsupported file type {suffix or '(none)'!r}; use one of {allowed}")
    if feed_mm_min <= 0:
        raise DrawingError(f"feed rate must be positive, got {feed_mm_min} mm/min")
    if time_limit_s is not None and time_limit_s <= 0:
        raise DrawingError(f"time limit must be positive, got {time_limit_s} s")
    from batik_studio.toolpath.io import read_drawing, write_gcode
    from batik_studio.toolpath.model import Order
    from batik_studio.toolpath.report import plot_route, result_report
    from batik_studio.toolpath.solvers import SolveOptions, optimize

    stem = _safe_stem(file_name)
    with tempfile.TemporaryDirectory(prefix="batik-toolpath-") as tmp:
        source = Path(tmp) / f"{stem}{suffix}"
        source.write_bytes(data)
        try:
            document = read_drawing(source)
        except DrawingError as error:
            raise DrawingError(str(error).replace(str(source), file_name)) from error
        result = optimize(
            document.drawing,
            method,
            SolveOptions(time_limit_s=time_limit_s),
            progress=progress,
            draw_feed_mm_min=feed_mm_min,
            rapid_feed_mm_min=feed_mm_min,
            bound=bound,
            bound_time_limit_s=time_limit_s or BOUND_TIME_LIMIT_S,
        )
        report = result_report(result, document)
        plot = Path(tmp) / "route.png"
        plot_route(document.drawing, Order.identity(len(document.drawing)), result.order, plot)
        output = Path(tmp) / "optimised.gcode"
        write_gcode(document, result.order, output)
        return ToolpathOutcome(
            report=report,
            plot_png=plot.read_bytes(),
            gcode=output.read_bytes(),
            download_name=f"{stem}-optimised.gcode",
        )


__all__ = [
    "DRAWING_SUFFIXES",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_MB",
    "MAX_UPLOADS_PER_SESSION",
    "ToolpathOutcome",
    "classify_upload",
    "confidence_level",
    "model_name",
    "optimise_drawing",
]
