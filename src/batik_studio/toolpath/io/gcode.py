"""Read G-code into strokes (one per pen-down run) and write the strokes back in a new order.

The reader understands what Mach3, LinuxCNC, grbl and Inkscape gcodetools write for pen plotters and CNC
canting machines: G0/G1 moves, G2/G3 arcs in the XY plane (I/J or R form), G20/G21 units, G90/G91 distance
modes, line numbers, F words and comments in ``( )`` or after ``;``. Every stroke keeps its original moves, so
the writer draws exactly the same strokes; a stroke drawn backwards has its moves in reverse, arcs with G2/G3
swapped and I/J recomputed from the new start (R words keep their value: a reversed arc has the same radius and
the same sweep).

Lines before the first stroke (the header) and after the last one (the footer) are copied verbatim, except
pen-up XY travel moves in the header, which the writer replaces by its own travel moves. Lines between strokes
that make the machine do something (tool changes ``T.. M6``, pauses ``M0``/``M1``, valve and spindle words,
dwells ``G4``, homing, work offsets, any M, T or S word) and comments of the form ``(layer: NAME)`` end a *group*:
the strokes before them are ordered apart from those after, and the lines (with the comments around them) are
written again, verbatim, where the next group starts. Lines inside a pen-down run that are not moves (a dwell
or valve word between two moves) stay at their vertex. Other lines between strokes (travel moves, lone
comments) are not copied. Before every stroke the writer lifts the pen, travels to the stroke's
start and lowers the pen; after the last stroke it lifts the pen once more before the footer. The body is written
in the units of the strokes and in absolute coordinates (``G90``, restored to ``G91`` before the footer if the
input was relative there).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import (
    MAX_COORDINATE_MM,
    MM_PER_INCH,
    GcodeBoundary,
    GcodeProgram,
    Move,
    PenSettings,
    Stroke,
)
from batik_studio.toolpath.model import Drawing, Order, keeps_groups, oriented_path

#: An arc whose end radius differs from its start radius by more than this (mm) *and* by more than
#: :data:`ARC_RADIUS_REL_TOL` of the radius is refused (the rule LinuxCNC applies).
ARC_RADIUS_TOL_MM = 0.05
ARC_RADIUS_REL_TOL = 0.001

#: No arc is cut into more chords than this, whatever the tolerance, and no drawing into more points in all.
_MAX_ARC_POINTS = 100_000
MAX_ARC_POINTS_TOTAL = 5_000_000

_WORD = re.compile(r"([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))")
_PAREN_COMMENT = re.compile(r"\([^()]*\)")
_SPACE = re.compile(r"\s+")
_LINE_NUMBER = re.compile(r"^\s*[Nn]\s*\d+\s*")
_LETTERS_IGNORED = set("NOSTPDHLQK")
_LETTERS_AXES = set("XYZIJRF")
_G_IGNORED = {4.0, 17.0, 40.0, 49.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 61.0, 61.1, 64.0, 80.0, 91.1, 94.0}
#: G words that only set a mode or move; any other word between strokes is a machine command.
_G_PLAIN = {0.0, 1.0, 2.0, 3.0, 17.0, 20.0, 21.0, 40.0, 49.0, 61.0, 61.1, 64.0, 80.0, 90.0, 91.0, 91.1, 94.0}
#: Words that name the group they start better than other commands: a tool change or a pause.
_NAMES_GROUP = re.compile(r"(?<![A-Z])(?:T\s*\d|M\s*0*[016](?!\d))", re.IGNORECASE)
_LAYER_COMMENT = re.compile(r"\(\s*layer\s*:\s*(?P<name>[^()]*?)\s*\)", re.IGNORECASE)
_G_SUPPORTED = "G0-G3, G4, G17, G20, G21, G28, G30, G40, G49, G54-G59, G61, G64, G80, G90, G91, G91.1, G94"


def _fail(source: Path, number: int, message: str, settings: tuple[str, ...] = ()) -> DrawingError:
    return DrawingError(f"{source}: line {number}: {message}", settings=settings)


def _strip_comments(raw: str, source: Path, number: int) -> str:
    code = raw
    while "(" in code and _PAREN_COMMENT.search(code):
        code = _PAREN_COMMENT.sub(" ", code)
    code = code.split(";", 1)[0]
    if "(" in code or ")" in code:
        raise _fail(source, number, f"unclosed comment in {raw.strip()!r}")
    code = code.strip().upper()
    return code[1:].strip() if code.startswith("/") else code


@functools.lru_cache(maxsize=4096)
def _words_of(code: str) -> tuple[tuple[str, float], ...] | None:
    """The (letter, value) words of a comment-free line, or None if anything else is in it (pen lines repeat)."""
    found = _WORD.findall(code)
    if sum(len(letter) + len(number_text) for letter, number_text in found) != len(_SPACE.sub("", code)):
        return None
    return tuple((letter, float(number_text)) for letter, number_text in found)


def _parse_words(code: str, source: Path, number: int) -> tuple[tuple[str, float], ...]:
    words = _words_of(code)
    if words is not None:
        return words
    rest = _WORD.sub("", code).strip()
    if rest:
        hint = " (truncated file?)" if re.fullmatch(r"[A-Z]", rest) else ""
        raise _fail(source, number, f"not G-code: cannot read {rest[:40]!r} in {code[:60]!r}{hint}")
    raise _fail(source, number, f"not G-code: {code[:60]!r}")


def _command_words(command: str) -> frozenset[tuple[str, float]]:
    code = _PAREN_COMMENT.sub(" ", command).split(";", 1)[0].strip().upper()
    words = [(m.group(1), float(m.group(2))) for m in _WORD.finditer(code)]
    if not words or _WORD.sub("", code).strip():
        raise DrawingError(f"pen command {command!r} is not a G-code word list such as 'M3' or 'M280 P0 S50'")
    return frozenset(words)


def _reusable(raw: str) -> str:
    """A pen line as it is repeated before every stroke: verbatim but without its line number."""
    return _LINE_NUMBER.sub("", raw.rstrip("\r\n"))


def _comment_text(text: str) -> str:
    """``text`` made safe inside a ``( )`` comment."""
    return re.sub(r"[()\r\n;]+", " ", text).strip() or "group"


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


#: A number's trailing zeros, with its decimal point when nothing else follows it.
_TRAILING_ZEROS = re.compile(r"\.?0+(?![0-9.])")


def _moves_text(points: np.ndarray) -> str:
    """``G1 X.. Y..`` lines to ``points``, each number as :func:`_fmt` writes it (formatted, then trimmed at once)."""
    text = _TRAILING_ZEROS.sub("", "\n".join([f"G1 X{x:.6f} Y{y:.6f}" for x, y in points.tolist()]) + "\n")
    return text.replace("X-0 ", "X0 ").replace("Y-0\n", "Y0\n")[:-1]


def _reads_back(value: float) -> bool:
    """Whether ``value`` written with :func:`_fmt` reads back within a millionth of itself (tiny R words do not)."""
    return abs(float(_fmt(value)) - value) <= 1e-6 * abs(value)


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
        count = min(max(1, math.ceil(abs(sweep) / step - 1e-9)), _MAX_ARC_POINTS) if step > 0 else _MAX_ARC_POINTS
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
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class _Line:
    """One parsed line: its number, text, axis words and what its G words ask for."""

    index: int
    raw: str
    words: tuple[tuple[str, float], ...]
    values: dict[str, float]
    homing: bool


class _Reader:
    """The modal state of a G-code interpreter that collects pen-down runs as strokes.

    Positions are absolute millimetres. The header ends at the first pen-down line; the footer starts after the
    last line that belongs to a stroke.
    """

    def __init__(self, source: Path, pen: PenSettings, tolerance_mm: float) -> None:
        self.source = source
        self.pen = pen
        self.tolerance_mm = tolerance_mm
        self.down_words = _command_words(pen.down_command) if pen.down_command else None
        self.up_words = _command_words(pen.up_command) if pen.up_command else None
        self.scale = 1.0
        self.relative = False
        self.position = (0.0, 0.0)
        self.z: float | None = None
        self.motion: int | None = None
        self.feed: float | None = None
        self.down = False
        self.current: _OpenStroke | None = None
        self.strokes: list[Stroke] = []
        self.paths: list[np.ndarray] = []
        self.stroke_scale: float | None = None
        self.first_down: int | None = None
        self.header_relative = False
        self.dropped: set[int] = set()
        self.last_stroke_line = -1
        self.footer_relative = False
        self.pen_up_line: str | None = None
        self.held: list[str] = []
        self.held_from: int | None = None
        self.held_layer: str | None = None
        self.held_command: str | None = None
        self.named_by_change = False
        self.boundaries: list[GcodeBoundary] = []
        self.group_sizes: list[int] = []
        self.group_names: list[str] = []
        self.group_ends = False
        self.arc_points = 0

    def is_command(self, line: _Line) -> bool:
        """Whether ``line`` asks the machine for more than a move or a mode (pen commands excepted)."""
        words = set(line.words)
        for pen_words in (self.down_words, self.up_words):
            if pen_words is not None and pen_words <= words:
                words -= pen_words
        plain = all(letter in "NXYZIJRF" or (letter == "G" and value in _G_PLAIN) for letter, value in words)
        return line.homing or not plain

    def hold(self, index: int, raw: str, *, ends_group: bool) -> None:
        """Keep a line that stood between strokes; it is written at the next group's start if one begins there."""
        if self.held_from is None:
            self.held_from = index + 1
        text = _reusable(raw)
        self.held.append(text)
        layer = _LAYER_COMMENT.fullmatch(raw.strip())
        if layer is not None and layer.group("name"):
            self.held_layer = layer.group("name")
        if ends_group and (self.held_command is None or _NAMES_GROUP.search(text) and not self.named_by_change):
            self.held_command = text.strip()
            self.named_by_change = _NAMES_GROUP.search(text) is not None
        self.group_ends = self.group_ends or ends_group or layer is not None

    def fail(self, line: _Line | int, message: str, settings: tuple[str, ...] = ()) -> DrawingError:
        number = line.index + 1 if isinstance(line, _Line) else line
        return _fail(self.source, number, message, settings)

    def parse(self, index: int, raw: str) -> _Line | None:
        """Read the words of a line and apply its modal G words; None for blank and comment-only lines."""
        code = _strip_comments(raw, self.source, index + 1)
        if not code or code == "%":
            return None
        line = _Line(index, raw, _parse_words(code, self.source, index + 1), {}, False)
        for letter, value in line.words:
            if not math.isfinite(value):
                raise self.fail(line, f"the number after {letter} is too large to be a number")
            if letter == "G":
                self.apply_g(line, value)
            elif letter in _LETTERS_AXES:
                if letter in line.values:
                    raise self.fail(line, f"word {letter} appears twice")
                if letter != "F" and abs(value * self.scale) > MAX_COORDINATE_MM:
                    raise self.fail(line, f"{letter} {value:g} is absurd (more than {MAX_COORDINATE_MM:g} mm)")
                line.values[letter] = value
            elif letter != "M" and letter not in _LETTERS_IGNORED:
                raise self.fail(line, f"unsupported word '{letter}{value:g}'; only X, Y and Z axes are supported")
        return line

    def apply_g(self, line: _Line, value: float) -> None:
        if value in (0.0, 1.0, 2.0, 3.0):
            self.motion = int(value)
        elif value in (18.0, 19.0):
            raise self.fail(line, f"G{value:g} selects another plane; only XY drawings (G17) are supported")
        elif value in (20.0, 21.0):
            self.scale = MM_PER_INCH if value == 20.0 else 1.0
        elif value in (90.0, 91.0):
            self.relative = value == 91.0
        elif value in (28.0, 30.0):
            line.homing = True
        elif value not in _G_IGNORED:
            raise self.fail(line, f"unsupported word 'G{value:g}'; supported: {_G_SUPPORTED}")

    def pen_after(self, line: _Line, target_z: float | None) -> bool:
        """Whether the pen is down after ``line``."""
        if self.down_words is not None:
            present = set(line.words)
            if self.down_words <= present:
                return True
            if self.up_words <= present:
                return False
            return self.down
        return target_z is not None and target_z < self.pen.z_threshold_mm

    def feed_line(self, index: int, raw: str) -> None:
        """Interpret one line of the file."""
        line = self.parse(index, raw)
        between = bool(self.strokes) and not self.down
        if line is None:
            layer = _LAYER_COMMENT.fullmatch(raw.strip())
            if between and raw.strip() and raw.strip() != "%":
                self.hold(index, raw, ends_group=layer is not None)
            elif layer is not None and self.first_down is None:
                self.held_layer = layer.group("name") or None
            return
        values = line.values
        if "F" in values:
            self.feed = values["F"]
        if line.homing:
            if self.down:
                raise self.fail(line, "G28/G30 homing with the pen down")
            if between:
                self.hold(index, raw, ends_group=True)
            self.position = (0.0, 0.0)
            return
        target_z = self.z
        if "Z" in values:
            target_z = values["Z"] * self.scale + ((self.z or 0.0) if self.relative else 0.0)
        down_after = self.pen_after(line, target_z)
        is_arc = self.motion in (2, 3)
        moves_xy = "X" in values or "Y" in values or (is_arc and any(k in values for k in "IJR"))
        if moves_xy and self.motion is None:
            raise self.fail(line, "coordinates without a motion command (G0, G1, G2 or G3)")
        tx, ty = self.position
        if "X" in values:
            tx = values["X"] * self.scale + (tx if self.relative else 0.0)
        if "Y" in values:
            ty = values["Y"] * self.scale + (ty if self.relative else 0.0)
        target = (tx, ty)
        if max(abs(tx), abs(ty), abs(target_z or 0.0)) > MAX_COORDINATE_MM:
            raise self.fail(line, f"the move reaches beyond {MAX_COORDINATE_MM:g} mm, which is absurd")
        # a Z given in G91 means something else in the absolute body: such pen lines are written anew
        relative_z = self.relative and "Z" in values

        if down_after and not self.down:
            self.open_stroke(line, moves_xy, relative_z, target_z)
        elif down_after and self.current is not None and not moves_xy and not self.current.moves:
            self.current.pen_down.append(self.pen_line(target_z) if relative_z else _reusable(raw))
            self.current.start_z = target_z
            self.last_stroke_line = index
        elif down_after and self.down and self.current.moves and not moves_xy and self.is_command(line):
            last = self.current.moves[-1]
            self.current.moves[-1] = replace(last, after=(*last.after, _reusable(raw)))
            self.last_stroke_line = index
        elif between and not down_after and self.is_command(line):
            self.hold(index, raw, ends_group=True)

        if moves_xy:
            if down_after and self.current is not None:
                self.current.moves.append(self.draw_move(line, target, target_z))
                self.last_stroke_line = index
            elif self.first_down is None and all(
                letter in "NXYZIJRF" or (letter == "G" and value in (0.0, 1.0, 2.0, 3.0))
                for letter, value in line.words
            ):
                self.dropped.add(index)
            self.position = target
        self.z = target_z
        if self.down and not down_after:
            self.close_stroke(line, moves_xy, relative_z, target_z)
            if self.is_command(line):
                self.hold(index, raw, ends_group=True)
        if self.last_stroke_line == index:
            self.footer_relative = self.relative
        self.down = down_after

    def pen_line(self, z: float | None) -> str:
        """A Z-only pen-down line at height ``z`` (mm), in the file's units, with the feed in force."""
        feed = f" F{_fmt(self.feed)}" if self.feed is not None else ""
        return f"G1 Z{_fmt(z / self.scale)}{feed}"

    def open_stroke(self, line: _Line, moves_xy: bool, relative_z: bool, target_z: float | None) -> None:
        if self.stroke_scale is not None and self.scale != self.stroke_scale:
            raise self.fail(line, "units change (G20/G21) between strokes; use one unit for the drawing")
        self.stroke_scale = self.scale
        if self.first_down is None:
            self.first_down = line.index
            self.header_relative = self.relative
            self.group_sizes.append(0)
            self.group_names.append(self.held_layer or "group 1")
        elif self.group_ends:
            self.boundaries.append(GcodeBoundary(tuple(self.held), self.held_from, self.relative))
            self.group_sizes.append(0)
            self.group_names.append(self.held_layer or self.held_command or f"group {len(self.group_sizes)}")
        self.held, self.held_from, self.group_ends = [], None, False
        self.held_layer = self.held_command = None
        self.named_by_change = False
        if not moves_xy and not relative_z:
            pen_down = [_reusable(line.raw)]
        elif self.pen.down_command is not None:
            pen_down = [self.pen.down_command]
        else:
            pen_down = [self.pen_line(target_z)]
        self.current = _OpenStroke(self.position, self.z if moves_xy else target_z, pen_down)
        self.last_stroke_line = line.index

    def close_stroke(self, line: _Line, moves_xy: bool, relative_z: bool, target_z: float | None) -> None:
        current = self.current
        self.paths.append(np.array([current.start, *current.points], dtype=np.float64))
        self.strokes.append(Stroke(current.start, current.start_z, tuple(current.moves), tuple(current.pen_down)))
        self.group_sizes[-1] += 1
        self.current = None
        if self.pen_up_line is None:
            if not moves_xy and not relative_z and not self.is_command(line):
                self.pen_up_line = _reusable(line.raw)
            elif self.pen.up_command is not None:
                self.pen_up_line = self.pen.up_command
            else:
                self.pen_up_line = f"G0 Z{_fmt(target_z / self.scale)}"

    def draw_move(self, line: _Line, target: tuple[float, float], target_z: float | None) -> Move:
        """The pen-down move of ``line`` to ``target``; its points are added to the open stroke."""
        if self.motion not in (2, 3):
            self.current.points.append(target)
            return Move(self.motion, target, target_z, self.feed)
        values = line.values
        clockwise = self.motion == 2
        here, there = np.array(self.position), np.array(target)
        if "R" in values:
            if "I" in values or "J" in values:
                raise self.fail(line, "an arc takes either R or I/J, not both")
            radius = values["R"] * self.scale
            center = _arc_center_from_radius(here, there, radius, clockwise, self.source, line.index + 1)
        else:
            if "I" not in values and "J" not in values:
                raise self.fail(line, "an arc (G2/G3) needs I/J or R")
            radius = None
            center = here + np.array([values.get("I", 0.0), values.get("J", 0.0)]) * self.scale
        r0 = float(np.hypot(*(here - center)))
        r1 = float(np.hypot(*(there - center)))
        if abs(r0 - r1) > ARC_RADIUS_TOL_MM and abs(r0 - r1) > ARC_RADIUS_REL_TOL * max(r0, r1):
            raise self.fail(
                line,
                f"arc radius is {r0:.4f} mm at the start but {r1:.4f} mm at the end "
                f"(allowed difference {ARC_RADIUS_TOL_MM} mm or {ARC_RADIUS_REL_TOL:.1%})",
            )
        if np.abs(center).max() > MAX_COORDINATE_MM:
            raise self.fail(line, f"the arc centre lies beyond {MAX_COORDINATE_MM:g} mm, which is absurd")
        points = flatten_arc(here, there, center, clockwise, self.tolerance_mm)
        self.arc_points += len(points)
        if self.arc_points > MAX_ARC_POINTS_TOTAL:
            raise self.fail(
                line,
                f"the arcs flatten to more than {MAX_ARC_POINTS_TOTAL:,} points in all; use a larger curve tolerance",
                settings=("tolerance_mm",),
            )
        self.current.points.extend(map(tuple, points.tolist()))
        center_xy = (float(center[0]), float(center[1]))
        return Move(self.motion, target, target_z, self.feed, center_xy, radius, len(points))

    def finish(self, lines: list[str]) -> tuple[Drawing, GcodeProgram]:
        if self.down:
            raise self.fail(len(lines), "the file ends with the pen down in the middle of a stroke (truncated file?)")
        if not self.strokes:
            pen = self.pen
            rule = f"lines holding {pen.down_command!r}" if pen.down_command else f"Z below {pen.z_threshold_mm:g} mm"
            raise DrawingError(f"{self.source}: empty drawing: no pen-down moves found (pen down means {rule})")
        header = tuple(raw for i, raw in enumerate(lines[: self.first_down]) if i not in self.dropped)
        program = GcodeProgram(
            header=header,
            footer=tuple(lines[self.last_stroke_line + 1 :]),
            strokes=tuple(self.strokes),
            units="inch" if self.stroke_scale == MM_PER_INCH else "mm",
            header_relative=self.header_relative,
            footer_relative=self.footer_relative,
            pen_up=self.pen_up_line,
            boundaries=tuple(self.boundaries),
        )
        return Drawing(tuple(self.paths), (0.0, 0.0), tuple(self.group_sizes), tuple(self.group_names)), program


def read_gcode_lines(
    lines: list[str], source: Path, *, pen: PenSettings, tolerance_mm: float
) -> tuple[Drawing, GcodeProgram]:
    """Split G-code ``lines`` (without line ends) into strokes; :class:`DrawingError` names ``source`` and the line."""
    reader = _Reader(source, pen, tolerance_mm)
    for index, raw in enumerate(lines):
        reader.feed_line(index, raw)
    return reader.finish(lines)


def _rotate(stroke: Stroke, path: np.ndarray, vertex: int) -> Stroke:
    """The closed ``stroke`` started at polyline ``vertex`` of its flattened ``path`` (an arc is split there)."""
    if stroke.start_after:
        last = stroke.moves[-1]
        closing = replace(last, after=(*last.after, *stroke.start_after))
        stroke = replace(stroke, moves=(*stroke.moves[:-1], closing), start_after=())
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
    second = Move(move.motion, move.end, move.z, move.feed, move.center, None, int(bounds[j + 1]) - vertex, move.after)
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
            stroke.moves[k - 1].after if k else stroke.start_after,
        )
        for k, move in reversed(list(enumerate(stroke.moves)))
    )
    start_after = stroke.moves[-1].after if stroke.moves else stroke.start_after
    return Stroke(vertices[-1], heights[-1], moves, stroke.pen_down, start_after)


def join_strokes(parts: list[tuple[Stroke, bool]]) -> Stroke:
    """One stroke drawing ``parts`` (each reversed if asked) one after the other, the pen down throughout.

    Where one part ends away from the next one's start, a straight move at the drawing feed joins them.
    """
    strokes = [_reverse(stroke) if flipped else stroke for stroke, flipped in parts]
    first = strokes[0]
    moves = list(first.moves)
    for stroke in strokes[1:]:
        here = moves[-1].end if moves else first.start
        z = moves[-1].z if moves else first.start_z
        feed = next((m.feed for m in reversed(moves) if m.feed is not None), None)
        if math.hypot(stroke.start[0] - here[0], stroke.start[1] - here[1]) > 1e-6:
            moves.append(Move(1, stroke.start, z, feed, after=stroke.start_after))
        elif stroke.start_after and moves:
            moves[-1] = replace(moves[-1], after=(*moves[-1].after, *stroke.start_after))
        elif stroke.start_after:
            first = replace(first, start_after=(*first.start_after, *stroke.start_after))
        moves += stroke.moves
    return Stroke(first.start, first.start_z, tuple(moves), first.pen_down, first.start_after)


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
            if move.radius is not None and _reads_back(move.radius / scale):
                words.append(f"R{_fmt(move.radius / scale)}")
            else:
                cx, cy = move.center
                words += [f"I{_fmt((cx - x) / scale)}", f"J{_fmt((cy - y) / scale)}"]
        if move.feed is not None and move.feed != feed:
            words.append(f"F{_fmt(move.feed)}")
            feed = move.feed
        lines.append(" ".join(words))
        lines.extend(move.after)
        x, y, z = ex, ey, move.z
    return lines


def gcode_program_lines(
    drawing: Drawing, program: GcodeProgram, order: Order, *, pen_up: str | None, pen_down: str | None
) -> list[str]:
    """The lines of ``program`` with its strokes drawn in ``order`` (see the module docstring for what is kept)."""
    order.check(drawing)
    if not keeps_groups(drawing, order):
        raise ValueError("the order mixes groups of strokes; order each group on its own")
    scale = MM_PER_INCH if program.units == "inch" else 1.0
    lines = list(program.header)
    if program.header_relative:
        lines.append("G90 (absolute coordinates for the re-ordered strokes)")
    up = pen_up if pen_up is not None else program.pen_up
    group_of = drawing.group_of
    group = 0
    for segment in order.sequence:
        stroke = program.strokes[segment]
        if order.entry_vertex[segment]:
            stroke = _rotate(stroke, drawing.paths[segment], int(order.entry_vertex[segment]))
        if order.reversed[segment]:
            stroke = _reverse(stroke)
        x, y = stroke.start
        lines.append(up)
        if group_of[segment] != group:
            group = int(group_of[segment])
            boundary = program.boundaries[group - 1]
            lines.extend(boundary.lines)
            if boundary.relative:
                lines.append("G90 (absolute coordinates for the re-ordered strokes)")
        lines.append(f"G0 X{_fmt(x / scale)} Y{_fmt(y / scale)}")
        lines.extend([pen_down] if pen_down is not None else stroke.pen_down)
        lines.extend(stroke.start_after)
        lines.extend(_stroke_lines(stroke, scale))
    lines.append(up)
    if program.footer_relative:
        lines.append("G91 (relative coordinates again, as in the input)")
    lines.extend(program.footer)
    return lines


def svg_program_lines(
    drawing: Drawing, order: Order, *, name: str, pen_up: str, pen_down: str, feed_mm_min: float, home: bool
) -> list[str]:
    """A complete absolute-millimetre program drawing the polylines of ``drawing`` in ``order``."""
    if not keeps_groups(drawing, order):
        raise ValueError("the order mixes groups of strokes; order each group on its own")
    lines = [f"(Batik Studio: {len(drawing)} strokes of {name})", "G21", "G90", "G17"]
    travel = [pen_up]
    group_of = drawing.group_of
    group = -1
    for segment in order.sequence:
        path = oriented_path(drawing, order, int(segment))
        lines += travel
        named = len(drawing.group_sizes) > 1 or drawing.group_names[0] != "group 1"
        if named and group_of[segment] != group:
            group = int(group_of[segment])
            lines.append(f"(layer: {_comment_text(drawing.group_names[group])})")
        lines.append(f"G0 X{_fmt(path[0][0])} Y{_fmt(path[0][1])}")
        lines.append(pen_down)
        if len(path) > 1:
            text = _moves_text(path[1:]).split("\n")
            text[0] += f" F{_fmt(feed_mm_min)}"
            lines += text
    lines.append(pen_up)
    if home:
        lines.append(f"G0 X{_fmt(drawing.origin[0])} Y{_fmt(drawing.origin[1])}")
    lines.append("M2")
    return lines
