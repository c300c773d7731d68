"""The exact direction step: for a fixed sequence of segments, the directions (and loop entries) of least travel."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from batik_studio.toolpath.model import Drawing, Order


@njit(cache=True)
def _layered_shortest_path(origin, offsets, entry_xy, exit_xy, return_to_origin):
    layers = len(offsets) - 1
    states = offsets[-1]
    cost = np.full(states, np.inf)
    back = np.full(states, -1, dtype=np.int64)
    for j in range(offsets[0], offsets[1]):
        cost[j] = math.hypot(entry_xy[j, 0] - origin[0], entry_xy[j, 1] - origin[1])
    for layer in range(1, layers):
        for j in range(offsets[layer], offsets[layer + 1]):
            best = np.inf
            arg = -1
            for i in range(offsets[layer - 1], offsets[layer]):
                c = cost[i] + math.hypot(entry_xy[j, 0] - exit_xy[i, 0], entry_xy[j, 1] - exit_xy[i, 1])
                if c < best:
                    best = c
                    arg = i
            cost[j] = best
            back[j] = arg
    best = np.inf
    arg = -1
    for j in range(offsets[layers - 1], offsets[layers]):
        c = cost[j]
        if return_to_origin:
            c += math.hypot(exit_xy[j, 0] - origin[0], exit_xy[j, 1] - origin[1])
        if c < best:
            best = c
            arg = j
    chosen = np.empty(layers, dtype=np.int64)
    for layer in range(layers - 1, -1, -1):
        chosen[layer] = arg
        arg = back[arg]
    return chosen


def _direction_layers(drawing: Drawing, order: Order) -> tuple[np.ndarray, ...]:
    """Offsets, entry and exit points, flips and vertices of the layers when only directions are chosen.

    Built with array operations (the loop of :func:`best_entries` costs about 10 microseconds a segment): a
    segment whose ends meet is one state at its current entry, any other two (as drawn, and flipped).
    """
    sequence = order.sequence
    starts, ends = drawing.starts[sequence], drawing.ends[sequence]
    single = np.hypot(*(ends - starts).T) <= 1e-6
    sizes = np.where(single, 1, 2)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    states = int(offsets[-1])
    first = offsets[:-1]
    entry_xy = np.empty((states, 2))
    exit_xy = np.empty((states, 2))
    flips = np.zeros(states, dtype=bool)
    vertices = np.zeros(states, dtype=np.int64)
    lone = first[single]
    entry_point = starts[single].copy()
    lone_segments = sequence[single]
    for k in np.flatnonzero(order.entry_vertex[lone_segments] != 0):
        segment = lone_segments[k]
        entry_point[k] = drawing.paths[segment][order.entry_vertex[segment]]
    entry_xy[lone] = entry_point
    exit_xy[lone] = entry_point
    flips[lone] = order.reversed[sequence][single]
    vertices[lone] = order.entry_vertex[sequence][single]
    pair = first[~single]
    entry_xy[pair], exit_xy[pair] = starts[~single], ends[~single]
    entry_xy[pair + 1], exit_xy[pair + 1] = ends[~single], starts[~single]
    flips[pair + 1] = True
    return offsets, entry_xy, exit_xy, flips, vertices


def best_entries(
    drawing: Drawing, order: Order, *, return_to_origin: bool = True, reloop: bool = False, max_vertices: int = 48
) -> Order:
    """For the sequence of ``order``, the directions (and loop entry vertices with ``reloop``) of least travel.

    An exact shortest path through one layer per segment (its two directions; with ``reloop``, a closed loop's
    vertices, at most ``max_vertices`` of them evenly spread plus the current entry), so it never returns a worse
    order than the one given.
    """
    n = len(drawing)
    if n == 0:
        return order
    if not reloop:
        offsets, entry_xy, exit_xy, flip_all, vertex_all = _direction_layers(drawing, order)
        origin = np.asarray(drawing.origin, dtype=np.float64)
        chosen = _layered_shortest_path(origin, offsets, entry_xy, exit_xy, return_to_origin)
        flipped = np.zeros(n, dtype=bool)
        entry = np.zeros(n, dtype=np.int64)
        flipped[order.sequence] = flip_all[chosen]
        entry[order.sequence] = vertex_all[chosen]
        return Order(order.sequence, flipped, entry)
    single = np.hypot(*(drawing.ends - drawing.starts).T) <= 1e-6
    entry_chunks, exit_chunks, flips, vertices, sizes = [], [], [], [], []
    for s in order.sequence:
        path = drawing.paths[s]
        if reloop and drawing.closed[s]:
            count = len(path) - 1
            picks = np.unique(np.linspace(0, count - 1, min(count, max_vertices)).round().astype(np.int64))
            picks = np.union1d(picks, [order.entry_vertex[s]])
            points = path[picks]
            entry_chunks.append(points)
            exit_chunks.append(points)
            flips.append(np.full(len(picks), bool(order.reversed[s])))
            vertices.append(picks)
            sizes.append(len(picks))
        elif single[s]:
            point = path[order.entry_vertex[s]][None, :]
            entry_chunks.append(point)
            exit_chunks.append(point)
            flips.append(np.array([bool(order.reversed[s])]))
            vertices.append(np.array([order.entry_vertex[s]]))
            sizes.append(1)
        else:
            ends = np.stack([path[0], path[-1]])
            entry_chunks.append(ends)
            exit_chunks.append(ends[::-1])
            flips.append(np.array([False, True]))
            vertices.append(np.zeros(2, dtype=np.int64))
            sizes.append(2)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    chosen = _layered_shortest_path(
        np.asarray(drawing.origin, dtype=np.float64),
        offsets,
        np.concatenate(entry_chunks),
        np.concatenate(exit_chunks),
        return_to_origin,
    )
    flip_all = np.concatenate(flips)
    vertex_all = np.concatenate(vertices)
    flipped = np.zeros(n, dtype=bool)
    entry = np.zeros(n, dtype=np.int64)
    flipped[order.sequence] = flip_all[chosen]
    entry[order.sequence] = vertex_all[chosen]
    return Order(order.sequence, flipped, entry)


__all__ = ["best_entries"]
