"""Read an SVG file into pen-down polylines (one per subpath), in millimetres.

Every shape element (path, polyline, polygon, line, rect, circle, ellipse) is read with its transforms, the
viewBox and the document's units (mm, cm, in, px at 96 per inch) applied by svgelements. Curves are flattened so
that no point of the polyline is further than the tolerance from the curve. Each subpath (a ``M`` inside a path
starts a new one) is one segment. Each layer (``inkscape:groupmode="layer"``) or other top-level group is a group
of the drawing, in document order; shapes outside any group form groups of their own where they stand.

By default y is turned to point up with the origin at the page's lower-left corner (``y = page height - y_svg``),
so the drawing on a y-up machine (Mach3, LinuxCNC, grbl) looks as it does on screen; ``y_down`` keeps the SVG's
own coordinates (y downwards from the top-left corner) for top-left-origin plotters.

:func:`svg_text` writes strokes back as an SVG in millimetres: one ``<path>`` per stroke in drawing order, each
group an Inkscape layer, placed so that this reader (and vpype or Inkscape) gives the same coordinates back.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import svgelements as se

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import MAX_COORDINATE_MM
from batik_studio.toolpath.io.svg_limits import MAX_POINTS, check_svg_xml
from batik_studio.toolpath.model import Drawing, Order, keeps_groups, oriented_path

_INKSCAPE = "{http://www.inkscape.org/namespaces/inkscape}"

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
                raise ValueError(f"its curves flatten to more than {MAX_POINTS:,} points; use a larger curve tolerance")
    if len(chunks) > 1:
        polylines.append(np.concatenate(chunks))
    return polylines


def _polyshape_points(shape: se.Shape) -> list[np.ndarray]:
    """The polyline (in px) of a transformed ``<polyline>`` or ``<polygon>``: :func:`_subpaths` on its segments.

    Its segments are straight, so its points are taken whole (and transformed at once) instead of one segment
    object at a time: the same polyline, many times faster for drawings of many long polylines.
    """
    if len(shape.points) == 0:
        return []
    points = np.array([(point.x, point.y) for point in shape.points], dtype=np.float64)
    matrix = shape.transform
    if not matrix.is_identity():
        points = points @ np.array([[matrix.a, matrix.b], [matrix.c, matrix.d]]) + (matrix.e, matrix.f)
    if isinstance(shape, se.Polygon) and (len(points) == 1 or (points[-1] != points[0]).any()):
        points = np.vstack([points, points[:1]])
    return [points] if len(points) > 1 else []


def _shape_polylines(source: Path, element: se.Shape, index: int, tolerance_px: float) -> list[np.ndarray]:
    """The polylines (mm, SVG orientation) of one visible shape; none for text and hidden shapes."""
    if not isinstance(element, se.Shape) or isinstance(element, se.Text):
        return []
    if element.values.get("visibility") == "hidden" or element.values.get("display") == "none":
        return []
    try:
        if isinstance(element, se.Polyline | se.Polygon):
            polylines = _polyshape_points(element)
        else:
            path = element if isinstance(element, se.Path) else se.Path(element)
            polylines = _subpaths(path, tolerance_px)
    except (ValueError, TypeError, ZeroDivisionError) as error:
        raise DrawingError(
            f"{source}: element {_element_name(element, index)}: cannot read its geometry ({error})"
        ) from None
    found = []
    for polyline in polylines:
        polyline = polyline * MM_PER_PX
        if not np.isfinite(polyline).all():
            raise DrawingError(f"{source}: element {_element_name(element, index)}: coordinates are not numbers")
        if np.abs(polyline).max() > MAX_COORDINATE_MM:
            raise DrawingError(
                f"{source}: element {_element_name(element, index)}: coordinates beyond "
                f"{MAX_COORDINATE_MM:g} mm are absurd"
            )
        found.append(polyline)
    return found


def _group_name(group: se.Group, number: int) -> str:
    values = group.values
    return str(values.get(f"{_INKSCAPE}label") or values.get("id") or f"group {number}")


def _page_side_mm(svg: se.SVG, paths: list[np.ndarray], axis: int) -> float:
    """The page width (axis 0) or height (axis 1) in mm: the SVG's own, else its viewBox's, else the drawing's."""
    name = ("width", "height")[axis]
    side = getattr(svg, name)
    if isinstance(side, (int, float)) and side > 0 and math.isfinite(side):
        return float(side) * MM_PER_PX
    if svg.viewbox is not None and getattr(svg.viewbox, name):
        return float(getattr(svg.viewbox, name)) * MM_PER_PX
    return float(max(path[:, axis].max() for path in paths))


def read_svg(source: Path, *, tolerance_mm: float, y_down: bool = False) -> tuple[Drawing, tuple[float, float]]:
    """Polylines of every shape in the SVG file ``source``, in millimetres, grouped by layer, and the page size.

    :class:`DrawingError` on bad input. With ``y_down`` the SVG's coordinates are kept as they are; by default y
    points up from the page's lower-left corner. The page is (width, height) in mm.
    """
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
    groups: list[tuple[str, list[np.ndarray]]] = []
    index = points = 0

    def take(element: se.SVGElement, number: int) -> list[np.ndarray]:
        nonlocal points
        polylines = _shape_polylines(source, element, number, tolerance_px)
        points += sum(len(polyline) for polyline in polylines)
        if points > MAX_POINTS:
            raise DrawingError(
                f"{source}: element {_element_name(element, number)}: the flattened drawing has more than "
                f"{MAX_POINTS:,} points; use a larger curve tolerance",
                settings=("tolerance_mm",),
            )
        return polylines

    for child in svg:
        if isinstance(child, se.Group):
            found = []
            for element in child.select():
                found += take(element, index)
                index += 1
            if found:
                groups.append((_group_name(child, len(groups) + 1), found))
            continue
        found = []
        for element in child.select() if isinstance(child, se.Use) else [child]:
            found += take(element, index)
            index += 1
        if not found:
            continue
        if groups and groups[-1][0] == "":
            groups[-1][1].extend(found)
        else:
            groups.append(("", found))
    paths = [path for _, group in groups for path in group]
    if not paths:
        raise DrawingError(f"{source}: empty drawing: the SVG holds no path, line or shape to draw")
    width, height = _page_side_mm(svg, paths, 0), _page_side_mm(svg, paths, 1)
    if not y_down:
        paths = [np.column_stack([path[:, 0], height - path[:, 1]]) for path in paths]
    names = tuple(name or f"group {g + 1}" for g, (name, _) in enumerate(groups))
    drawing = Drawing(tuple(paths), (0.0, 0.0), tuple(len(group) for _, group in groups), names)
    return drawing, (width, height)


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_text(
    drawing: Drawing,
    order: Order,
    *,
    y_down: bool = False,
    title: str = "",
    page_mm: tuple[float, float] | None = None,
) -> str:
    """An SVG (mm) drawing the strokes of ``drawing`` in ``order``: one ``<path>`` each, a layer per group.

    The page is ``page_mm`` (the input's page), grown to hold the drawing from ``0, 0`` if it does not.
    Without ``y_down`` the y axis is turned back to SVG's (downwards from the top) about the page height, so that
    :func:`read_svg` reads the same points.
    """
    order.check(drawing)
    if not keeps_groups(drawing, order):
        raise ValueError("the order mixes groups of strokes; order each group on its own")
    every = np.concatenate(drawing.paths) if len(drawing) else np.zeros((1, 2))
    page_w, page_h = page_mm or (1.0, 1.0)
    width = float(_fmt(max(float(every[:, 0].max()), page_w, 1e-3)))
    height = float(_fmt(max(float(every[:, 1].max()), page_h, 1e-3)))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"',
        f'     width="{_fmt(width)}mm" height="{_fmt(height)}mm" viewBox="0 0 {_fmt(width)} {_fmt(height)}">',
    ]
    if title:
        lines.append(f"  <title>{title.replace('&', '&amp;').replace('<', '&lt;')}</title>")
    group_of = drawing.group_of
    group = -1
    for segment in order.sequence:
        if group_of[segment] != group:
            if group >= 0:
                lines.append("  </g>")
            group = int(group_of[segment])
            label = quoteattr(drawing.group_names[group])
            lines.append(
                f'  <g inkscape:groupmode="layer" id="layer{group + 1}" inkscape:label={label} '
                'fill="none" stroke="black" stroke-width="0.3">'
            )
        path = oriented_path(drawing, order, int(segment))
        ys = path[:, 1] if y_down else height - path[:, 1]
        points = [f"{_fmt(x)},{_fmt(y)}" for x, y in zip(path[:, 0], ys, strict=True)]
        if len(points) == 1:
            points.append(points[0])
        lines.append(f'    <path d="M {points[0]} L {" ".join(points[1:])}"/>')
    if group >= 0:
        lines.append("  </g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


__all__ = ["MM_PER_PX", "PX_PER_INCH", "read_svg", "svg_text"]
