"""``best``: a Lin-Kernighan-class TSP core on the segment-end graph, in linear memory for large drawings.

Where a small distance matrix fits (``matrix_max_nodes``) and the time limit is long enough for it (see
:func:`matrix_seconds`), the whole problem goes to fast-tsp (Or-opt and Lin-Kernighan moves on alpha-nearness
candidates, in Rust, over an integer distance matrix): travel distances are scaled to integers with a large constant
added and forced (segment) edges cost 0, so every good tour keeps every segment whole. Otherwise memory stays linear:
a nearest-neighbour start is improved by Lin-Kernighan and Or-opt moves on quadrant-neighbour lists, then by an
iterated local search with double-bridge kicks (:mod:`.local_search`) until the time is up. Either way the tour is
decoded (repairing any broken segment), and the directions (and loop entries with ``reloop``) are chosen by an
exact shortest path for the final sequence. The result is never worse than the greedy order.

Reproducibility: the local search, the kicks and every other step are deterministic for a given ``seed``, but
fast-tsp seeds its own random generator, and a search stopped by the time limit depends on the machine's speed, so
runs cut short by the limit can differ slightly from one run to the next.
"""

from __future__ import annotations

import math
import os
import time

import fast_tsp
import numpy as np
from numba import njit

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph, order_from_tour, tour_from_order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions
from batik_studio.toolpath.solvers.greedy import GreedySolver
from batik_studio.toolpath.solvers.local_search import (
    best_entries,
    greedy_tour,
    improve_tour,
    neighbours,
    perturb_and_improve,
)

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


class BestSolver:
    """Near-optimal order: fast-tsp where a small distance matrix fits, iterated Lin-Kernighan search beyond.

    Parameters
    ----------
    matrix_max_nodes
        Largest graph (2 nodes per open segment, 1 per loop or dot, plus the origin) solved with fast-tsp;
        its matrix takes ``2 * nodes**2`` bytes (72 MB at 6,000 nodes). Above it the linear-memory search does
        as well: on the 23x23 Megamendung tiling (12,697 nodes, 58 s) 112,976 mm against fast-tsp's 113,053 mm
        in a third of the memory.
    neighbours
        Candidate neighbours per node for the local search.
    kicks_per_node
        After fast-tsp, kicks of the iterated local search per node (a fixed number, so a small drawing stops
        well before its time limit and repeats exactly).
    threads
        Threads for the linear-memory search (default: the cores available); it uses one per 5,000 nodes at most
        (:mod:`.split_search`).
    """

    def __init__(
        self, matrix_max_nodes: int = 6_000, neighbours: int = 12, kicks_per_node: int = 25, threads: int | None = None
    ) -> None:
        self.matrix_max_nodes = matrix_max_nodes
        self.neighbours = neighbours
        self.kicks_per_node = kicks_per_node
        self.threads = available_cores() if threads is None else threads

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Order ``drawing``; ``options.time_limit_s`` bounds the search (default :func:`default_time_limit_s`)."""
        started = time.perf_counter()
        if len(drawing) == 0:
            return Order.identity(0)
        ret = options.return_to_origin
        graph = build_graph(drawing, return_to_origin=ret)
        limit = options.time_limit_s if options.time_limit_s is not None else default_time_limit_s(len(graph))
        # The search stops early enough to leave time for choosing directions and the comparison with greedy
        # (about 10 microseconds a stroke), so the whole call keeps the limit.
        deadline = started + limit - min(0.25 * limit, 1e-5 * len(drawing))
        start = order_from_tour(graph, greedy_tour(graph))
        order = self._search(drawing, graph, start, deadline, limit, options.seed)
        if progress is not None:
            progress(0.9)
        greedy = best_entries(drawing, start, return_to_origin=ret)
        if options.reloop and drawing.closed.any():
            order = self._reloop(drawing, order, ret, deadline)
            greedy = GreedySolver().solve(drawing, options)
        if travel_mm(drawing, greedy, return_to_origin=ret) < travel_mm(drawing, order, return_to_origin=ret):
            order = greedy
        if progress is not None:
            progress(1.0)
        return order

    def _search(
        self, drawing: Drawing, graph: SegmentGraph, start: Order, deadline: float, limit: float, seed: int
    ) -> Order:
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
        tour = perturb_and_improve(
            graph, tour, deadline=deadline, neighbour_lists=lists, seed=seed, kicks=kicks, threads=self.threads
        )
        return best_entries(drawing, order_from_tour(graph, tour), return_to_origin=ret)

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


__all__ = ["BestSolver", "available_cores", "default_time_limit_s", "integer_matrix", "matrix_seconds"]
