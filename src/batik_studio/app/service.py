"""What the pages do, without Streamlit: classify an upload and save it, optimise an uploaded drawing.

Each function takes bytes and a file name from an upload and returns plain data; errors are the project's own
exceptions, turned into messages by the page that called.
"""

from __future__ import annotations

import io
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
from batik_studio.toolpath.model import Drawing, Order

#: Largest upload accepted (bytes) and largest photo (pixels); the server refuses bigger uploads too.
MAX_UPLOAD_MB = 25
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
MAX_PIXELS = 50_000_000

#: Photos one browser session may classify: a stuck script or key cannot fill the history or hold the model.
MAX_UPLOADS_PER_SESSION = 200

#: Confidence at or above which a result reads "likely", and at or above which it reads "possibly".
LIKELY_AT = 0.8
POSSIBLY_AT = 0.5

#: File endings the toolpath page accepts.
DRAWING_SUFFIXES = (".gcode", ".nc", ".ngc", ".tap", ".svg", ".dxf")


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


@dataclass(frozen=True, eq=False)
class ToolpathOutcome:
    """One optimised upload: the report figures, the before/after plot (PNG), the new file and the ordered drawing.

    ``drawing`` and ``order`` let the page step through the route; ``y_down`` says how to show it as drawn.
    """

    report: dict[str, Any]
    plot_png: bytes
    output: bytes
    download_name: str
    mime: str
    drawing: Drawing
    order: Order
    y_down: bool = False


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
    output_kind: str = "gcode",
    merge_tolerance_mm: float | None = None,
    dedupe_mm: float | None = None,
    y_down: bool = False,
) -> ToolpathOutcome:
    """Read an uploaded G-code/SVG/DXF drawing, order it group by group and return the report, plot and new file.

    This is :func:`~batik_studio.toolpath.pipeline.optimise_file`, as the command line runs it, on the upload.
    ``output_kind`` is ``"gcode"`` or ``"svg"``. With ``bound``, a lower bound on travel is proved as well (at
    most ``time_limit_s`` more), so the page can show how far from optimal the new order can be.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in DRAWING_SUFFIXES:
        allowed = ", ".join(DRAWING_SUFFIXES)
        raise DrawingError(f"{file_name}: unsupported file type {suffix or '(none)'!r}; use one of {allowed}")
    if output_kind not in ("gcode", "svg"):
        raise DrawingError(f"output must be 'gcode' or 'svg', got {output_kind!r}")
    from batik_studio.toolpath.io import GcodeSettings, Placement
    from batik_studio.toolpath.pipeline import PipelineSettings, optimise_file
    from batik_studio.toolpath.solvers import SolveOptions

    if feed_mm_min <= 0:
        raise DrawingError(f"feed rate must be positive, got {feed_mm_min} mm/min")
    if time_limit_s is not None and time_limit_s <= 0:
        raise DrawingError(f"time limit must be positive, got {time_limit_s} s")
    settings = PipelineSettings(
        method=method,
        options=SolveOptions(time_limit_s=time_limit_s),
        bound=bound,
        draw_feed_mm_min=feed_mm_min,
        rapid_feed_mm_min=feed_mm_min,
        placement=Placement(y_down=y_down) if suffix in (".svg", ".dxf") else Placement(),
        merge_tolerance_mm=merge_tolerance_mm,
        dedupe_mm=dedupe_mm,
        gcode=GcodeSettings(draw_feed_mm_min=feed_mm_min),
    )
    stem = _safe_stem(file_name)
    ending = ".svg" if output_kind == "svg" else ".gcode"
    with tempfile.TemporaryDirectory(prefix="batik-toolpath-") as tmp:
        source = Path(tmp) / f"{stem}{suffix}"
        source.write_bytes(data)
        output, plot = Path(tmp) / f"optimised{ending}", Path(tmp) / "route.png"
        try:
            outcome = optimise_file(source, settings, output=output, plot=plot, progress=progress)
        except DrawingError as error:
            raise DrawingError(str(error).replace(str(source), file_name)) from error
        return ToolpathOutcome(
            report=outcome.report,
            plot_png=plot.read_bytes(),
            output=output.read_bytes(),
            download_name=f"{stem}-optimised{ending}",
            mime="image/svg+xml" if output_kind == "svg" else "text/x-gcode",
            drawing=outcome.document.drawing,
            order=outcome.result.order,
            y_down=outcome.document.y_down,
        )


def route_step_png(outcome: ToolpathOutcome, strokes: int) -> bytes:
    """A PNG of the route after the first ``strokes`` strokes: drawn so far, travel so far, the next one marked."""
    from batik_studio.toolpath.report import route_step_figure

    buffer = io.BytesIO()
    route_step_figure(outcome.drawing, outcome.order, strokes, y_down=outcome.y_down).savefig(buffer, format="png")
    return buffer.getvalue()


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
    "route_step_png",
]
