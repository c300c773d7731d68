"""``best``: a Lin-Kernighan-class TSP core on the segment-end graph, with a linear-memory search for huge drawings.

Up to ``matrix_max_nodes`` nodes the whole problem goes to fast-tsp (an Or-opt / Lin-Kernighan local search in
Rust that needs an integer distance matrix): travel distances are scaled to integers with a large constant added,
and forced (segment) edges cost 0, so every good tour keeps every segment whole. Above that size, or when fast-tsp
is not wanted, the tour comes from a nearest-neighbour start improved by 2-opt and Or-opt moves on k-nearest
neighbour lists (:mod:`.local_search`). Either way the tour is decoded (repairing any broken segment), polished by
the same local search, and its directions (and loop entries with ``reloop``) are chosen by an exact shortest path
for the final sequence. The result is never worse than the nearest-neighbour order.
"""

from __future__ import annotations

import time
from dataclasses import replace

import fast_tsp
import numpy as np

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph, order_from_tour, tour_from_order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions
from batik_studio.toolpath.solvers.greedy import GreedySolver
from batik_studio.toolpath.solvers.local_search import (
    best_entries,
    improve_tour,
    neighbours,
    perturb_and_improve,
)

#: Largest value fast-tsp accepts in its distance matrix.
_UINT16_MAX = 65_535

#: Constant added to every travel edge so that dropping a forced (segment) edge never pays off.
_FORCED_OFFSET = 32_767


def default_time_limit_s(nodes: int) -> float:
    """Search time when none is given: about 2.5 ms per node, between 1 s and 60 s."""
    return float(min(60.0, max(1.0, nodes / 400.0)))


def integer_matrix(graph: SegmentGraph) -> np.ndarray:
    """The fast-tsp matrix: scaled travel distance plus an offset, forced edges 0, dummy rows at the offset."""
    xy = graph.xy
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if len(xy) else 0.0
    scale = (_UINT16_MAX - _FORCED_OFFSET - 1) / max(span, 1e-9)
    size = len(graph)
    matrix = np.empty((size, size), dtype=np.uint16)
    rows = 2048
    for first in range(0, size, rows):
        block = np.hypot(
            xy[first : first + rows, None, 0] - xy[None, :, 0], xy[first : first + rows, None, 1] - xy[None, :, 1]
        )
        matrix[first : first + rows] = np.rint(block * scale).astype(np.uint16) + _FORCED_OFFSET
    if graph.dummy >= 0:
        matrix[graph.dummy, :] = _FORCED_OFFSET
        matrix[:, graph.dummy] = _FORCED_OFFSET
    forced = np.flatnonzero(graph.mate >= 0)
    matrix[forced, graph.mate[forced]] = 0
    np.fill_diagonal(matrix, 0)
    return matrix


class BestSolver:
    """Near-optimal order: fast-tsp where a distance matrix fits, 2-opt/Or-opt on neighbour lists beyond.

    Parameters
    ----------
    matrix_max_nodes
        Largest graph (2 nodes per open segment, 1 per loop or dot, plus the origin) solved with fast-tsp;
        its matrix takes ``2 * nodes**2`` bytes (450 MB at 15,000 nodes).
    neighbours
        Candidate neighbours per node for the local search.
    """

    def __init__(self, matrix_max_nodes: int = 15_000, neighbours: int = 10) -> None:
        self.matrix_max_nodes = matrix_max_nodes
        self.neighbours = neighbours

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Order ``drawing``; ``options.time_limit_s`` bounds the search (default :func:`default_time_limit_s`)."""
        started = time.perf_counter()
        if len(drawing) == 0:
            return Order.identity(0)
        ret = options.return_to_origin
        graph = build_graph(drawing, return_to_origin=ret)
        limit = options.time_limit_s if options.time_limit_s is not None else default_time_limit_s(len(graph))
        deadline = started + limit
        plain = replace(options, reloop=False)
        start = best_entries(drawing, GreedySolver().solve(drawing, plain), return_to_origin=ret)
        order = self._search(drawing, graph, start, deadline, limit, options.seed)
        if progress is not None:
            progress(0.9)
        greedy = start
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
        if 3 < len(graph) <= self.matrix_max_nodes:
            # Keep a fifth of the budget (at most 5 s) for decoding and polishing.
            budget = max(0.2, deadline - time.perf_counter() - min(5.0, 0.2 * limit))
            tour = np.asarray(fast_tsp.find_tour(integer_matrix(graph), budget, stop_when_converged=True))
            order = order_from_tour(graph, tour)
        tour = improve_tour(graph, tour_from_order(graph, order), deadline=deadline, neighbour_lists=lists)
        if time.perf_counter() < deadline and len(graph) > self.matrix_max_nodes:
            tour = perturb_and_improve(graph, tour, deadline=deadline, neighbour_lists=lists, seed=seed)
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


__all__ = ["BestSolver", "default_time_limit_s", "integer_matrix"]
