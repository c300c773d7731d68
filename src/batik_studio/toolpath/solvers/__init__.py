"""Drawing-order solvers and the one entry point that runs them, :func:`optimize`.

A solver is a small object whose ``__init__`` holds its parameters and whose ``solve`` returns an
:class:`~batik_studio.toolpath.model.Order`. :data:`SOLVERS` maps each method name the CLI offers to its class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from batik_studio.toolpath.bounds import lower_bound
from batik_studio.toolpath.model import DEFAULT_DRAW_FEED_MM_MIN, DEFAULT_RAPID_FEED_MM_MIN, Drawing, measure
from batik_studio.toolpath.solvers.base import OptimizeResult, Progress, SolveOptions, Solver
from batik_studio.toolpath.solvers.best import BestSolver
from batik_studio.toolpath.solvers.greedy import GreedySolver
from batik_studio.toolpath.solvers.kmeans_msga import KMeansMsgaSolver
from batik_studio.toolpath.solvers.msga import MsgaSolver

SOLVERS: dict[str, Callable[..., Solver]] = {
    "best": BestSolver,
    "greedy": GreedySolver,
    "kmeans-msga": KMeansMsgaSolver,
    "msga": MsgaSolver,
}


def optimize(
    drawing: Drawing,
    method: str = "best",
    options: SolveOptions | None = None,
    *,
    progress: Progress | None = None,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
    bound: bool = False,
    bound_time_limit_s: float = 60.0,
    **params: Any,
) -> OptimizeResult:
    """Order ``drawing`` with ``method`` (a key of :data:`SOLVERS`, built with ``params``).

    With ``bound``, also prove a lower bound on travel (:func:`~batik_studio.toolpath.bounds.lower_bound`, at
    most ``bound_time_limit_s``), so the result says how far from optimal it can at most be (``gap_pct``).
    A solver that leaves a ``details_`` dict after solving (convergence history, per-phase seconds) has it
    copied into :attr:`OptimizeResult.details`.
    """
    if method not in SOLVERS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(sorted(SOLVERS))}")
    options = options or SolveOptions()
    feeds = {"draw_feed_mm_min": draw_feed_mm_min, "rapid_feed_mm_min": rapid_feed_mm_min}
    before = measure(drawing, return_to_origin=options.return_to_origin, **feeds)
    solver = SOLVERS[method](**params)
    started = time.perf_counter()
    order = solver.solve(drawing, options, progress)
    seconds = time.perf_counter() - started
    order.check(drawing)
    after = measure(drawing, order, return_to_origin=options.return_to_origin, **feeds)
    lower_bound_mm = None
    details: dict[str, Any] = dict(getattr(solver, "details_", {}))
    if bound:
        proven = lower_bound(
            drawing,
            return_to_origin=options.return_to_origin,
            reloop=options.reloop,
            time_limit_s=bound_time_limit_s,
            upper_bound_mm=after.travel_mm,
        )
        lower_bound_mm = proven.value_mm
        details["bound_method"] = proven.method
        details["bound_seconds"] = proven.details.get("seconds")
    return OptimizeResult(
        method=method,
        order=order,
        before=before,
        after=after,
        seconds=seconds,
        lower_bound_mm=lower_bound_mm,
        details=details,
    )


__all__ = ["SOLVERS", "OptimizeResult", "Progress", "SolveOptions", "Solver", "optimize"]
