"""Drawing order for CNC canting machines and pen plotters: read a drawing, order its strokes, write it back.

The public names load on first use, so importing the package (or the CLI) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


__all__ = sorted(_PUBLIC)
