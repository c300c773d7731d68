"""The one entry point that runs a solver: :func:`optimize`, with the never-worse rule and the bound beside it."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import import_module
from typing import TYPE_CHECKING, Any

from batik_studio.errors import OptionError
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
from batik_studio.toolpath.solvers.params import (
    METHOD_PARAMS,
    available_cores,
    build_params,
    check_method,
    default_time_limit_s,
)

if TYPE_CHECKING:
    from batik_studio.toolpath.bounds import BoundResult


class _Solvers(Mapping[str, Callable[..., Solver]]):
    """Each method's solver class by name, imported on first use (the compiled solvers load numba)."""

    _HOMES = {
        "best": ("best", "BestSolver"),
        "greedy": ("greedy", "GreedySolver"),
        "kmeans-msga": ("kmeans_msga", "KMeansMsgaSolver"),
        "msga": ("msga", "MsgaSolver"),
    }

    def __getitem__(self, method: str) -> Callable[..., Solver]:
        module, name = self._HOMES[method]
        return getattr(import_module(f"batik_studio.toolpath.solvers.{module}"), name)

    def __iter__(self) -> Iterator[str]:
        return iter(METHOD_PARAMS)

    def __len__(self) -> int:
        return len(METHOD_PARAMS)


#: Each method's solver class, built from its parameters (:data:`~.params.METHOD_PARAMS` has the same keys).
SOLVERS: Mapping[str, Callable[..., Solver]] = _Solvers()


#: The bound runs before the search has a tour, so its subgradient steps aim at this share of the greedy travel:
#: ``best`` ends at 0.73-0.75 x greedy on the shared drawings (5x5 and 23x23 tilings, dexarm_walle). Any target
#: gives a valid bound; a far one (greedy's own travel) only makes the steps too long to converge in time.
BOUND_TARGET_SHARE = 0.8

_LOADED: set[str] = set()

#: Methods that have run in this process (the first run of ``best`` may start on fast-tsp before loading).
_RAN: set[str] = set()


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
    from batik_studio.toolpath.solvers.construction import greedy_tour
    from batik_studio.toolpath.solvers.directions import best_entries

    start = order_from_tour(graph, greedy_tour(graph))
    exact = best_entries(drawing, start, return_to_origin=options.return_to_origin, reloop=options.reloop)
    return start, exact


def _beside_search(
    drawing: Drawing,
    graph: SegmentGraph,
    options: SolveOptions,
    *,
    greedy: Order | None,
    bound_time_limit_s: float | None,
    started: float,
    then: Callable[[], None] | None,
) -> tuple[Order, BoundResult | None]:
    """What runs on the other thread during the search: the greedy order (unless given), ``then``, the bound.

    The bound's clock is the search's (it started at ``started``), so the bound ends with the search; the
    assignment bound is proven whatever time is left. Their compiled code loads on first call; ``then`` (the
    caller's own work beside the search) starts after the greedy order, so that it does not compete with numba's
    start-up for the interpreter.
    """
    from batik_studio.toolpath.bounds import lower_bound

    if greedy is None:
        greedy = greedy_order(drawing, graph, options)[1]
    if then is not None:
        then()
    if bound_time_limit_s is None:
        return greedy, None
    ret = options.return_to_origin
    proven = lower_bound(
        drawing,
        graph=graph,
        return_to_origin=ret,
        reloop=options.reloop,
        time_limit_s=max(0.0, bound_time_limit_s - (time.perf_counter() - started)),
        upper_bound_mm=BOUND_TARGET_SHARE * travel_mm(drawing, greedy, return_to_origin=ret),
    )
    return greedy, proven


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
    search releases the interpreter lock), within ``bound_time_limit_s`` of the search's start (default: the
    search's time limit, or ``best``'s size-based default, so the whole call takes about as long as the search),
    and the result says how far from optimal it can at most be (``gap_pct``); ``best`` then leaves that core to
    the bound. The compiled code is loaded before the clock starts, except on ``best``'s first run in a process
    where fast-tsp's matrix fits: fast-tsp (which needs none of it) then searches at once and the code loads
    beside it, so a one-off command ends sooner.
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
    graph = build_graph(drawing, return_to_origin=ret)
    limit_s = options.time_limit_s or default_time_limit_s(len(graph))
    if bound_time_limit_s is None:
        bound_time_limit_s = limit_s
    # On the first run in a process fast-tsp searches at once while the compiled code loads on the other thread
    # (the whole process ends sooner); otherwise the code is loaded first, since a time limit is for searching.
    fresh = method not in _LOADED and method not in _RAN
    fast_tsp_first = method == "best" and fresh and solver.uses_matrix(len(graph), limit_s, loaded=False)
    _RAN.add(method)
    if not fast_tsp_first:
        load_compiled_code(method)
    started = time.perf_counter()
    start = greedy = None
    if not fast_tsp_first:
        start, greedy = greedy_order(drawing, graph, options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        beside: list[Future[tuple[Order, BoundResult | None]]] = []

        def start_beside() -> None:
            if beside:
                return
            beside.append(
                pool.submit(
                    _beside_search,
                    drawing,
                    graph,
                    options,
                    greedy=greedy,
                    bound_time_limit_s=bound_time_limit_s if bound else None,
                    started=started,
                    then=on_search_start,
                )
            )

        if method == "best":
            order = solver.solve(
                drawing,
                options,
                progress,
                graph=graph,
                start=start,
                loaded=not fast_tsp_first,
                on_search_start=start_beside,
            )
        else:
            start_beside()
            order = solver.solve(drawing, options, progress)
        start_beside()
        order.check(drawing)
        search_mm = travel_mm(drawing, order, return_to_origin=ret)
        seconds = time.perf_counter() - started
        greedy, proven = beside[0].result()
        winner, best_mm = "search", search_mm
        if getattr(parameters, "keep_input", True):
            for name, candidate, candidate_mm in (
                ("input", Order.identity(len(drawing)), before.travel_mm),
                ("greedy", greedy, travel_mm(drawing, greedy, return_to_origin=ret)),
            ):
                if candidate_mm < best_mm - 1e-9:
                    winner, order, best_mm = name, candidate, candidate_mm
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
