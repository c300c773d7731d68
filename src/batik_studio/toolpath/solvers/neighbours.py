"""Candidate neighbours of every node of the segment-end graph: the edges the local search may add."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from batik_studio.toolpath.segment_graph import SegmentGraph


def neighbours(graph: SegmentGraph, k: int = 12, per_quadrant: int = 3, pool: int = 40) -> np.ndarray:
    """Candidate neighbours of each node, nearest first: the dummy (if any), then ``k`` quadrant neighbours.

    The ``per_quadrant`` nearest nodes in each of the four quadrants around a node (among its ``pool`` nearest,
    from a k-d tree), topped up with the nearest others: in a drawing made of tight clusters (a tiled motif) the
    plain nearest neighbours all lie in the node's own cluster, and the links between clusters would never be
    candidates (Johnson and McGeoch's quadrant neighbours). On the 23x23 Megamendung tiling this takes the
    iterated local search from 121,000 to 118,600 mm. Rows are padded with -1.
    """
    size = len(graph)
    real = np.flatnonzero(np.arange(size) != graph.dummy)
    k_eff = min(k, len(real) - 1)
    shift = 1 if graph.dummy >= 0 else 0
    lists = np.full((size, max(k_eff, 0) + shift), -1, dtype=np.int64)
    if k_eff > 0:
        width = min(max(pool, k_eff), len(real) - 1)
        _, found = cKDTree(graph.xy[real]).query(graph.xy[real], k=width + 1)
        found = real[found]
        # Drop each node itself (normally column 0, but not always among coincident points).
        others = found != real[:, None]
        keep = np.argsort(~others, axis=1, kind="stable")[:, :width]
        found = np.take_along_axis(found, keep, axis=1)
        offset = graph.xy[found] - graph.xy[real][:, None, :]
        quadrant = (offset[..., 0] >= 0) * 2 + (offset[..., 1] >= 0)
        rank = np.zeros(found.shape, dtype=np.int64)
        for q in range(4):
            inside = quadrant == q
            rank[inside] = (np.cumsum(inside, axis=1) - 1)[inside]
        # Quadrant picks first, then the nearest of the rest; each row's picks back in distance order.
        priority = np.where(rank < per_quadrant, 0, 1) * width + np.arange(width)
        picked = np.sort(np.argsort(priority, axis=1, kind="stable")[:, :k_eff], axis=1)
        lists[real, shift:] = np.take_along_axis(found, picked, axis=1)
    if graph.dummy >= 0:
        lists[real, 0] = graph.dummy
    return lists


__all__ = ["neighbours"]
