"""Read an SVG file into pen-down polylines (one per subpath), in millimetres.

Every shape element (path, polyline, polygon, line, rect, circle, ellipse) is read with its transforms, the
viewBox and the document's units (mm, cm, in, px at 96 per inch) applied by svgelements. Curves are flattened so
that no point of the polyline is further than the tolerance from the curve. Each subpath (a ``M`` inside a path
starts a new one) is one segment. Coordinates stay in the SVG's own orientation, x to the right and y downwards,
with the SVG origin (the top-left corner) as the machine origin: the drawing is not mirrored, so on a machine
whose y axis points away from the operator it appears upside down unless the SVG was made that way.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import svgelements as se

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import MAX_COORDINATE_MM
from batik_studio.toolpath.io.svg_limits import MAX_POINTS, check_svg_xml
from batik_studio.toolpath.model import Drawing

#: svgelements' pixels per inch (CSS: 96), used to turn its pixel coordinates back into millimetres.
PX_PER_INCH = 96.0

#: Millimetres per pixel as svgelements converts them (it uses 0.0393701 inch per mm), so that ``mm`` lengths,
#: the usual unit of CNC drawings, come back exactly; ``in`` and ``px`` lengths are then 5e-7 too short.
MM_PER_PX = 1.0 / (PX_PER_INCH * 0.0393701)


def _element_name(element: se.Shape, index: int) -> str:
    tag = type(element).__name__.lower().replace("simpleline", "line")
    ident = element.values.get("id") if hasattr(element, "values") else None
    return f"<{tag} id={ident!r}>" if ident else f"<{tag}> #{index + 1}"


def _chords(second_difference: float, tolerance_px: float) -> int:
    """Chords that keep a Bezier curve with this second difference within ``tolerance_px`` (capped)."""
    ratio = second_difference / (8.0 * tolerance_px)
    return math.ceil(math.sqrt(ratio)) if ratio < 1e10 else 100_000


def _curve_points(segment: se.PathSegment, tolerance_px: float) -> np.ndarray:
    """Points along a curved segment (start excluded, end included) within ``tolerance_px`` of it."""
    if isinstance(segment, se.CubicBezier):
        p = np.array([segment.start, segment.control1, segment.control2, segment.end], dtype=np.float64)
        second = max(np.hypot(*(p[0] - 2 * p[1] + p[2])), np.hypot(*(p[1] - 2 * p[2] + p[3]))) * 6.0
        count = _chords(second, tolerance_px)
    elif isinstance(segment, se.QuadraticBezier):
        p = np.array([segment.start, segment.control, segment.end], dtype=np.float64)
        second = np.hypot(*(p[0] - 2 * p[1] + p[2])) * 2.0
        count = _chords(second, tolerance_px)
    else:
        radius = max(abs(segment.rx), abs(segment.ry)) if segment.rx is not None else 0.0
        sweep = abs(segment.sweep) if segment.sweep is not None else 0.0
        if radius <= tolerance_px or not math.isfinite(radius * sweep):
            count = 1
        else:
            step = 2 * math.acos(1 - tolerance_px / radius)
            count = math.ceil(sweep / step) if step > 0 else 100_000
    count = max(1, min(count, 100_000))
    if count == 1:
        return np.array([segment.end], dtype=np.float64)
    points = np.asarray(segment.npoint(np.arange(1, count + 1) / count), dtype=np.float64)
    points[-1] = segment.end
    return points


def _subpaths(path: se.Path, tolerance_px: float) -> list[np.ndarray]:
    """The polylines (in px) of each subpath of an already transformed path; lone moves draw nothing."""
    polylines: list[np.ndarray] = []
    chunks: list[np.ndarray] = []
    start = None
    made = 0
    for segment in path.segments(transformed=True):
        if isinstance(segment, se.Move):
            if len(chunks) > 1:
                polylines.append(np.concatenate(chunks))
            start = segment.end
            chunks = [np.array([start], dtype=np.float64)] if start is not None else []
            continue
        if not chunks:
            start = segment.start
            chunks = [np.array([start], dtype=np.float64)]
        if isinstance(segment, se.Close):
            last = chunks[-1][-1]
            if segment.end is not None and (last[0] != segment.end[0] or last[1] != segment.end[1]):
                chunks.append(np.array([segment.end], dtype=np.float64))
            elif len(chunks) == 1:
                chunks.append(np.array([segment.end], dtype=np.float64))
        elif isinstance(segment, se.Line):
            chunks.append(np.array([segment.end], dtype=np.float64))
        elif isinstance(segment, se.Arc) and (not segment.rx or not segment.ry):
            chunks.append(np.array([segment.end], dtype=np.float64))
        else:
            chunks.append(_curve_points(segment, tolerance_px))
            made += len(chunks[-1])
            if made > MAX_POINTS:
                raise ValueError(f"its curves flatten to more than {MAX_POINTS:,} points; use a larger --tolerance-mm")
    if len(chunks) > 1:
        polylines.append(np.concatenate(chunks))
    return polylines


def read_svg(source: Path, *, tolerance_mm: float) -> Drawing:
    """Polylines of every shape in the SVG file ``source``, in millimetres; :class:`DrawingError` on bad input."""
    check_svg_xml(source)
    try:
        svg = se.SVG.parse(str(source), ppi=PX_PER_INCH)
    except ElementTree.ParseError as error:
        line, column = error.position
        raise DrawingError(f"{source}: line {line}, column {column}: not a well-formed SVG file ({error})") from None
    except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, RecursionError) as error:
        raise DrawingError(
            f"{source}: cannot read the SVG ({type(error).__name__}: {error}); check its transforms and shapes"
        ) from None
    if not isinstance(svg, se.SVG):
        raise DrawingError(f"{source}: not an SVG file (no <svg> root element)")
    tolerance_px = tolerance_mm / MM_PER_PX
    paths: list[np.ndarray] = []
    points = 0
    for index, element in enumerate(svg.elements()):
        if not isinstance(element, se.Shape) or isinstance(element, se.Text):
            continue
        if element.values.get("visibility") == "hidden" or element.values.get("display") == "none":
            continue
        path = element if isinstance(element, se.Path) else se.Path(element)
        try:
            polylines = _subpaths(path, tolerance_px)
        except (ValueError, TypeError, ZeroDivisionError) as error:
            raise DrawingError(
                f"{source}: element {_element_name(element, index)}: cannot read its geometry ({error})"
            ) from None
        points += sum(len(polyline) for polyline in polylines)
        if points > MAX_POINTS:
            raise DrawingError(
                f"{source}: element {_element_name(element, index)}: the flattened drawing has more than "
                f"{MAX_POINTS:,} points; use a larger --tolerance-mm"
            )
        for polyline in polylines:
            polyline = polyline * MM_PER_PX
            if not np.isfinite(polyline).all():
                raise DrawingError(f"{source}: element {_element_name(element, index)}: coordinates are not numbers")
            if np.abs(polyline).max() > MAX_COORDINATE_MM:
                raise DrawingError(
                    f"{source}: element {_element_name(element, index)}: coordinates beyond "
                    f"{MAX_COORDINATE_MM:g} mm are absurd"
                )
            paths.append(polyline)
    if not paths:
        raise DrawingError(f"{source}: empty drawing: the SVG holds no path, line or shape to draw")
    return Drawing(tuple(paths))


__all__ = ["MM_PER_PX", "PX_PER_INCH", "read_svg"]
