"""``best``: a Lin-Kernighan-class TSP core on the segment-end graph, in linear memory for large drawings.

Where a small distance matrix fits (``matrix_max_nodes``) and the time limit is long enough for it (see
:func:`matrix_seconds`), the whole problem goes to fast-tsp (Or-opt and Lin-Kernighan moves on alpha-nearness
candidates, in Rust, over an integer distance matrix): travel distances are scaled to integers with a large constant
added and forced (segment) edges cost 0, so every good tour keeps every segment whole. Otherwise memory stays linear:
a nearest-neighbour start is improved by Lin-Kernighan and Or-opt moves on quadrant-neighbour lists, then by an
iterated local search with double-bridge kicks (:mod:`.local_search`) until the time is up. Either way the tour is
decoded (repairing any broken segment), and the directions (and loop entries with ``reloop``) are chosen by an
exact shortest path for the final sequence.

Without a time limit the search stops when it has stalled (:attr:`~.params.BestParams.stall_kicks_per_node` kicks
per node in a row without a gain) or at the size-based cap :func:`default_time_limit_s`, so small drawings finish
in seconds. The comparison with the input and greedy orders is :func:`~batik_studio.toolpath.solvers.optimize`'s.

Reproducibility: the local search, the kicks and every other step are deterministic for a given ``seed``, but
fast-tsp seeds its own random generator, and a search stopped by the time limit depends on the machine's speed, so
runs cut short by the limit can differ slightly from one run to the next.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import fast_tsp
import numpy as np
from numba import njit

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph, order_from_tour, tour_from_order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions, SolverDetails
from batik_studio.toolpath.solvers.construction import greedy_tour
from batik_studio.toolpath.solvers.directions import best_entries
from batik_studio.toolpath.solvers.kicks import perturb_and_improve
from batik_studio.toolpath.solvers.moves import improve_tour
from batik_studio.toolpath.solvers.neighbours import neighbours
from batik_studio.toolpath.solvers.params import BestParams

#: Largest value fast-tsp accepts in its distance matrix.
_UINT16_MAX = 65_535

#: Constant added to every travel edge so that dropping a forced (segment) edge never pays off.
_FORCED_OFFSET = 32_767


def default_time_limit_s(nodes: int) -> float:
    """Search time when none is given: (nodes / 1000) ** 1.6 seconds, between 2 s and 2 minutes.

    Lin-Kernighan search needs more than linear time to settle, so the budget grows a little faster than the size:
    about 6 s for 3,000 nodes, 15 s for 5,000, 1 minute for 13,000.
    """
    return float(min(120.0, max(2.0, (nodes / 1000.0) ** 1.6)))


@njit(cache=True)
def _fill_matrix(xy, scale, offset):
    size = len(xy)
    matrix = np.empty((size, size), dtype=np.uint16)
    for i in range(size):
        for j in range(i + 1):
            d = math.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
            value = np.uint16(math.floor(d * scale + 0.5) + offset)
            matrix[i, j] = value
            matrix[j, i] = value
    return matrix


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def matrix_seconds(nodes: int) -> float:
    """The least time limit for which fast-tsp on the full matrix is used: a quarter of the default limit.

    fast-tsp first settles in a plain local optimum and only then improves sharply (on the 23x23 Megamendung
    tiling, 12,697 nodes, it stays at 123,600 mm up to 10 s and reaches 114,900 mm at 13 s), so with less time the
    linear-memory iterated local search, which improves from the start, is used.
    """
    return 0.25 * default_time_limit_s(nodes)


def integer_matrix(graph: SegmentGraph) -> np.ndarray:
    """The fast-tsp matrix: scaled travel distance plus an offset, forced edges 0, dummy rows at the offset."""
    xy = graph.xy
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if len(xy) else 0.0
    scale = (_UINT16_MAX - _FORCED_OFFSET - 1) / max(span, 1e-9)
    matrix = _fill_matrix(xy, scale, _FORCED_OFFSET)
    if graph.dummy >= 0:
        matrix[graph.dummy, :] = _FORCED_OFFSET
        matrix[:, graph.dummy] = _FORCED_OFFSET
    forced = np.flatnonzero(graph.mate >= 0)
    matrix[forced, graph.mate[forced]] = 0
    np.fill_diagonal(matrix, 0)
    return matrix


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
    ) -> Order:
        """Order ``drawing`` within ``options.time_limit_s`` (default: until stalled, at most the size-based cap).

        ``graph`` (the drawing's segment-end graph) and ``start`` (the greedy order decoded from it) are built
        here when the caller has not built them already.
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
        if start is None:
            start = order_from_tour(graph, greedy_tour(graph))
        stall_kicks = self.params.stall_kicks_per_node * len(graph) if default else None
        order, used_matrix = start, False
        # Below about 10 microseconds a node there is no time to build candidate lists: keep the start.
        if deadline - time.perf_counter() > 1e-5 * len(graph):
            order, used_matrix = self._search(drawing, graph, start, deadline, limit, options.seed, stall_kicks)
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

    def _search(
        self,
        drawing: Drawing,
        graph: SegmentGraph,
        start: Order,
        deadline: float,
        limit: float,
        seed: int,
        stall_kicks: int | None,
    ) -> tuple[Order, bool]:
        ret = graph.dummy < 0
        lists = neighbours(graph, self.neighbours)
        order = start
        matrix = 3 < len(graph) <= self.matrix_max_nodes and limit >= matrix_seconds(len(graph))
        if matrix:
            # Keep a tenth of the budget (at most 2 s) for the iterated local search, decoding and polishing.
            budget = max(0.2, deadline - time.perf_counter() - min(2.0, 0.1 * limit))
            tour = np.asarray(fast_tsp.find_tour(integer_matrix(graph), budget, stop_when_converged=True))
            order = order_from_tour(graph, tour)
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
        return best_entries(drawing, order_from_tour(graph, tour), return_to_origin=ret), matrix

    def _reloop(self, drawing: Drawing, order: Order, ret: bool, deadline: float, rounds: int = 4) -> Order:
        """Alternate loop entry choice (exact for the sequence) and tour improvement with loops at those entries."""
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


__all__ = ["BestDetails", "BestSolver", "available_cores", "default_time_limit_s", "integer_matrix", "matrix_seconds"]
