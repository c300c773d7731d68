"""``best``: a Lin-Kernighan-class TSP core on the segment-end graph, in linear memory for large drawings.

Where a small distance matrix fits (``matrix_max_nodes``) and the time limit is long enough for it (see
:func:`~.matrix.matrix_seconds`) or this process has not loaded the compiled search yet (see
:meth:`BestSolver.uses_matrix`), the whole problem goes to fast-tsp (Or-opt and Lin-Kernighan moves on alpha-nearness
candidates, in Rust, over an integer distance matrix): travel distances are scaled to integers with a large constant
added and forced (segment) edges cost 0, so every good tour keeps every segment whole. Otherwise memory stays linear:
a nearest-neighbour start is improved by Lin-Kernighan and Or-opt moves on quadrant-neighbour lists, then by an
iterated local search with double-bridge kicks (:mod:`.local_search`) until the time is up. Either way the tour is
decoded (repairing any broken segment), and the directions (and loop entries with ``reloop``) are chosen by an
exact shortest path for the final sequence. The compiled parts are imported only when the search reaches them, so
that fast-tsp can start before numba has loaded.

Without a time limit the search stops when it has stalled (:attr:`~.params.BestParams.stall_kicks_per_node` kicks
per node in a row without a gain) or at the size-based cap :func:`~.params.default_time_limit_s`, so small drawings
finish in seconds. The comparison with the input and greedy orders is :func:`~batik_studio.toolpath.solvers.optimize`'s.

Reproducibility: the local search, the kicks and every other step are deterministic for a given ``seed``, but
fast-tsp seeds its own random generator, and a search stopped by the time limit depends on the machine's speed, so
runs cut short by the limit can differ slightly from one run to the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph, order_from_tour, tour_from_order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions, SolverDetails
from batik_studio.toolpath.solvers.matrix import integer_matrix, matrix_seconds, matrix_tour
from batik_studio.toolpath.solvers.params import BestParams, available_cores, default_time_limit_s


@dataclass(frozen=True)
class BestDetails(SolverDetails):
    """A ``best`` run: whether fast-tsp's matrix was used, the search's time limit and why it stopped."""

    used_matrix: bool = False
    time_limit_s: float = 0.0
    stopped_by: str = "time"


class BestSolver:
    """Near-optimal order: fast-tsp where a small distance matrix fits, iterated Lin-Kernighan search beyond.

    Parameters are :class:`~.params.BestParams` (given whole, or as keywords): ``matrix_max_nodes`` is the largest
    graph (2 nodes per open segment, 1 per loop or dot, plus the origin) solved with fast-tsp; its matrix takes
    ``2 * nodes**2`` bytes (72 MB at 6,000 nodes). Above it the linear-memory search does as well: on the 23x23
    Megamendung tiling (12,697 nodes, 58 s) 112,976 mm against fast-tsp's 113,053 mm in a third of the memory.
    ``kicks_per_node`` kicks of the iterated local search follow fast-tsp (a fixed number, so a small drawing
    stops well before its time limit and repeats exactly); ``threads`` (default: the cores available) serve the
    linear-memory search, one per 5,000 nodes at most (:mod:`.split_search`).
    """

    def __init__(self, params: BestParams | None = None, **values: object) -> None:
        self.params = params if params is not None else BestParams(**values)
        self.matrix_max_nodes = self.params.matrix_max_nodes
        self.neighbours = self.params.neighbours
        self.kicks_per_node = self.params.kicks_per_node
        self.threads = available_cores() if self.params.threads is None else self.params.threads

    def solve(
        self,
        drawing: Drawing,
        options: SolveOptions,
        progress: Progress | None = None,
        *,
        graph: SegmentGraph | None = None,
        start: Order | None = None,
        loaded: bool = True,
        on_search_start: Callable[[], None] | None = None,
    ) -> Order:
        """Order ``drawing`` within ``options.time_limit_s`` (default: until stalled, at most the size-based cap).

        ``graph`` (the drawing's segment-end graph) and ``start`` (the greedy order decoded from it) are built
        here when the caller has not built them already. ``loaded`` says whether the compiled search is loaded in
        this process; when it is not, fast-tsp (which needs none of it) searches first wherever its matrix fits.
        ``on_search_start`` is called as the search starts (fast-tsp and the compiled search release the
        interpreter lock), so a caller can run other work beside it.
        """
        started = time.perf_counter()
        if len(drawing) == 0:
            self.details_ = BestDetails()
            return Order.identity(0)
        ret = options.return_to_origin
        graph = graph if graph is not None else build_graph(drawing, return_to_origin=ret)
        default = options.time_limit_s is None
        limit = default_time_limit_s(len(graph)) if default else options.time_limit_s
        # The search stops early enough to leave time for choosing directions (a few microseconds a stroke).
        deadline = started + limit - min(0.25 * limit, 3e-6 * len(drawing))
        stall_kicks = self.params.stall_kicks_per_node * len(graph) if default else None
        used_matrix = self.uses_matrix(len(graph), limit, loaded=loaded)
        if on_search_start is not None:
            on_search_start()
        # Below about 10 microseconds a node there is no time to build candidate lists: keep the greedy start.
        if deadline - time.perf_counter() > 1e-5 * len(graph):
            order = self._search(drawing, graph, start, deadline, limit, options.seed, stall_kicks, used_matrix)
        else:
            order, used_matrix = start if start is not None else _greedy_start(graph), False
        if progress is not None:
            progress(0.9)
        if options.reloop and drawing.closed.any():
            order = self._reloop(drawing, order, ret, deadline)
        if progress is not None:
            progress(1.0)
        searched = time.perf_counter() - started
        self.details_ = BestDetails(
            phases_s={"best": searched},
            used_matrix=used_matrix,
            time_limit_s=limit,
            stopped_by="time" if searched >= 0.95 * limit else "stall",
        )
        return order

    def uses_matrix(self, nodes: int, limit_s: float, *, loaded: bool = True) -> bool:
        """Whether fast-tsp's matrix serves a graph of ``nodes`` nodes within ``limit_s``.

        Where the matrix fits: when the limit leaves fast-tsp room to get past its first phase
        (:func:`~.matrix.matrix_seconds`), or when the compiled search is not ``loaded`` yet, since fast-tsp can
        then search while it loads (in a fresh process, on a drawing of 2,682 strokes, fast-tsp had reached 0.88 x
        vpype's travel by the time the iterated search could have started).
        """
        return 3 < nodes <= self.matrix_max_nodes and (not loaded or limit_s >= matrix_seconds(nodes))

    def _search(
        self,
        drawing: Drawing,
        graph: SegmentGraph,
        start: Order | None,
        deadline: float,
        limit: float,
        seed: int,
        stall_kicks: int | None,
        matrix: bool,
    ) -> Order:
        ret = graph.dummy < 0
        if matrix:
            distances = integer_matrix(graph)
            # Keep a tenth of the budget (at most 2 s) for the iterated local search, decoding and polishing.
            budget = max(0.2, deadline - time.perf_counter() - min(2.0, 0.1 * limit))
            order = order_from_tour(graph, matrix_tour(distances, budget))
        else:
            order = start if start is not None else _greedy_start(graph)
        # Imported here, after fast-tsp: in a fresh process numba loads them on the other core meanwhile.
        from batik_studio.toolpath.solvers.directions import best_entries

        if time.perf_counter() < deadline:
            order = self._improve(graph, order, deadline, seed, stall_kicks, matrix)
        return best_entries(drawing, order, return_to_origin=ret)

    def _improve(
        self, graph: SegmentGraph, order: Order, deadline: float, seed: int, stall_kicks: int | None, matrix: bool
    ) -> Order:
        """Lin-Kernighan and Or-opt moves on neighbour lists, then kicks, until ``deadline`` or the kick budget."""
        from batik_studio.toolpath.solvers.kicks import perturb_and_improve
        from batik_studio.toolpath.solvers.moves import improve_tour
        from batik_studio.toolpath.solvers.neighbours import neighbours

        lists = neighbours(graph, self.neighbours)
        tour = improve_tour(graph, tour_from_order(graph, order), deadline=deadline, neighbour_lists=lists)
        # After fast-tsp a fixed number of kicks, so a small drawing stops in well under its time limit and gives
        # the same order every run; without the matrix, the kicks use all the time left.
        kicks = self.kicks_per_node * len(graph) if matrix else None
        # The stall rule serves the search that has no kick budget (the one that would otherwise run to the cap).
        stall_kicks = None if matrix else stall_kicks
        tour = perturb_and_improve(
            graph,
            tour,
            deadline=deadline,
            neighbour_lists=lists,
            seed=seed,
            kicks=kicks,
            stall_kicks=stall_kicks,
            threads=self.threads,
        )
        return order_from_tour(graph, tour)

    def _reloop(self, drawing: Drawing, order: Order, ret: bool, deadline: float, rounds: int = 4) -> Order:
        """Alternate loop entry choice (exact for the sequence) and tour improvement with loops at those entries."""
        from batik_studio.toolpath.solvers.directions import best_entries
        from batik_studio.toolpath.solvers.moves import improve_tour

        best = best_entries(drawing, order, return_to_origin=ret, reloop=True)
        best_mm = travel_mm(drawing, best, return_to_origin=ret)
        for _ in range(rounds):
            if time.perf_counter() > deadline:
                break
            graph = build_graph(drawing, return_to_origin=ret, entry_vertex=best.entry_vertex)
            tour = improve_tour(graph, tour_from_order(graph, best), deadline=deadline)
            candidate = order_from_tour(graph, tour, entry_vertex=best.entry_vertex)
            candidate = best_entries(drawing, candidate, return_to_origin=ret, reloop=True)
            candidate_mm = travel_mm(drawing, candidate, return_to_origin=ret)
            if candidate_mm >= best_mm - 1e-9:
                break
            best, best_mm = candidate, candidate_mm
        return best


def _greedy_start(graph: SegmentGraph) -> Order:
    from batik_studio.toolpath.solvers.construction import greedy_tour

    return order_from_tour(graph, greedy_tour(graph))


__all__ = ["BestDetails", "BestSolver"]
