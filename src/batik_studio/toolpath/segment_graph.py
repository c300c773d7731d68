"""The drawing-order problem as a travelling-salesman problem over segment ends.

Node 0 is the machine origin. A segment whose two ends coincide (a closed loop, a dot) is one node: it is entered
and left at the same point. Every other segment is two nodes, its start and its end, joined by a *forced* edge
(``mate``): a tour that keeps every forced edge draws every segment whole, and its length without the forced edges
is the pen-up travel. For an open path (no return to the origin) a *dummy* node is added, at distance 0 from every
node and forced next to the origin, so the tour's last real edge is the path's end.

With ``entry_vertex`` (``--reloop``), a closed loop's node sits at the vertex where the loop is entered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from batik_studio.toolpath.model import CLOSE_TOL_MM, Drawing, Order


@dataclass(frozen=True, eq=False)
class SegmentGraph:
    """Nodes of the segment-end TSP: coordinates, forced partners and the segment each node belongs to.

    ``xy[v]`` is where node ``v`` lies (the dummy's coordinates are unused), ``mate[v]`` its forced partner or -1,
    ``segment[v]`` its segment (-1 for the origin and the dummy), ``is_end[v]`` whether it is a segment's last point.
    """

    xy: np.ndarray
    mate: np.ndarray
    segment: np.ndarray
    is_end: np.ndarray
    dummy: int
    segments: int

    def __len__(self) -> int:
        return len(self.xy)


def point_like(drawing: Drawing) -> np.ndarray:
    """Which segments are entered and left at the same point (closed loops, dots): one node each."""
    if len(drawing) == 0:
        return np.zeros(0, dtype=bool)
    return np.hypot(*(drawing.ends - drawing.starts).T) <= CLOSE_TOL_MM


def build_graph(
    drawing: Drawing, *, return_to_origin: bool = True, entry_vertex: np.ndarray | None = None
) -> SegmentGraph:
    """The segment-end graph of ``drawing``; ``entry_vertex`` places each closed loop's node at that vertex."""
    n = len(drawing)
    single = point_like(drawing)
    counts = np.where(single, 1, 2)
    first = 1 + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if n else np.zeros(0, np.int64)
    size = 1 + int(counts.sum()) + (0 if return_to_origin else 1)
    xy = np.zeros((size, 2))
    mate = np.full(size, -1, dtype=np.int64)
    segment = np.full(size, -1, dtype=np.int64)
    is_end = np.zeros(size, dtype=bool)
    xy[0] = drawing.origin
    starts = drawing.starts.copy()
    if entry_vertex is not None:
        for i in np.flatnonzero(np.asarray(entry_vertex) != 0):
            starts[i] = drawing.paths[i][entry_vertex[i]]
    xy[first] = starts
    segment[first] = np.arange(n)
    pair = first[~single]
    xy[pair + 1] = drawing.ends[~single]
    segment[pair + 1] = np.flatnonzero(~single)
    is_end[pair + 1] = True
    mate[pair] = pair + 1
    mate[pair + 1] = pair
    dummy = -1
    if not return_to_origin:
        dummy = size - 1
        mate[0], mate[dummy] = dummy, 0
    return SegmentGraph(xy=xy, mate=mate, segment=segment, is_end=is_end, dummy=dummy, segments=n)


def tour_from_order(graph: SegmentGraph, order: Order) -> np.ndarray:
    """The node tour (origin first, dummy last) that draws segments as ``order`` does."""
    first = np.zeros(graph.segments, dtype=np.int64)
    nodes = np.flatnonzero(graph.segment >= 0)
    starts = nodes[~graph.is_end[nodes]]
    first[graph.segment[starts]] = starts
    tour = [0]
    for s in order.sequence:
        node = first[s]
        other = graph.mate[node]
        if other < 0:
            tour.append(node)
        elif order.reversed[s]:
            tour.extend((other, node))
        else:
            tour.extend((node, other))
    if graph.dummy >= 0:
        tour.append(graph.dummy)
    return np.asarray(tour, dtype=np.int64)


def keeps_segments_whole(graph: SegmentGraph, tour: np.ndarray) -> bool:
    """Whether every forced edge (segment) is an edge of the cyclic ``tour``."""
    tour = np.asarray(tour, dtype=np.int64)
    if len(tour) != len(graph) or not np.array_equal(np.sort(tour), np.arange(len(graph))):
        return False
    successor = np.empty(len(tour), dtype=np.int64)
    successor[tour] = np.roll(tour, -1)
    predecessor = np.empty(len(tour), dtype=np.int64)
    predecessor[tour] = np.roll(tour, 1)
    forced = np.flatnonzero(graph.mate >= 0)
    partner = graph.mate[forced]
    return bool(((successor[forced] == partner) | (predecessor[forced] == partner)).all())


def order_from_tour(graph: SegmentGraph, tour: np.ndarray, entry_vertex: np.ndarray | None = None) -> Order:
    """Decode a node tour into an :class:`Order`, keeping every segment whole even if a forced edge is broken.

    The tour is read from the origin (towards the dummy's far side for an open path); each segment is drawn when
    one of its nodes is first met, entered at that node. A tour that keeps every forced edge decodes exactly; one
    that does not is repaired this way (never invalid, at worst a little longer).
    """
    tour = np.asarray(tour, dtype=np.int64)
    start = int(np.flatnonzero(tour == 0)[0]) if len(tour) else 0
    tour = np.roll(tour, -start)
    if graph.dummy >= 0 and len(tour) > 1 and tour[1] == graph.dummy:
        tour = np.concatenate([tour[:1], tour[1:][::-1]])
    n = graph.segments
    seen = np.zeros(n, dtype=bool)
    sequence = []
    flipped = np.zeros(n, dtype=bool)
    for node in tour:
        s = graph.segment[node]
        if s < 0 or seen[s]:
            continue
        seen[s] = True
        sequence.append(s)
        flipped[s] = graph.is_end[node]
    return Order(np.asarray(sequence, dtype=np.int64), flipped, entry_vertex)


__all__ = ["SegmentGraph", "build_graph", "keeps_segments_whole", "order_from_tour", "point_like", "tour_from_order"]
