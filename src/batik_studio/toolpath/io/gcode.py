"""Read G-code into strokes (one per pen-down run) and write the strokes back in a new order.

The reader understands what Mach3, LinuxCNC, grbl and Inkscape gcodetools write for pen plotters and CNC
canting machines: G0/G1 moves, G2/G3 arcs in the XY plane (I/J or R form), G20/G21 units, G90/G91 distance
modes, line numbers, F words and comments in ``( )`` or after ``;``. Every stroke keeps its original moves, so
the writer draws exactly the same strokes; a stroke drawn backwards has its moves in reverse, arcs with G2/G3
swapped and I/J recomputed from the new start (R words keep their value: a reversed arc has the same radius and
the same sweep).

Lines before the first stroke (the header) and after the last one (the footer) are copied verbatim, except
pen-up XY travel moves in the header, which the writer replaces by its own travel moves. Lines between strokes
(travel moves, comments) are not copied. The body is written in the units of the strokes and in absolute
coordinates (``G90``, restored to ``G91`` before the footer if the input was relative there).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import (
    MAX_COORDINATE_MM,
    MM_PER_INCH,
    GcodeProgram,
    Move,
    PenSettings,
    Stroke,
)
from batik_studio.toolpath.model import Drawing, Order, oriented_path

#: An arc whose end radius differs from its start radius by more than this (mm) *and* by more than
#: :data:`ARC_RADIUS_REL_TOL` of the radius is refused (the rule LinuxCNC applies).
ARC_RADIUS_TOL_MM = 0.05
ARC_RADIUS_REL_TOL = 0.001

_WORD = re.compile(r"([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))")
_PAREN_COMMENT = re.compile(r"\([^()]*\)")
_LINE_NUMBER = re.compile(r"^\s*[Nn]\s*\d+\s*")
_LETTERS_IGNORED = set("NOSTPDHLQK")
_LETTERS_AXES = set("XYZIJRF")
_G_IGNORED = {4.0, 17.0, 40.0, 49.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 61.0, 61.1, 64.0, 80.0, 91.1, 94.0}
_G_SUPPORTED = "G0-G3, G4, G17, G20, G21, G28, G30, G40, G49, G54-G59, G61, G64, G80, G90, G91, G91.1, G94"


def _fail(source: Path, number: int, message: str) -> DrawingError:
    return DrawingError(f"{source}: line {number}: {message}")


def _strip_comments(raw: str, source: Path, number: int) -> str:
    code = _PAREN_COMMENT.sub(" ", raw).split(";", 1)[0]
    if "(" in code or ")" in code:
        raise _fail(source, number, f"unclosed comment in {raw.strip()!r}")
    code = code.strip().upper()
    return code[1:].strip() if code.startswith("/") else code


def _parse_words(code: str, source: Path, number: int) -> list[tuple[str, float]]:
    words = [(m.group(1), float(m.group(2))) for m in _WORD.finditer(code)]
    rest = _WORD.sub("", code).strip()
    if rest:
        hint = " (truncated file?)" if re.fullmatch(r"[A-Z]", rest) else ""
        raise _fail(source, number, f"not G-code: cannot read {rest[:40]!r} in {code[:60]!r}{hint}")
    return words


def _command_words(command: str) -> frozenset[tuple[str, float]]:
    code = _PAREN_COMMENT.sub(" ", command).split(";", 1)[0].strip().upper()
    words = [(m.group(1), float(m.group(2))) for m in _WORD.finditer(code)]
    if not words or _WORD.sub("", code).strip():
        raise DrawingError(f"pen command {command!r} is not a G-code word list such as 'M3' or 'M280 P0 S50'")
    return frozenset(words)


def _reusable(raw: str) -> str:
    """A pen line as it is repeated before every stroke: verbatim but without its line number."""
    return _LINE_NUMBER.sub("", raw.rstrip("\r\n"))


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _arc_center_from_radius(
    start: np.ndarray, end: np.ndarray, radius: float, clockwise: bool, source: Path, number: int
) -> np.ndarray:
    """Centre of an R-form arc, as grbl and LinuxCNC compute it (negative R: the arc is more than half a turn)."""
    dx, dy = end - start
    chord = math.hypot(dx, dy)
    if chord < 1e-9:
        raise _fail(source, number, "an arc in R form needs distinct start and end points")
    excess = 4.0 * radius * radius - chord * chord
    if excess < 0:
        if chord - 2 * abs(radius) > ARC_RADIUS_TOL_MM:
            raise _fail(source, number, f"arc radius R {abs(radius):g} mm is too small for a {chord:g} mm chord")
        excess = 0.0
    h = -math.sqrt(excess) / chord
    if not clockwise:
        h = -h
    if radius < 0:
        h = -h
    return start + 0.5 * np.array([dx - dy * h, dy + dx * h])


def flatten_arc(
    start: np.ndarray, end: np.ndarray, center: np.ndarray, clockwise: bool, tolerance_mm: float
) -> np.ndarray:
    """Points along an XY arc (start excluded, end included) that stay within ``tolerance_mm`` of it.

    Start and end points that coincide make a full circle. When the two radii differ slightly, the radius
    changes linearly along the sweep so the last point is exactly ``end``.
    """
    r0 = float(np.hypot(*(start - center)))
    r1 = float(np.hypot(*(end - center)))
    a0 = math.atan2(start[1] - center[1], start[0] - center[0])
    a1 = math.atan2(end[1] - center[1], end[0] - center[0])
    sweep = a1 - a0
    full_turn = float(np.hypot(*(end - start))) < 1e-9
    if clockwise:
        sweep = -2 * math.pi if full_turn else sweep - 2 * math.pi if sweep >= 0 else sweep
    else:
        sweep = 2 * math.pi if full_turn else sweep + 2 * math.pi if sweep <= 0 else sweep
    radius = max(r0, r1)
    if radius <= tolerance_mm:
        count = 1 if not full_turn else 4
    else:
        step = 2 * math.acos(max(1 - tolerance_mm / radius, -1.0))
        count = max(1, math.ceil(abs(sweep) / step - 1e-9))
    t = np.arange(1, count + 1, dtype=np.float64) / count
    angles = a0 + sweep * t
    radii = r0 + (r1 - r0) * t
    points = center + radii[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    points[-1] = end
    return points


@dataclass
class _OpenStroke:
    start: tuple[float, float]
    start_z: float | None
    pen_down: list[str]
    moves: list[Move] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)


def read_gcode_lines(
    lines: list[str], source: Path, *, pen: PenSettings, tolerance_mm: float
) -> tuple[Drawing, GcodeProgram]:
    """Split G-code ``lines`` into strokes; raise :class:`DrawingError` naming ``source`` and the line on bad input."""
    down_words = _command_words(pen.down_command) if pen.down_command else None
    up_words = _command_words(pen.up_command) if pen.up_command else None
    scale = 1.0
    relative = False
    position = np.zeros(2)
    z: float | None = None
    motion: int | None = None
    feed: float | None = None
    down = False
    strokes: list[Stroke] = []
    paths: list[np.ndarray] = []
    current: _OpenStroke | None = None
    stroke_scale: float | None = None
    first_down: int | None = None
    header_relative = False
    dropped: set[int] = set()
    last_stroke_line = -1
    footer_relative = False
    pen_up_line: str | None = None

    def close_stroke() -> None:
        nonlocal current
        assert current is not None
        points = np.concatenate([np.array([current.start]), *current.points]) if current.points else None
        paths.append(points if points is not None else np.array([current.start]))
        strokes.append(Stroke(current.start, current.start_z, tuple(current.moves), tuple(current.pen_down)))
        current = None

    for index, raw in enumerate(lines):
        number = index + 1
        code = _strip_comments(raw, source, number)
        if not code or code == "%":
            continue
        words = _parse_words(code, source, number)
        values: dict[str, float] = {}
        homing = False
        for letter, value in words:
            if letter == "G":
                if value in (0.0, 1.0, 2.0, 3.0):
                    motion = int(value)
                elif value in (18.0, 19.0):
                    raise _fail(
                        source, number, f"G{value:g} selects another plane; only XY drawings (G17) are supported"
                    )
                elif value == 20.0:
                    scale = MM_PER_INCH
                elif value == 21.0:
                    scale = 1.0
                elif value == 90.0:
                    relative = False
                elif value == 91.0:
                    relative = True
                elif value in (28.0, 30.0):
                    homing = True
                elif value not in _G_IGNORED:
                    raise _fail(source, number, f"unsupported word 'G{value:g}'; supported: {_G_SUPPORTED}")
            elif letter in _LETTERS_AXES:
                if letter in values:
                    raise _fail(source, number, f"word {letter} appears twice")
                values[letter] = value
            elif letter != "M" and letter not in _LETTERS_IGNORED:
                raise _fail(source, number, f"unsupported word '{letter}{value:g}'; only X, Y and Z axes are supported")
        if "F" in values:
            feed = values["F"]
        for letter in "XYZIJR":
            if letter in values and abs(values[letter] * scale) > MAX_COORDINATE_MM:
                raise _fail(
                    source, number, f"{letter} {values[letter]:g} is absurd (more than {MAX_COORDINATE_MM:g} mm)"
                )
        if homing:
            if down:
                raise _fail(source, number, "G28/G30 homing with the pen down")
            position = np.zeros(2)
            continue
        target_z = z
        if "Z" in values:
            target_z = values["Z"] * scale + ((z or 0.0) if relative else 0.0)
        if down_words is not None:
            word_set = set(words)
            down_after = True if down_words <= word_set else False if up_words <= word_set else down
        else:
            down_after = target_z is not None and target_z < pen.z_threshold_mm
        is_arc = motion in (2, 3)
        moves_xy = "X" in values or "Y" in values or (is_arc and ("I" in values or "J" in values or "R" in values))
        if moves_xy and motion is None:
            raise _fail(source, number, "coordinates without a motion command (G0, G1, G2 or G3)")
        target = position.copy()
        for axis, letter in enumerate("XY"):
            if letter in values:
                target[axis] = values[letter] * scale + (position[axis] if relative else 0.0)

        if down_after and not down:
            if stroke_scale is not None and scale != stroke_scale:
                raise _fail(source, number, "units change (G20/G21) between strokes; use one unit for the drawing")
            stroke_scale = scale
            if first_down is None:
                first_down = index
                header_relative = relative
            verbatim = not moves_xy and not (relative and "Z" in values)
            if verbatim:
                pen_down = [_reusable(raw)]
            elif down_words is not None:
                pen_down = [pen.down_command]
            else:
                pen_down = [f"G1 Z{_fmt(target_z / scale)}" + (f" F{_fmt(feed)}" if feed is not None else "")]
            current = _OpenStroke((float(position[0]), float(position[1])), z if moves_xy else target_z, pen_down)
            last_stroke_line = index
        elif down_after and current is not None and not moves_xy and not current.moves:
            relative_z = relative and "Z" in values
            current.pen_down.append(f"G1 Z{_fmt(target_z / scale)}" if relative_z else _reusable(raw))
            current.start_z = target_z
            last_stroke_line = index

        if moves_xy:
            if down_after:
                assert current is not None
                if is_arc:
                    clockwise = motion == 2
                    if "R" in values:
                        if "I" in values or "J" in values:
                            raise _fail(source, number, "an arc takes either R or I/J, not both")
                        radius = values["R"] * scale
                        center = _arc_center_from_radius(position, target, radius, clockwise, source, number)
                    else:
                        if "I" not in values and "J" not in values:
                            raise _fail(source, number, "an arc (G2/G3) needs I/J or R")
                        radius = None
                        center = position + np.array([values.get("I", 0.0), values.get("J", 0.0)]) * scale
                    r0 = float(np.hypot(*(position - center)))
                    r1 = float(np.hypot(*(target - center)))
                    if abs(r0 - r1) > ARC_RADIUS_TOL_MM and abs(r0 - r1) > ARC_RADIUS_REL_TOL * max(r0, r1):
                        raise _fail(
                            source,
                            number,
                            f"arc radius is {r0:.4f} mm at the start but {r1:.4f} mm at the end "
                            f"(allowed difference {ARC_RADIUS_TOL_MM} mm or {ARC_RADIUS_REL_TOL:.1%})",
                        )
                    points = flatten_arc(position, target, center, clockwise, tolerance_mm)
                    move = Move(
                        motion,
                        (float(target[0]), float(target[1])),
                        target_z,
                        feed,
                        (float(center[0]), float(center[1])),
                        radius,
                        len(points),
                    )
                else:
                    points = target[None, :].copy()
                    move = Move(motion, (float(target[0]), float(target[1])), target_z, feed)
                current.moves.append(move)
                current.points.append(points)
                last_stroke_line = index
            elif first_down is None and {letter for letter, _ in words} <= {"G", "N", "X", "Y", "Z", "F"}:
                dropped.add(index)
            position = target
        z = target_z
        if down and not down_after:
            close_stroke()
            if pen_up_line is None:
                if not moves_xy and not (relative and "Z" in values):
                    pen_up_line = _reusable(raw)
                elif up_words is not None:
                    pen_up_line = pen.up_command
                else:
                    pen_up_line = f"G0 Z{_fmt(target_z / scale)}"
        if last_stroke_line == index:
            footer_relative = relative
        down = down_after

    if down:
        raise _fail(source, len(lines), "the file ends with the pen down in the middle of a stroke (truncated file?)")
    if not strokes:
        rule = f"lines holding {pen.down_command!r}" if pen.down_command else f"Z below {pen.z_threshold_mm:g} mm"
        raise DrawingError(f"{source}: empty drawing: no pen-down moves found (pen down means {rule})")
    header = tuple(raw.rstrip("\r\n") for i, raw in enumerate(lines[:first_down]) if i not in dropped)
    footer = tuple(raw.rstrip("\r\n") for raw in lines[last_stroke_line + 1 :])
    if pen_up_line is None:
        pen_up_line = pen.up_command if pen.up_command else f"G0 Z{_fmt(max(pen.z_threshold_mm, 0.0) + 5.0)}"
    program = GcodeProgram(
        header=header,
        footer=footer,
        strokes=tuple(strokes),
        units="inch" if stroke_scale == MM_PER_INCH else "mm",
        header_relative=header_relative,
        footer_relative=footer_relative,
        pen_up=pen_up_line,
    )
    return Drawing(tuple(paths)), program


def _rotate(stroke: Stroke, path: np.ndarray, vertex: int) -> Stroke:
    """The closed ``stroke`` started at polyline ``vertex`` of its flattened ``path`` (an arc is split there)."""
    bounds = np.cumsum([0] + [move.points for move in stroke.moves])
    j = int(np.searchsorted(bounds, vertex, side="right")) - 1
    if bounds[j] == vertex:
        start_move = stroke.moves[j - 1] if j else None
        start = start_move.end if start_move else stroke.start
        start_z = start_move.z if start_move else stroke.start_z
        return Stroke(start, start_z, stroke.moves[j:] + stroke.moves[:j], stroke.pen_down)
    move = stroke.moves[j]
    point = (float(path[vertex][0]), float(path[vertex][1]))
    first = Move(move.motion, point, move.z, move.feed, move.center, None, vertex - int(bounds[j]))
    second = Move(move.motion, move.end, move.z, move.feed, move.center, None, int(bounds[j + 1]) - vertex)
    moves = (second, *stroke.moves[j + 1 :], *stroke.moves[:j], first)
    return Stroke(point, move.z, moves, stroke.pen_down)


def _reverse(stroke: Stroke) -> Stroke:
    """The same stroke drawn from its last point to its first: moves backwards, arcs with G2/G3 swapped."""
    vertices = [stroke.start] + [move.end for move in stroke.moves]
    heights = [stroke.start_z] + [move.z for move in stroke.moves]
    moves = tuple(
        Move(
            {2: 3, 3: 2}.get(move.motion, move.motion),
            vertices[k],
            heights[k],
            move.feed,
            move.center,
            move.radius,
            move.points,
        )
        for k, move in reversed(list(enumerate(stroke.moves)))
    )
    return Stroke(vertices[-1], heights[-1], moves, stroke.pen_down)


def _stroke_lines(stroke: Stroke, scale: float) -> list[str]:
    """G-code lines drawing ``stroke`` (the pen is already down at its start)."""
    lines = []
    x, y = stroke.start
    z = stroke.start_z
    feed: float | None = None
    for move in stroke.moves:
        ex, ey = move.end
        words = [f"G{move.motion}", f"X{_fmt(ex / scale)}", f"Y{_fmt(ey / scale)}"]
        if move.z is not None and move.z != z:
            words.append(f"Z{_fmt(move.z / scale)}")
        if move.motion in (2, 3):
            if move.radius is not None:
                words.append(f"R{_fmt(move.radius / scale)}")
            else:
                cx, cy = move.center
                words += [f"I{_fmt((cx - x) / scale)}", f"J{_fmt((cy - y) / scale)}"]
        if move.feed is not None and move.feed != feed:
            words.append(f"F{_fmt(move.feed)}")
            feed = move.feed
        lines.append(" ".join(words))
        x, y, z = ex, ey, move.z
    return lines


def gcode_program_lines(
    drawing: Drawing, program: GcodeProgram, order: Order, *, pen_up: str | None, pen_down: str | None
) -> list[str]:
    """The lines of ``program`` with its strokes drawn in ``order`` (see the module docstring for what is kept)."""
    order.check(drawing)
    scale = MM_PER_INCH if program.units == "inch" else 1.0
    lines = list(program.header)
    if program.header_relative:
        lines.append("G90 (absolute coordinates for the re-ordered strokes)")
    up = pen_up if pen_up is not None else program.pen_up
    for segment in order.sequence:
        stroke = program.strokes[segment]
        if order.entry_vertex[segment]:
            stroke = _rotate(stroke, drawing.paths[segment], int(order.entry_vertex[segment]))
        if order.reversed[segment]:
            stroke = _reverse(stroke)
        x, y = stroke.start
        lines.append(up)
        lines.append(f"G0 X{_fmt(x / scale)} Y{_fmt(y / scale)}")
        lines.extend([pen_down] if pen_down is not None else stroke.pen_down)
        lines.extend(_stroke_lines(stroke, scale))
    if program.footer_relative:
        lines.append("G91 (relative coordinates again, as in the input)")
    lines.extend(program.footer)
    return lines


def svg_program_lines(
    drawing: Drawing, order: Order, *, name: str, pen_up: str, pen_down: str, feed_mm_min: float, home: bool
) -> list[str]:
    """A complete absolute-millimetre program drawing the polylines of ``drawing`` in ``order``."""
    lines = [f"(Batik Studio: {len(drawing)} strokes of {name})", "G21", "G90", "G17"]
    travel = [pen_up]
    for segment in order.sequence:
        path = oriented_path(drawing, order, int(segment))
        lines += travel
        lines.append(f"G0 X{_fmt(path[0][0])} Y{_fmt(path[0][1])}")
        lines.append(pen_down)
        if len(path) > 1:
            text = [f"G1 X{_fmt(x)} Y{_fmt(y)}" for x, y in path[1:]]
            text[0] += f" F{_fmt(feed_mm_min)}"
            lines += text
    lines.append(pen_up)
    if home:
        lines.append(f"G0 X{_fmt(drawing.origin[0])} Y{_fmt(drawing.origin[1])}")
    lines.append("M2")
    return lines
