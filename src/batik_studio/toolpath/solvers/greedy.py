"""Nearest-neighbour ordering: from the origin, always draw the closest undrawn segment next, from its nearer end.

Without ``reloop`` this is the compiled nearest-neighbour tour on the segment-end graph
(:func:`~.construction.greedy_tour`, a uniform grid, milliseconds for 10,000 segments). With ``reloop``, candidate
entry points (both ends of every segment, and with ``reloop`` every vertex of a closed loop) sit in a
k-d tree. Each step asks the tree for the ``k`` nearest candidates and takes the first whose segment is not drawn
yet, doubling ``k`` when all of them are; the tree is rebuilt over the remaining candidates whenever half of it
is spent, so 100,000 segments take seconds.
"""

from __future__ import annotations

import time

import numpy as np

from batik_studio.toolpath.model import Drawing, Order
from batik_studio.toolpath.segment_graph import build_graph, order_from_tour
from batik_studio.toolpath.solvers.base import Progress, SolveOptions, SolverDetails
from batik_studio.toolpath.solvers.construction import greedy_tour
from batik_studio.toolpath.solvers.params import GreedyParams


def _candidates(drawing: Drawing, reloop: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entry points, the segment each belongs to, and the vertex index it stands for (-1: the last point)."""
    n = len(drawing)
    points = [drawing.starts, drawing.ends]
    owners = [np.arange(n), np.arange(n)]
    vertices = [np.zeros(n, np.int64), np.full(n, -1, np.int64)]
    open_ends = ~drawing.closed
    points[1], owners[1], vertices[1] = points[1][open_ends], owners[1][open_ends], vertices[1][open_ends]
    if reloop:
        for segment in np.flatnonzero(drawing.closed):
            path = drawing.paths[segment]
            inner = len(path) - 2
            points.append(path[1:-1])
            owners.append(np.full(inner, segment))
            vertices.append(np.arange(1, inner + 1))
    return np.concatenate(points), np.concatenate(owners), np.concatenate(vertices)


class GreedySolver:
    """Nearest neighbour from the origin, entering each segment at its nearer end.

    With ``options.reloop`` a closed loop may be entered at any of its vertices (it is then drawn round from
    there back to the same vertex). Deterministic: the seed and time limit are not used. Its parameters are
    :class:`~.params.GreedyParams` (given whole, or as keywords).
    """

    def __init__(self, params: GreedyParams | None = None, **values: object) -> None:
        self.params = params if params is not None else GreedyParams(**values)
        self.first_k = self.params.first_k

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Order every segment of ``drawing`` once, whole, greedily."""
        from scipy.spatial import cKDTree

        started = time.perf_counter()
        n = len(drawing)
        if n == 0:
            self.details_ = SolverDetails(phases_s={"greedy": 0.0}, search_travel_mm=0.0)
            return Order.identity(0)
        if not options.reloop:
            graph = build_graph(drawing, return_to_origin=options.return_to_origin)
            order = order_from_tour(graph, greedy_tour(graph))
            self.details_ = SolverDetails(phases_s={"greedy": time.perf_counter() - started})
            if progress is not None:
                progress(1.0)
            return order
        points, owners, vertices = _candidates(drawing, options.reloop)
        sequence = np.empty(n, np.int64)
        flipped = np.zeros(n, bool)
        entry = np.zeros(n, np.int64)
        drawn = np.zeros(n, bool)
        alive = np.arange(len(points))
        tree = cKDTree(points[alive])
        here = np.asarray(drawing.origin, np.float64)
        report_every = max(1, n // 100)
        for step in range(n):
            k = self.first_k
            while True:
                k = min(k, len(alive))
                _, found = tree.query(here, k=k)
                found = np.atleast_1d(found)
                hits = alive[found]
                free = ~drawn[owners[hits]]
                if free.any():
                    choice = int(hits[np.argmax(free)])
                    break
                k *= 2
            segment = int(owners[choice])
            vertex = int(vertices[choice])
            sequence[step] = segment
            drawn[segment] = True
            if vertex == -1:
                flipped[segment] = True
                here = drawing.starts[segment]
            elif vertex == 0:
                here = drawing.ends[segment]
            else:
                entry[segment] = vertex
                here = drawing.paths[segment][vertex]
            if step + 1 < n and (step + 1) % report_every == 0:
                if 2 * int(np.count_nonzero(drawn[owners[alive]])) > len(alive):
                    alive = alive[~drawn[owners[alive]]]
                    tree = cKDTree(points[alive])
                if progress is not None:
                    progress((step + 1) / n)
        if progress is not None:
            progress(1.0)
        self.details_ = SolverDetails(phases_s={"greedy": time.perf_counter() - started})
        return Order(sequence, flipped, entry)


__all__ = ["GreedySolver"]
