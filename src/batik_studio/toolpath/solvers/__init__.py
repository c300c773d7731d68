"""Drawing-order solvers and the one entry point that runs them, :func:`optimize`.

A solver is a small object built from its method's parameters (:mod:`.params`) whose ``solve`` returns an
:class:`~batik_studio.toolpath.model.Order`. :data:`SOLVERS` maps each method name to its class. The names below
load on first use, so importing this package (for :mod:`.params`, as the command line does) loads no numba.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batik_studio.toolpath.solvers.base import OptimizeResult, Progress, SolveOptions, Solver, SolverDetails
    from batik_studio.toolpath.solvers.run import SOLVERS, optimize

_HOME = {
    "OptimizeResult": "base",
    "Progress": "base",
    "SolveOptions": "base",
    "Solver": "base",
    "SolverDetails": "base",
    "SOLVERS": "run",
    "optimize": "run",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"batik_studio.toolpath.solvers.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["SOLVERS", "OptimizeResult", "Progress", "SolveOptions", "Solver", "SolverDetails", "optimize"]
