"""Read a DXF drawing (AutoCAD, LibreCAD, CorelDRAW exports) into pen-down polylines, one group per layer.

ezdxf does the geometry: LINE, LWPOLYLINE and POLYLINE (with bulges), ARC, CIRCLE, ELLIPSE and SPLINE become
paths that ezdxf flattens to the tolerance; INSERTs of blocks are expanded with their transforms (ezdxf's
virtual entities, recursively), and an entity on layer ``0`` inside a block takes the layer of its INSERT, as
in CAD programs. Units come from ``$INSUNITS`` (unitless drawings are taken as millimetres). Groups are the
layers in the order they first appear in model space. DXF's y axis already points up; with ``y_down`` the
drawing is mirrored about its top edge for top-left-origin plotters. Any other entity (text, hatch, dimension,
point) is refused with its handle and layer, so nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io.document import MAX_COORDINATE_MM
from batik_studio.toolpath.model import Drawing

#: Entities drawn as strokes.
SUPPORTED = ("LINE", "LWPOLYLINE", "POLYLINE", "ARC", "CIRCLE", "ELLIPSE", "SPLINE", "INSERT")

#: Millimetres per drawing unit, by ``$INSUNITS`` code (0, unitless, is taken as millimetres).
MM_PER_UNIT = {
    0: 1.0,
    1: 25.4,
    2: 304.8,
    4: 1.0,
    5: 10.0,
    6: 1000.0,
    8: 25.4e-6,
    9: 0.0254,
    10: 914.4,
    13: 0.001,
    14: 100.0,
}


def _entities(layout, where: str) -> Iterator[tuple[object, str, str]]:
    """Every drawable entity with the layer it is drawn on and where it came from (for error messages)."""
    for entity in layout:
        yield from _expand(entity, entity.dxf.layer, where)


def _expand(entity, layer: str, where: str, depth: int = 0) -> Iterator[tuple[object, str, str]]:
    kind = entity.dxftype()
    handle = entity.dxf.handle
    name = f"{kind} (handle {handle}, layer {layer!r}{where})" if handle else f"{kind} (layer {layer!r}{where})"
    if kind not in SUPPORTED:
        raise DrawingError(
            f"{name}: unsupported entity; supported: {', '.join(SUPPORTED)} (explode or remove it in the CAD program)"
        )
    if kind != "INSERT":
        yield entity, layer, name
        return
    if depth > 32:
        raise DrawingError(f"{name}: blocks nested more than 32 deep (a block inserting itself?)")
    inside = f", in block {entity.dxf.name!r} inserted by handle {handle}" if handle else where
    try:
        parts = list(entity.virtual_entities())
    except Exception as error:  # ezdxf raises many kinds for a broken block or transform
        raise DrawingError(f"{name}: cannot expand the block ({error})") from None
    for part in parts:
        own = part.dxf.layer if part.dxf.hasattr("layer") else "0"
        yield from _expand(part, layer if own == "0" else own, inside, depth + 1)


def read_dxf(source: Path, *, tolerance_mm: float, y_down: bool = False) -> Drawing:
    """Polylines of every entity in model space of the DXF file ``source``, in millimetres, grouped by layer."""
    import ezdxf
    from ezdxf import path as dxf_path

    try:
        document = ezdxf.readfile(str(source))
    except (OSError, ezdxf.DXFError, UnicodeDecodeError, ValueError) as error:
        raise DrawingError(f"{source}: not a readable DXF file ({error})") from None
    units = int(document.header.get("$INSUNITS", 0) or 0)
    if units not in MM_PER_UNIT:
        raise DrawingError(f"{source}: $INSUNITS {units} is not a length unit this reader knows (use mm or inches)")
    scale = MM_PER_UNIT[units]
    layers: dict[str, list[np.ndarray]] = {}
    try:
        for entity, layer, name in _entities(document.modelspace(), ""):
            try:
                path = dxf_path.make_path(entity)
                points = np.array([(p.x, p.y) for p in path.flattening(tolerance_mm / scale)], dtype=np.float64)
            except Exception as error:  # ezdxf's own errors for degenerate geometry vary by entity kind
                raise DrawingError(f"{source}: {name}: cannot read its geometry ({error})") from None
            if len(points) == 0:
                continue
            points *= scale
            if not np.isfinite(points).all() or np.abs(points).max() > MAX_COORDINATE_MM:
                raise DrawingError(f"{source}: {name}: coordinates are not numbers or beyond {MAX_COORDINATE_MM:g} mm")
            layers.setdefault(layer, []).append(points)
    except DrawingError as error:
        message = str(error)
        raise DrawingError(message if message.startswith(str(source)) else f"{source}: {message}") from None
    paths = [path for group in layers.values() for path in group]
    if not paths:
        raise DrawingError(f"{source}: empty drawing: model space holds no line, arc, polyline or curve")
    if y_down:
        top = max(float(path[:, 1].max()) for path in paths)
        paths = [np.column_stack([path[:, 0], top - path[:, 1]]) for path in paths]
    return Drawing(tuple(paths), (0.0, 0.0), tuple(len(g) for g in layers.values()), tuple(layers))


__all__ = ["MM_PER_UNIT", "SUPPORTED", "read_dxf"]
