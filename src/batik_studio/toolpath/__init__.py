"""Drawing order for CNC canting machines and pen plotters: read a drawing, order its strokes, write it back.

The public names load on first use (:func:`batik_studio._lazy.lazy_exports`).
"""

from __future__ import annotations

from batik_studio._lazy import lazy_exports

_PUBLIC = {
    "Document": "batik_studio.toolpath.io",
    "Drawing": "batik_studio.toolpath.model",
    "Order": "batik_studio.toolpath.model",
    "OptimizeResult": "batik_studio.toolpath.solvers",
    "Outcome": "batik_studio.toolpath.pipeline",
    "PipelineSettings": "batik_studio.toolpath.pipeline",
    "SolveOptions": "batik_studio.toolpath.solvers",
    "optimise_file": "batik_studio.toolpath.pipeline",
    "optimize": "batik_studio.toolpath.solvers",
    "read_drawing": "batik_studio.toolpath.io",
    "write_drawing": "batik_studio.toolpath.io",
    "write_gcode": "batik_studio.toolpath.io",
    "write_svg": "batik_studio.toolpath.io",
}


__getattr__ = lazy_exports(__name__, _PUBLIC)
__all__ = sorted(_PUBLIC)
