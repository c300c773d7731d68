"""Toolpath input and output: read a G-code, SVG or DXF drawing, write it back as G-code or SVG in a new order.

:func:`read_drawing` returns a :class:`Document` (the segments as a :class:`~batik_studio.toolpath.model.Drawing`
in machine coordinates, plus what the writer needs); :func:`write_gcode` and :func:`write_svg` write the
document's strokes in a given :class:`~batik_studio.toolpath.model.Order` (:func:`write_drawing` picks one by the
output's suffix). Reading fails with :class:`~batik_studio.errors.DrawingError` naming the file and the line
(G-code), element (SVG) or entity handle and layer (DXF); writing goes to a temporary file that is renamed only
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
    GcodeBoundary,
    GcodeProgram,
    GcodeSettings,
    Move,
    PenSettings,
    Placement,
    Stroke,
    place,
)
from batik_studio.toolpath.io.gcode import gcode_program_lines, read_gcode_lines, svg_program_lines
from batik_studio.toolpath.io.svg import read_svg, svg_text
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
    if path.suffix.lower() == ".dxf" or text.startswith((b"0\r\nsection", b"0\nsection", b"autocad binary dxf")):
        return "dxf"
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
    placement: Placement | None = None,
) -> Document:
    """Read a G-code, SVG or DXF drawing (told apart by content and suffix) into a :class:`Document`.

    Parameters
    ----------
    path
        The file to read.
    pen
        How pen-down is recognised in G-code (default: Z below 0).
    tolerance_mm
        Largest distance between an arc or curve and the polyline that stands for it.
    placement
        Orientation and position of SVG and DXF drawings on the machine (see :class:`Placement`); G-code is never
        moved, so a placement other than the default is refused for it.
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
    placement = placement or Placement()
    kind = _sniff_kind(source, head)
    if kind == "svg":
        drawing, page = read_svg(source, tolerance_mm=tolerance_mm, y_down=placement.y_down)
        return Document(place(drawing, placement), source, "svg", y_down=placement.y_down, page_mm=page)
    if kind == "dxf":
        from batik_studio.toolpath.io.dxf import read_dxf

        drawing = read_dxf(source, tolerance_mm=tolerance_mm, y_down=placement.y_down)
        return Document(place(drawing, placement), source, "dxf", y_down=placement.y_down)
    if placement.moves_drawing:
        raise DrawingError(
            f"{source}: G-code is drawn where it is; turning y down and moving the origin apply to SVG and DXF input",
            settings=("y_down", "origin"),
        )
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


def write_svg(document: Document, order: Order, path: str | os.PathLike[str]) -> Path:
    """Write ``document`` drawn in ``order`` as an SVG in millimetres (a layer per group), atomically."""
    text = svg_text(
        document.drawing,
        order,
        y_down=document.y_down,
        title=f"{document.source.name}, ordered",
        page_mm=document.page_mm,
    )
    write_text_atomically(path, text, inputs=[document.source])
    return Path(path)


def write_drawing(
    document: Document, order: Order, path: str | os.PathLike[str], *, settings: GcodeSettings | None = None
) -> Path:
    """Write SVG for an ``.svg`` path, else G-code (see :func:`write_gcode`)."""
    if Path(path).suffix.lower() == ".svg":
        return write_svg(document, order, path)
    return write_gcode(document, order, path, settings=settings)


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
    "GcodeBoundary",
    "GcodeProgram",
    "GcodeSettings",
    "Move",
    "PenSettings",
    "Placement",
    "Stroke",
    "gcode_lines",
    "place",
    "read_drawing",
    "write_drawing",
    "write_gcode",
    "write_svg",
]
