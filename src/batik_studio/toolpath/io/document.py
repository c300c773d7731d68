"""What a read drawing is: the segments to order plus what the G-code writer needs to draw them again."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from batik_studio.errors import DrawingError
from batik_studio.toolpath.model import Drawing

#: A G-code line that holds only comments.
_COMMENT_ONLY = re.compile(r"\s*(?:\([^()]*\)\s*|;.*)*")

#: Coordinates further than this from zero (mm) are not a drawing but a broken file.
MAX_COORDINATE_MM = 1e6

#: Millimetres per inch (G20 and SVG ``in`` units).
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PenSettings:
    """How the G-code reader tells pen down from pen up.

    By default the pen is down while Z is below ``z_threshold_mm`` (the examples lower the pen to Z -1 and lift
    it to Z 5). When ``down_command`` and ``up_command`` are given (for example ``"M3"`` and ``"M5"``), a line
    holding every word of one of them lowers or lifts the pen and Z is ignored.
    """

    z_threshold_mm: float = 0.0
    down_command: str | None = None
    up_command: str | None = None

    def __post_init__(self) -> None:
        if (self.down_command is None) != (self.up_command is None):
            raise DrawingError("give both a pen-down and a pen-up command, or neither (then Z decides)")
        for command in (self.down_command, self.up_command):
            if command is not None and not command.strip():
                raise DrawingError("pen commands must not be empty")
        if self.down_command is not None and self.down_command.strip().upper() == self.up_command.strip().upper():
            raise DrawingError(f"pen-down and pen-up commands must differ, both are {self.down_command!r}")


@dataclass(frozen=True)
class Placement:
    """Where an SVG or DXF drawing lands on the machine (G-code is never moved).

    By default y points up with the origin at the page's lower-left corner (SVG) or at the drawing's own origin
    (DXF), so the motif on the cloth looks as it does on screen on a y-up machine. ``y_down`` keeps SVG
    coordinates (y downwards from the top-left corner) for top-left-origin plotters (a DXF is mirrored to match).
    ``origin`` moves the drawing so that the corner of its bounding box nearest the machine origin (lower-left,
    or top-left with ``y_down``) or, with ``anchor="centre"``, its centre lies at that machine point (mm).
    """

    y_down: bool = False
    origin: tuple[float, float] | None = None
    anchor: Literal["corner", "centre"] = "corner"

    def __post_init__(self) -> None:
        if self.anchor not in ("corner", "centre"):
            raise DrawingError(f"the anchor must be 'corner' or 'centre', got {self.anchor!r}")
        if self.origin is not None and not all(abs(float(v)) <= MAX_COORDINATE_MM for v in self.origin):
            raise DrawingError(f"origin {self.origin} is not a machine point within {MAX_COORDINATE_MM:g} mm")

    @property
    def moves_drawing(self) -> bool:
        """Whether this placement asks for anything but the default."""
        return self.y_down or self.origin is not None


def place(drawing: Drawing, placement: Placement) -> Drawing:
    """``drawing`` moved so that its corner (or centre) lies at ``placement.origin``; unchanged without one."""
    if placement.origin is None or not len(drawing):
        return drawing
    every = np.concatenate(drawing.paths)
    low, high = every.min(axis=0), every.max(axis=0)
    anchor = low if placement.anchor == "corner" else (low + high) / 2
    shift = np.asarray(placement.origin, dtype=np.float64) - anchor
    paths = tuple(path + shift for path in drawing.paths)
    return Drawing(paths, drawing.origin, drawing.group_sizes, drawing.group_names)


@dataclass(frozen=True)
class GcodeSettings:
    """How :func:`~batik_studio.toolpath.io.write_gcode` writes pen moves.

    ``pen_up`` / ``pen_down`` are whole G-code lines; ``None`` keeps the input's own lines for G-code input and
    uses ``G0 Z5`` / ``G1 Z-1 F500`` for SVG input. ``draw_feed_mm_min`` is the drawing feed of strokes read from
    SVG (G-code strokes keep their own F words). ``return_to_origin`` ends SVG-made programs with a rapid move
    back to the origin (G-code input keeps its own footer).
    """

    pen_up: str | None = None
    pen_down: str | None = None
    draw_feed_mm_min: float = 500.0
    return_to_origin: bool = True

    def __post_init__(self) -> None:
        if not self.draw_feed_mm_min > 0:
            raise DrawingError(f"the drawing feed must be positive (mm/min), got {self.draw_feed_mm_min}")
        for line in (self.pen_up, self.pen_down):
            if line is not None and (not line.strip() or "\n" in line):
                raise DrawingError(f"pen commands must be one non-empty line, got {line!r}")


@dataclass(frozen=True, eq=False)
class Move:
    """One drawing command of a stroke, in millimetres and absolute coordinates.

    ``motion`` is 0 or 1 (straight) or 2 / 3 (clockwise / counter-clockwise arc about ``center``). ``radius``
    is the signed R word (mm) when the arc was written in R form, else ``None``. ``z`` is the Z at the end of
    the move, ``feed`` the F in force (in the file's units per minute, ``None`` if never set). ``points`` is how
    many points the move adds to the segment's flattened polyline (1 for a straight move). ``after`` holds the
    lines (dwells, valve or spindle words) that stood after the move inside the pen-down run, verbatim; they are
    written at the same vertex whichever way the stroke is drawn.
    """

    motion: int
    end: tuple[float, float]
    z: float | None
    feed: float | None
    center: tuple[float, float] | None = None
    radius: float | None = None
    points: int = 1
    after: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Stroke:
    """The original commands of one pen-down run: where it starts, its moves and the lines that lowered the pen.

    ``start_after`` are lines to run at the start point once the pen is down (set when a stroke that had lines
    after its last move is drawn backwards).
    """

    start: tuple[float, float]
    start_z: float | None
    moves: tuple[Move, ...]
    pen_down: tuple[str, ...]
    start_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class GcodeBoundary:
    """What stood between two groups of strokes in a G-code file, written again where the next group starts.

    ``lines`` are verbatim (tool changes, pauses, valve and spindle words, dwells, comments; pen-up travel moves
    are left out, the writer travels by itself). ``line_number`` is where the first of them stood (1-based),
    ``relative`` whether G91 was in force after them (the writer then restores G90).
    """

    lines: tuple[str, ...]
    line_number: int
    relative: bool = False

    @property
    def commands(self) -> tuple[str, ...]:
        """The lines that make the machine do something (not comments alone)."""
        return tuple(line for line in self.lines if _COMMENT_ONLY.fullmatch(line) is None)


@dataclass(frozen=True, eq=False)
class GcodeProgram:
    """Everything of a G-code file around its strokes: header and footer lines (verbatim) and modal state.

    ``units`` is the unit of the strokes (``"mm"`` or ``"inch"``; the body is written in it). ``header_relative``
    and ``footer_relative`` say whether G91 was in force where the header ends and the footer starts (the body is
    written absolute, G90, in between). ``pen_up`` is the line used to lift the pen before each travel move.
    ``boundaries[g - 1]`` is what stands before group ``g`` of the drawing (group 0 follows the header).
    """

    header: tuple[str, ...]
    footer: tuple[str, ...]
    strokes: tuple[Stroke, ...]
    units: Literal["mm", "inch"]
    header_relative: bool
    footer_relative: bool
    pen_up: str
    boundaries: tuple[GcodeBoundary, ...] = ()


@dataclass(frozen=True, eq=False)
class Document:
    """A drawing read from a file: the segments to order (``drawing``) and, for G-code, the original program.

    ``drawing.paths[i]`` is the flattened polyline of ``program.strokes[i]`` (G-code) or of the i-th SVG subpath
    or DXF entity, in machine coordinates. ``y_down`` says the coordinates were kept with y downwards (SVG
    ``--y-down``), so a picture must flip them to show the drawing as drawn. ``page_mm`` is the SVG's page
    (width, height), kept for SVG output.
    """

    drawing: Drawing
    source: Path
    kind: Literal["gcode", "svg", "dxf"]
    program: GcodeProgram | None = None
    y_down: bool = False
    page_mm: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if (self.kind == "gcode") != (self.program is not None):
            raise ValueError("a G-code document needs its program, SVG and DXF documents have none")
        if self.program is not None and len(self.program.strokes) != len(self.drawing):
            raise ValueError("one stroke per segment is required")
        if self.program is not None and len(self.program.boundaries) != len(self.drawing.group_sizes) - 1:
            raise ValueError("one boundary before every group but the first is required")

    def merge_groups(self) -> Document:
        """The same strokes as one group; refused when machine commands stand between the groups."""
        if len(self.drawing.group_sizes) <= 1:
            return self
        program = self.program
        if program is not None:
            for boundary in program.boundaries:
                if boundary.commands:
                    raise DrawingError(
                        f"{self.source}: line {boundary.line_number}: {boundary.commands[0].strip()!r} stands "
                        "between two groups of strokes; merging the groups would move or lose it, so order them "
                        "separately (do not merge the groups) or remove the command from the file",
                        settings=("merge_groups",),
                    )
            program = replace(program, boundaries=())
        return replace(self, drawing=self.drawing.merged(), program=program)


__all__ = [
    "MAX_COORDINATE_MM",
    "MM_PER_INCH",
    "Document",
    "GcodeBoundary",
    "GcodeProgram",
    "GcodeSettings",
    "Move",
    "PenSettings",
    "Placement",
    "Stroke",
    "place",
]
