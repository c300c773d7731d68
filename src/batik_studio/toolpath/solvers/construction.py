"""Start tours: the nearest-neighbour tour on the segment-end graph, in compiled code on a uniform grid."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from batik_studio.toolpath.segment_graph import SegmentGraph


@njit(cache=True)
def _greedy_grid(xy, mate, dummy, cell_mm, x0, y0, cols, rows, cell_start, cell_nodes):
    size = len(xy)
    visited = np.zeros(size, dtype=np.bool_)
    left = np.zeros(cols * rows, dtype=np.int64)
    for c in range(cols * rows):
        left[c] = cell_start[c + 1] - cell_start[c]
    tour = np.empty(size, dtype=np.int64)
    count = 0
    current = 0
    remaining = size
    if dummy >= 0:
        remaining -= 1
        visited[dummy] = True
    while True:
        tour[count] = current
        count += 1
        visited[current] = True
        remaining -= 1
        cx = min(cols - 1, int((xy[current, 0] - x0) / cell_mm))
        cy = min(rows - 1, int((xy[current, 1] - y0) / cell_mm))
        left[cy * cols + cx] -= 1
        other = mate[current]
        if other >= 0 and not visited[other]:
            current = other
            continue
        if remaining == 0:
            break
        best = -1
        best_d = np.inf
        ring = 0
        while True:
            if best >= 0 and (ring - 1) * cell_mm > best_d:
                break
            if ring > cols + rows:
                break
            for gy in range(cy - ring, cy + ring + 1):
                if gy < 0 or gy >= rows:
                    continue
                step = 1 if (gy == cy - ring or gy == cy + ring) else 2 * ring
                gx = cx - ring
                while gx <= cx + ring:
                    if 0 <= gx < cols:
                        cell = gy * cols + gx
                        if left[cell] > 0:
                            for idx in range(cell_start[cell], cell_start[cell + 1]):
                                v = cell_nodes[idx]
                                if not visited[v]:
                                    dx = xy[v, 0] - xy[current, 0]
                                    dy = xy[v, 1] - xy[current, 1]
                                    d = math.sqrt(dx * dx + dy * dy)
                                    if d < best_d:
                                        best_d = d
                                        best = v
                    gx += max(step, 1)
            ring += 1
        current = best
    if dummy >= 0:
        tour[count] = dummy
    return tour


def greedy_tour(graph: SegmentGraph) -> np.ndarray:
    """Nearest-neighbour tour from the origin (each segment drawn whole once entered), via a uniform grid."""
    size = len(graph)
    real = np.flatnonzero(np.arange(size) != graph.dummy)
    points = graph.xy[real]
    lo = points.min(axis=0)
    span = np.maximum(points.max(axis=0) - lo, 1e-9)
    cell_mm = max(float(np.sqrt(span[0] * span[1] / max(len(real) / 2, 1))), 1e-6, float(span.max()) / 4096)
    cols = int(span[0] / cell_mm) + 1
    rows = int(span[1] / cell_mm) + 1
    cx = np.minimum(((points[:, 0] - lo[0]) / cell_mm).astype(np.int64), cols - 1)
    cy = np.minimum(((points[:, 1] - lo[1]) / cell_mm).astype(np.int64), rows - 1)
    cell = cy * cols + cx
    order = np.argsort(cell, kind="stable")
    cell_start = np.searchsorted(cell[order], np.arange(cols * rows + 1)).astype(np.int64)
    cell_nodes = real[order]
    return _greedy_grid(graph.xy, graph.mate, graph.dummy, cell_mm, lo[0], lo[1], cols, rows, cell_start, cell_nodes)


__all__ = ["greedy_tour"]
