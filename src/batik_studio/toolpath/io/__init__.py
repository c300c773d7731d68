"""Toolpath input and output: read a G-code or SVG drawing, write it back as G-code in a new order.

:func:`read_drawing` returns a :class:`Document` (the segments as a :class:`~batik_studio.toolpath.model.Drawing`
plus what the writer needs); :func:`write_gcode` writes the document's strokes in a given
:class:`~batik_studio.toolpath.model.Order`. Reading fails with :class:`~batik_studio.errors.DrawingError`
naming the file and the line (G-code) or element (SVG); writing goes to a temporary file that is renamed only
when complete, so an interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import os
from pathlib import Path

from batik_studio.atomic import input_file_size, write_text_atomically
from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import (
    MAX_COORDINATE_MM,
    Document,
    GcodeProgram,
    GcodeSettings,
    Move,
    PenSettings,
    Stroke,
)
from batik_studio.toolpath.io.gcode import gcode_program_lines, read_gcode_lines, svg_program_lines
from batik_studio.toolpath.io.svg import read_svg
from batik_studio.toolpath.model import Order

#: Default flattening tolerance for arcs and curves (mm): the largest distance between curve and polyline.
DEFAULT_TOLERANCE_MM = 0.05

#: Default SVG pen commands: lift to Z 5, lower to Z -1 at the drawing feed.
SVG_PEN_UP = "G0 Z5"
SVG_PEN_DOWN = "G1 Z-1 F500"

_MAX_BYTES = 500_000_000


def _sniff_kind(path: Path, head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", errors="ignore").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!doctype svg", b"<!--")) or path.suffix.lower() in (".svg", ".svgz"):
        return "svg"
    return "gcode"


def _read_text(path: Path) -> list[str]:
    """The lines of a text file: UTF-8 (with or without a byte-order mark) or UTF-16 with one; any line ends."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").splitlines()
        except UnicodeDecodeError:
            raise DrawingError(f"{path}: starts like UTF-16 text but is not; expected G-code or SVG") from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DrawingError(f"{path}: line {line}: binary data (NUL byte); not a G-code or SVG text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DrawingError(f"{path}: line {line}: not UTF-8 text (binary junk?); expected G-code or SVG") from None
    return text.splitlines()


def read_drawing(
    path: str | os.PathLike[str],
    *,
    pen: PenSettings | None = None,
    tolerance_mm: float = DEFAULT_TOLERANCE_MM,
) -> Document:
    """Read a G-code or SVG drawing (told apart by content and suffix) into a :class:`Document`.

    Parameters
    ----------
    path
        The file to read.
    pen
        How pen-down is recognised in G-code (default: Z below 0).
    tolerance_mm
        Largest distance between an arc or curve and the polyline that stands for it.
    """
    source = Path(path)
    if not tolerance_mm > 0:
        raise DrawingError(f"the flattening tolerance must be positive (mm), got {tolerance_mm}")
    size = input_file_size(source, DrawingError)
    if size > _MAX_BYTES:
        raise DrawingError(f"{source}: file is larger than {_MAX_BYTES // 1_000_000} MB")
    if size == 0:
        raise DrawingError(f"{source}: empty file; expected G-code or SVG")
    with source.open("rb") as handle:
        head = handle.read(512)
    if _sniff_kind(source, head) == "svg":
        return Document(read_svg(source, tolerance_mm=tolerance_mm), source, "svg")
    drawing, program = read_gcode_lines(_read_text(source), source, pen=pen or PenSettings(), tolerance_mm=tolerance_mm)
    return Document(drawing, source, "gcode", program)


def gcode_lines(document: Document, order: Order, *, settings: GcodeSettings | None = None) -> list[str]:
    """The G-code lines that draw ``document`` in ``order`` (what :func:`write_gcode` writes)."""
    settings = settings or GcodeSettings()
    if document.program is not None:
        return gcode_program_lines(
            document.drawing, document.program, order, pen_up=settings.pen_up, pen_down=settings.pen_down
        )
    return svg_program_lines(
        document.drawing,
        order,
        name=document.source.name,
        pen_up=settings.pen_up or SVG_PEN_UP,
        pen_down=settings.pen_down or SVG_PEN_DOWN,
        feed_mm_min=settings.draw_feed_mm_min,
        home=settings.return_to_origin,
    )


def write_gcode(
    document: Document, order: Order, path: str | os.PathLike[str], *, settings: GcodeSettings | None = None
) -> Path:
    """Write ``document`` drawn in ``order`` to ``path`` atomically (temporary file, then rename); return the path."""
    lines = gcode_lines(document, order, settings=settings)
    write_text_atomically(path, "\n".join(lines) + "\n", inputs=[document.source])
    return Path(path)


__all__ = [
    "DEFAULT_TOLERANCE_MM",
    "MAX_COORDINATE_MM",
    "SVG_PEN_DOWN",
    "SVG_PEN_UP",
    "Document",
    "GcodeProgram",
    "GcodeSettings",
    "Move",
    "PenSettings",
    "Stroke",
    "gcode_lines",
    "read_drawing",
    "write_gcode",
]
