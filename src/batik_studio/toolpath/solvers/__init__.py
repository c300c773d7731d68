"""Drawing-order solvers and the one entry point that runs them, :func:`optimize`.

A solver is a small object whose ``__init__`` holds its parameters and whose ``solve`` returns an
:class:`~batik_studio.toolpath.model.Order`. :data:`SOLVERS` maps each method name the CLI offers to its class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from batik_studio.toolpath.model import DEFAULT_DRAW_FEED_MM_MIN, DEFAULT_RAPID_FEED_MM_MIN, Drawing, measure
from batik_studio.toolpath.solvers.base import OptimizeResult, Progress, SolveOptions, Solver
from batik_studio.toolpath.solvers.greedy import GreedySolver

SOLVERS: dict[str, Callable[..., Solver]] = {
    "greedy": GreedySolver,
}


def optimize(
    drawing: Drawing,
    method: str = "greedy",
    options: SolveOptions | None = None,
    *,
    progress: Progress | None = None,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
    **params: Any,
) -> OptimizeResult:
    """Order ``drawing`` with ``method`` (a key of :data:`SOLVERS`, built with ``params``)."""
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
    return OptimizeResult(method=method, order=order, before=before, after=after, seconds=seconds)


__all__ = ["SOLVERS", "OptimizeResult", "Progress", "SolveOptions", "Solver", "optimize"]
