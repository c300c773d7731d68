"""The one entry point that runs a solver: :func:`optimize`, with the never-worse rule and the bound beside it."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from batik_studio.errors import OptionError
from batik_studio.toolpath.bounds import BoundResult, lower_bound
from batik_studio.toolpath.model import (
    DEFAULT_DRAW_FEED_MM_MIN,
    DEFAULT_RAPID_FEED_MM_MIN,
    Drawing,
    Order,
    measure,
    travel_mm,
)
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph, order_from_tour
from batik_studio.toolpath.solvers.base import OptimizeResult, Progress, SolveOptions, Solver, SolverDetails
from batik_studio.toolpath.solvers.best import BestSolver, available_cores, default_time_limit_s
from batik_studio.toolpath.solvers.construction import greedy_tour
from batik_studio.toolpath.solvers.directions import best_entries
from batik_studio.toolpath.solvers.greedy import GreedySolver
from batik_studio.toolpath.solvers.kmeans_msga import KMeansMsgaSolver
from batik_studio.toolpath.solvers.msga import MsgaSolver
from batik_studio.toolpath.solvers.params import build_params, check_method

#: Each method's solver class, built from its parameters (:data:`~.params.METHOD_PARAMS` has the same keys).
SOLVERS: dict[str, Callable[..., Solver]] = {
    "best": BestSolver,
    "greedy": GreedySolver,
    "kmeans-msga": KMeansMsgaSolver,
    "msga": MsgaSolver,
}


#: The bound runs before the search has a tour, so its subgradient steps aim at this share of the greedy travel:
#: ``best`` ends at 0.73-0.75 x greedy on the shared drawings (5x5 and 23x23 tilings, dexarm_walle). Any target
#: gives a valid bound; a far one (greedy's own travel) only makes the steps too long to converge in time.
BOUND_TARGET_SHARE = 0.8

_LOADED: set[str] = set()


def load_compiled_code(method: str) -> None:
    """Run ``method`` once on a tiny drawing in this process, so its compiled code is loaded before any clock runs.

    numba loads a cached kernel on its first call (about a second for all of ``best``'s in a fresh process); a
    time limit is for searching, so that happens before the limit's clock starts.
    """
    if method in _LOADED:
        return
    import numpy as np

    rng = np.random.default_rng(0)
    ring = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    # Open strokes, closed loops and a dot, so every kernel the search may need is loaded.
    tiny = Drawing(
        tuple(rng.uniform(0, 10, (2, 2)) for _ in range(20))
        + tuple(ring + rng.uniform(0, 10, 2) for _ in range(3))
        + (rng.uniform(0, 10, (1, 2)),)
    )
    options = SolveOptions(time_limit_s=0.05)
    graph = build_graph(tiny)
    greedy_order(tiny, graph, options)
    small = build_params(method, {"iterations": 2} if method == "msga" else {})
    if method == "kmeans-msga":
        small = dataclasses.replace(small, clusters=2, cluster_iterations=2, intra_iterations=2)
    SOLVERS[method](small).solve(tiny, options)
    if method == "best":
        from batik_studio.toolpath.solvers.split_search import load_compiled_code as load_split_search

        load_split_search()
    _LOADED.add(method)


def greedy_order(drawing: Drawing, graph: SegmentGraph, options: SolveOptions) -> tuple[Order, Order]:
    """The nearest-neighbour order on ``graph`` as decoded, and with its directions (and loop entries) made exact."""
    start = order_from_tour(graph, greedy_tour(graph))
    exact = best_entries(drawing, start, return_to_origin=options.return_to_origin, reloop=options.reloop)
    return start, exact


def _check_feeds(draw_feed_mm_min: float, rapid_feed_mm_min: float, bound_time_limit_s: float | None) -> None:
    checked = [("drawing feed", draw_feed_mm_min, "mm/min"), ("travel feed", rapid_feed_mm_min, "mm/min")]
    if bound_time_limit_s is not None:
        checked.append(("bound time limit", bound_time_limit_s, "seconds"))
    for name, value, unit in checked:
        if isinstance(value, bool) or not isinstance(value, int | float) or not (value > 0 and math.isfinite(value)):
            raise OptionError(f"the {name} must be a positive number of {unit}, got {value!r}")


def optimize(
    drawing: Drawing,
    method: str = "best",
    options: SolveOptions | None = None,
    *,
    progress: Progress | None = None,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
    bound: bool = False,
    bound_time_limit_s: float | None = None,
    params: Any = None,
    on_search_start: Callable[[], None] | None = None,
    **values: Any,
) -> OptimizeResult:
    """Order ``drawing`` with ``method`` (a key of :data:`SOLVERS`), its parameters ``params`` or ``values``.

    Never worse, once: the method's order is compared with the order as read and with the greedy order, and the
    one that travels least is returned (:attr:`OptimizeResult.winner` says which); a GA with ``keep_input`` off
    returns its own result, as the paper reports it. The drawing's segment-end graph is built once and shared by
    the greedy order, ``best`` and the bound.

    With ``bound``, a lower bound on travel is proven on another thread while the search runs (the compiled
    search releases the interpreter lock), for at most ``bound_time_limit_s`` of its own (default: the search's
    time limit, or ``best``'s size-based default, so the whole call takes about as long as the search), and the
    result says how far from optimal it can at most be (``gap_pct``); ``best`` then leaves that core to the bound.
    ``on_search_start`` is called as the search starts (the compiled search leaves the interpreter free), so a
    caller can run other work beside it.
    """
    check_method(method)
    options = options or SolveOptions()
    _check_feeds(draw_feed_mm_min, rapid_feed_mm_min, bound_time_limit_s)
    parameters = params if params is not None else build_params(method, values)
    if bound and method == "best" and parameters.threads is None:
        parameters = dataclasses.replace(parameters, threads=max(1, available_cores() - 1))
    solver = SOLVERS[method](parameters)
    feeds = {"draw_feed_mm_min": draw_feed_mm_min, "rapid_feed_mm_min": rapid_feed_mm_min}
    ret = options.return_to_origin
    before = measure(drawing, return_to_origin=ret, **feeds)
    load_compiled_code(method)
    started = time.perf_counter()
    graph = build_graph(drawing, return_to_origin=ret)
    if bound_time_limit_s is None:
        bound_time_limit_s = options.time_limit_s or default_time_limit_s(len(graph))
    start, greedy = greedy_order(drawing, graph, options)
    greedy_mm = travel_mm(drawing, greedy, return_to_origin=ret)
    with ThreadPoolExecutor(max_workers=1) as pool:
        proving: Future[BoundResult] | None = None
        if bound:
            proving = pool.submit(
                lower_bound,
                drawing,
                graph=graph,
                return_to_origin=ret,
                reloop=options.reloop,
                time_limit_s=bound_time_limit_s,
                upper_bound_mm=BOUND_TARGET_SHARE * greedy_mm,
            )
        if on_search_start is not None:
            on_search_start()
        if isinstance(solver, BestSolver):
            order = solver.solve(drawing, options, progress, graph=graph, start=start)
        else:
            order = solver.solve(drawing, options, progress)
        order.check(drawing)
        search_mm = travel_mm(drawing, order, return_to_origin=ret)
        winner, best_mm = "search", search_mm
        if getattr(parameters, "keep_input", True):
            for name, candidate, candidate_mm in (
                ("input", Order.identity(len(drawing)), before.travel_mm),
                ("greedy", greedy, greedy_mm),
            ):
                if candidate_mm < best_mm - 1e-9:
                    winner, order, best_mm = name, candidate, candidate_mm
        seconds = time.perf_counter() - started
        proven = proving.result() if proving is not None else None
    after = measure(drawing, order, return_to_origin=ret, **feeds)
    solver_details = getattr(solver, "details_", None) or SolverDetails()
    solver_details = dataclasses.replace(solver_details, search_travel_mm=search_mm)
    details = solver_details.to_dict() | {"winner": winner}
    bound_seconds = None
    if proven is not None:
        bound_seconds = proven.details.get("seconds")
        details |= {"bound_method": proven.method, "bound_seconds": bound_seconds}
    return OptimizeResult(
        method=method,
        order=order,
        before=before,
        after=after,
        seconds=seconds,
        lower_bound_mm=None if proven is None else proven.value_mm,
        details=details,
        solver_details=solver_details,
        winner=winner,
        bound_seconds=bound_seconds,
    )


__all__ = ["SOLVERS", "greedy_order", "load_compiled_code", "optimize"]
