"""Proven lower bounds on the pen-up travel of any drawing order, to say how far a result can be from optimal.

All bounds work on the segment-end graph (:mod:`~batik_studio.toolpath.segment_graph`): a drawing order is a tour
through the origin and every segment's ends that keeps each segment's own (forced) edge, and its travel is the
tour's length without the forced edges. Any relaxation of that tour problem gives a valid bound:

- **assignment**: every slot (a segment end, twice for a loop or dot, twice for the origin) is joined to exactly
  one slot of another segment by a travel move; the cheapest such assignment, halved, is a bound. Solved exactly
  with SciPy's ``linear_sum_assignment`` up to :data:`DENSE_ASSIGNMENT_MAX_SLOTS` slots. Above that a feasible
  solution of the assignment's dual LP (``u[a] + u[b] <= distance(a, b)`` for every pair, found by coordinate
  ascent on k-nearest neighbours and then checked, and repaired, against *every* pair within reach with k-d tree
  ball queries) gives ``sum(u)``, a bound by weak LP duality (it is at most the assignment bound).
- **held-karp**: the 1-tree bound with node penalties improved by subgradient ascent (Held & Karp 1970, step
  rule after Volgenant & Jonker). Each 1-tree is the exact minimum spanning tree of the complete graph (Prim in
  O(n^2), forced edges contracted), so every value found is a bound. It is the strong one (a few percent below
  the optimum on drawings).
- **1-tree** (for any size): the same 1-tree without penalties, whose spanning tree is found exactly among the
  Delaunay edges of the points where nodes may be entered, in O(n log n) time.

With ``reloop`` a closed loop may be entered at any of its vertices, so its node is a disc (the loop's bounding
circle) and the distance between two nodes is the gap between their discs: never more than the distance between
any two points they may be entered at, so every bound above stays valid for the re-looped problem. The 1-tree
uses the exact gap: the least distance between the points where two nodes may be entered.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from batik_studio.toolpath.model import Drawing
from batik_studio.toolpath.segment_graph import SegmentGraph, build_graph
from batik_studio.toolpath.solvers.construction import greedy_tour

#: Up to this many slots the assignment bound is solved exactly on a dense matrix (8 bytes per entry).
DENSE_ASSIGNMENT_MAX_SLOTS = 4_000

#: Up to this many nodes the Held-Karp bound runs (each subgradient step is an O(n^2) Prim).
HELD_KARP_MAX_NODES = 20_000


#: Time one exact complete-graph 1-tree takes per pair of nodes (measured: 0.3 s for 5,365 nodes on 2 cores).
EXACT_TREE_SECONDS_PER_PAIR = 1.0e-8

#: Held-Karp runs only when the time left holds this many exact 1-trees: the first and the last are always
#: computed, and a run with no time for steps between them proves no more than the 1-tree bound.
HELD_KARP_LEAST_EXACT_TREES = 4

#: Time the Delaunay 1-tree takes per triangulated point (measured: 2.7 million points in 34-40 s on 2 cores).
TREE_SECONDS_PER_POINT = 15e-6


@dataclass(frozen=True)
class BoundResult:
    """A proven lower bound on travel (mm) and how it was obtained."""

    value_mm: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)


def _discs(drawing: Drawing, graph: SegmentGraph, reloop: bool) -> tuple[np.ndarray, np.ndarray]:
    """Centre and radius of every node: the node's point, or a closed loop's bounding circle with ``reloop``."""
    centres = graph.xy.copy()
    radii = np.zeros(len(graph))
    if reloop:
        for node in np.flatnonzero(graph.segment >= 0):
            s = graph.segment[node]
            if drawing.closed[s]:
                points = drawing.paths[s]
                centre = (points.min(axis=0) + points.max(axis=0)) / 2
                centres[node] = centre
                radii[node] = float(np.hypot(*(points - centre).T).max())
    return centres, radii


def _exact_gaps(
    drawing: Drawing, graph: SegmentGraph, centres: np.ndarray, reloop: bool, k: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Exact gaps to the ``k`` nearest nodes with ``reloop``: ``(near, near_gap)``, ``(n, 0)`` arrays without.

    The gap is the smallest distance between the points where each node may be entered (a loop's vertices, or
    its one point); it is never below the disc gap, so using it keeps the bound valid and makes it tighter.
    """
    from scipy.spatial import cKDTree

    n = len(graph)
    if not reloop or not drawing.closed.any() or n < 3:
        return np.full((n, 0), -1, dtype=np.int64), np.zeros((n, 0))
    real = np.flatnonzero(np.arange(n) != graph.dummy)
    vertices = {}
    for node in real:
        segment = graph.segment[node]
        if segment >= 0 and drawing.closed[segment]:
            vertices[int(node)] = drawing.paths[segment][:-1]
    trees = {node: cKDTree(points) for node, points in vertices.items()}
    k_eff = min(k, len(real) - 1)
    _, found = cKDTree(centres[real]).query(centres[real], k=k_eff + 1)
    found = real[np.atleast_2d(found)]
    near = np.full((n, k_eff), -1, dtype=np.int64)
    near_gap = np.zeros((n, k_eff))
    for row, v in enumerate(real):
        others = [u for u in found[row] if u != v][:k_eff]
        for column, u in enumerate(others):
            if v not in trees and u not in trees:
                continue
            big, small = (v, u) if len(vertices.get(v, ())) >= len(vertices.get(u, ())) else (u, v)
            points = vertices.get(small, graph.xy[small][None, :])
            near[v, column] = u
            near_gap[v, column] = float(trees[big].query(points)[0].min())
    return near, near_gap


@njit(cache=True, nogil=True)
def _lift_edges(src, dst, base, near, near_gap):
    """Raise each candidate edge's gap to the exact one where ``near`` knows it."""
    for e in range(len(src)):
        for k in range(near.shape[1]):
            if near[src[e], k] == dst[e] and near_gap[src[e], k] > base[e]:
                base[e] = near_gap[src[e], k]
            if near[dst[e], k] == src[e] and near_gap[dst[e], k] > base[e]:
                base[e] = near_gap[dst[e], k]
    return base


@njit(cache=True, nogil=True)
def _gap(cx, cy, radius, dummy, a, b):
    if a == dummy or b == dummy:
        return 0.0
    d = math.hypot(cx[a] - cx[b], cy[a] - cy[b]) - radius[a] - radius[b]
    return d if d > 0.0 else 0.0


@njit(cache=True, nogil=True)
def _one_tree(cx, cy, radius, dummy, mate, pi, degree, parent, near, near_gap):
    """Cost of the minimum 1-tree under penalties ``pi`` (node 0 special, forced edges kept); fills ``degree``.

    Prim on the complete graph of nodes 1..n-1 in one pass per added node: keys are updated from the node just
    added (and its forced partner, which joins with it) while the next nearest node is found. ``parent`` receives
    each node's tree neighbour towards the first node (-1 for the first node and for forced partners).
    ``near[v]`` / ``near_gap[v]`` list nodes whose exact gap to ``v`` is known and larger than the disc gap.
    """
    n = len(cx)
    degree[:] = 0
    total = 0.0
    if n <= 1:
        return 0.0
    remaining = np.arange(1, n)
    where = np.arange(-1, n - 1)
    key = np.full(n, np.inf)
    parent[:] = -1
    size = n - 1
    slot = 0
    lift_v = np.full(n, -1.0)
    lift_w = np.full(n, -1.0)
    while size > 0:
        v = remaining[slot]
        size -= 1
        remaining[slot] = remaining[size]
        where[remaining[slot]] = slot
        if parent[v] >= 0:
            total += key[v]
            degree[v] += 1
            degree[parent[v]] += 1
        w = mate[v]
        if w > 0:
            i = where[w]
            size -= 1
            remaining[i] = remaining[size]
            where[remaining[i]] = i
            parent[w] = -1
            total += pi[v] + pi[w]
            degree[v] += 1
            degree[w] += 1
        for k in range(near.shape[1]):
            if near[v, k] >= 0:
                lift_v[near[v, k]] = near_gap[v, k]
            if w > 0 and near[w, k] >= 0:
                lift_w[near[w, k]] = near_gap[w, k]
        best = np.inf
        slot = 0
        for i in range(size):
            u = remaining[i]
            c = max(_gap(cx, cy, radius, dummy, v, u), lift_v[u]) + pi[v] + pi[u]
            if c < key[u]:
                key[u] = c
                parent[u] = v
            if w > 0:
                c = max(_gap(cx, cy, radius, dummy, w, u), lift_w[u]) + pi[w] + pi[u]
                if c < key[u]:
                    key[u] = c
                    parent[u] = w
            if key[u] < best:
                best = key[u]
                slot = i
        for k in range(near.shape[1]):
            if near[v, k] >= 0:
                lift_v[near[v, k]] = -1.0
            if w > 0 and near[w, k] >= 0:
                lift_w[near[w, k]] = -1.0
    # The special node 0: its forced edge if it has one, then its cheapest edges up to degree 2.
    for k in range(near.shape[1]):
        if near[0, k] >= 0:
            lift_v[near[0, k]] = near_gap[0, k]
    first = -1
    if mate[0] > 0:
        total += pi[0] + pi[mate[0]]
        degree[0] += 1
        degree[mate[0]] += 1
        first = mate[0]
    while degree[0] < 2:
        best = np.inf
        arg = -1
        for u in range(1, n):
            if u != first:
                c = max(_gap(cx, cy, radius, dummy, 0, u), lift_v[u]) + pi[0] + pi[u]
                if c < best:
                    best = c
                    arg = u
        if arg < 0:
            break
        total += best
        degree[0] += 1
        degree[arg] += 1
        first = arg
    return total


@njit(cache=True, nogil=True)
def _find(parent, v):
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


@njit(cache=True, nogil=True)
def _sparse_one_tree(src, dst, base, origin_gap, mate, pi, degree):
    """Like :func:`_one_tree` but the tree on nodes 1..n-1 uses only the given edges (Kruskal).

    Node 0 joins by its cheapest ``origin_gap`` edges. The value is a bound only when the edges hold a minimum
    spanning tree (as the Delaunay edges do); otherwise it only steers the penalties.
    """
    n = len(origin_gap)
    degree[:] = 0
    total = 0.0
    parent = np.arange(n)
    for v in range(1, n):
        w = mate[v]
        if w > v:
            parent[_find(parent, w)] = _find(parent, v)
            total += pi[v] + pi[w]
            degree[v] += 1
            degree[w] += 1
    cost = base + pi[src] + pi[dst]
    for e in np.argsort(cost):
        a = _find(parent, src[e])
        b = _find(parent, dst[e])
        if a != b:
            parent[a] = b
            total += cost[e]
            degree[src[e]] += 1
            degree[dst[e]] += 1
    first = -1
    if mate[0] > 0:
        total += pi[0] + pi[mate[0]]
        degree[0] += 1
        degree[mate[0]] += 1
        first = mate[0]
    while degree[0] < 2:
        best = np.inf
        arg = -1
        for u in range(1, n):
            if u != first:
                c = origin_gap[u] + pi[0] + pi[u]
                if c < best:
                    best = c
                    arg = u
        if arg < 0:
            break
        total += best
        degree[0] += 1
        degree[arg] += 1
        first = arg
    return total


def _candidate_edges(graph: SegmentGraph, centres: np.ndarray, radii: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Edges among nodes 1..n-1: k nearest neighbours and, for an open path, the dummy's edge to every node.

    Returns (src, dst, gap). The exact 1-trees computed later add their edges, which also makes the graph connected.
    """
    from scipy.spatial import cKDTree

    n = len(graph)
    real = np.flatnonzero((np.arange(n) != graph.dummy) & (np.arange(n) != 0))
    pairs = []
    if len(real) > 1:
        k_eff = min(k + 1, len(real))
        _, found = cKDTree(centres[real]).query(centres[real], k=k_eff)
        found = real[np.atleast_2d(found)]
        pairs.append(np.stack([np.repeat(real, k_eff), found.ravel()], axis=1))
    if graph.dummy >= 0:
        others = real
        pairs.append(np.stack([np.full(len(others), graph.dummy), others], axis=1))
    edges = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    return _merge_edges(graph, centres, radii, (edges[:, 0], edges[:, 1]), empty, empty)


def _merge_edges(graph, centres, radii, edges, extra_src, extra_dst):
    """Candidate edges plus extra ones, deduplicated, with their gaps."""
    src = np.concatenate([edges[0], extra_src])
    dst = np.concatenate([edges[1], extra_dst])
    pairs = np.unique(np.sort(np.stack([src, dst], axis=1), axis=1), axis=0)
    pairs = pairs[(pairs[:, 0] != pairs[:, 1]) & (pairs[:, 0] != 0)]
    src, dst = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    gap = np.maximum(np.hypot(*(centres[src] - centres[dst]).T) - radii[src] - radii[dst], 0.0)
    gap[(src == graph.dummy) | (dst == graph.dummy)] = 0.0
    return src, dst, gap


def held_karp_bound(
    drawing: Drawing,
    *,
    return_to_origin: bool = True,
    reloop: bool = False,
    time_limit_s: float = 60.0,
    upper_bound_mm: float | None = None,
    max_iterations: int = 3_000,
    neighbours: int = 10,
    graph: SegmentGraph | None = None,
) -> BoundResult:
    """Held-Karp 1-tree bound by subgradient ascent; stops at ``time_limit_s`` or when the step vanishes.

    The penalties are steered with 1-trees on a sparse candidate graph (cheap); every so often, and at the end,
    the best penalties are evaluated with the exact complete-graph 1-tree, and only those values are reported.
    """
    started = time.perf_counter()
    graph = graph if graph is not None else build_graph(drawing, return_to_origin=return_to_origin)
    n = len(graph)
    if n <= 2:
        return BoundResult(0.0, "held-karp", {"iterations": 0})
    centres, radii = _discs(drawing, graph, reloop)
    cx, cy = np.ascontiguousarray(centres[:, 0]), np.ascontiguousarray(centres[:, 1])
    if upper_bound_mm is None:
        upper_bound_mm = _greedy_travel_mm(graph)
    near, near_gap = _exact_gaps(drawing, graph, centres, reloop)
    origin_gap = np.maximum(np.hypot(*(centres - centres[0]).T) - radii - radii[0], 0.0)
    if graph.dummy >= 0:
        origin_gap[graph.dummy] = 0.0
    src, dst, base = _candidate_edges(graph, centres, radii, neighbours)
    base = _lift_edges(src, dst, base, near, near_gap)
    degree = np.zeros(n, dtype=np.int64)

    parent = np.zeros(n, dtype=np.int64)

    def exact(penalties: np.ndarray) -> float:
        """The true 1-tree value at ``penalties``; its tree edges join the candidates so the sparse trees learn."""
        nonlocal src, dst, base
        value = _one_tree(cx, cy, radii, graph.dummy, graph.mate, penalties, degree, parent, near, near_gap)
        value -= 2.0 * penalties.sum()
        nodes = np.flatnonzero(parent >= 0)
        if len(nodes):
            src, dst, base = _merge_edges(graph, centres, radii, (src, dst), nodes, parent[nodes])
            base = _lift_edges(src, dst, base, near, near_gap)
        return float(value)

    pi = np.zeros(n)
    exact_started = time.perf_counter()
    proven = exact(pi)
    # The last exact 1-tree (about as long as this first one) must fit in the time limit too.
    exact_s = time.perf_counter() - exact_started
    previous = np.zeros(n)
    best = -np.inf
    best_pi = pi.copy()
    lam = 2.0
    stall = 0
    period = max(30, min(150, n // 20))
    iterations = 0
    since_exact = 0
    while iterations < max_iterations and time.perf_counter() - started + 1.5 * exact_s < time_limit_s:
        iterations += 1
        since_exact += 1
        value = _sparse_one_tree(src, dst, base, origin_gap, graph.mate, pi, degree)
        value -= 2.0 * float(pi.sum())
        if value >= upper_bound_mm or since_exact >= 50:
            # The sparse tree is too heavy to trust or has not been checked for a while: check it exactly.
            since_exact = 0
            exact_value = exact(pi)
            proven = max(proven, exact_value)
            value = exact_value
            # New candidate edges can lower the sparse value of the best penalties: measure it again.
            best = _sparse_one_tree(src, dst, base, origin_gap, graph.mate, best_pi, degree)
            best -= 2.0 * float(best_pi.sum())
            _sparse_one_tree(src, dst, base, origin_gap, graph.mate, pi, degree)
        if iterations == 1 or value > best + 1e-9 * max(1.0, abs(best)):
            best, best_pi, stall = value, pi.copy(), 0
        elif value < best - (upper_bound_mm - best):
            # Overshot badly: go back to the best penalties with half the step.
            lam /= 2.0
            stall = 0
            pi = best_pi.copy()
            previous[:] = 0.0
            continue
        else:
            stall += 1
            if stall >= period:
                lam /= 2.0
                stall = 0
                pi = best_pi.copy()
        gradient = (degree - 2).astype(np.float64)
        if not gradient.any() or lam < 1e-4 or upper_bound_mm <= proven:
            break
        # Volgenant-Jonker: mix in the previous direction to damp zig-zagging; Polyak step towards the tour.
        direction = 0.7 * gradient + 0.3 * previous
        previous = gradient
        norm = float((direction * direction).sum())
        pi = pi + lam * (upper_bound_mm - value) / norm * direction
    proven = max(proven, exact(best_pi))
    # Floating-point sums of O(n) terms: give back a relative 1e-9 so the bound is safe.
    value = max(0.0, float(proven)) * (1 - 1e-9)
    details = {"iterations": iterations, "seconds": time.perf_counter() - started}
    return BoundResult(value, "held-karp", details)


def _entry_points(drawing: Drawing, graph: SegmentGraph, reloop: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every point where a node other than the origin and the dummy may be entered, and the node it belongs to.

    That is the node's own point, or with ``reloop`` every vertex of a closed loop.
    """
    n = len(graph)
    real = np.flatnonzero((np.arange(n) != graph.dummy) & (np.arange(n) != 0))
    if not reloop:
        return graph.xy[real], real
    pieces = []
    for node in real:
        segment = graph.segment[node]
        if graph.mate[node] < 0 and segment >= 0 and drawing.closed[segment]:
            pieces.append(drawing.paths[segment][:-1])
        else:
            pieces.append(graph.xy[node][None, :])
    counts = np.fromiter((len(piece) for piece in pieces), dtype=np.int64, count=len(pieces))
    return np.concatenate(pieces), np.repeat(real, counts)


def _delaunay_pairs(points: np.ndarray) -> np.ndarray:
    """Index pairs of ``points`` that hold a Euclidean minimum spanning tree.

    The Delaunay edges (or, for points all on a line, consecutive points along it), plus each point Qhull set aside
    joined to the one it coincides with.
    """
    from scipy.spatial import Delaunay, QhullError

    try:
        triangulation = Delaunay(points)
    except QhullError:
        line = np.lexsort((points[:, 1], points[:, 0]))
        return np.stack([line[:-1], line[1:]], axis=1)
    simplices = triangulation.simplices
    pairs = [simplices[:, [a, b]] for a, b in ((0, 1), (1, 2), (0, 2))]
    if len(triangulation.coplanar):
        pairs.append(triangulation.coplanar[:, [0, 2]])
    return np.concatenate(pairs).astype(np.int64)


def spanning_tree_bound(
    drawing: Drawing, *, return_to_origin: bool = True, reloop: bool = False, graph: SegmentGraph | None = None
) -> BoundResult:
    """The 1-tree bound without penalties, exact for any size: its tree comes from a Delaunay triangulation.

    Every Euclidean minimum spanning tree lies in any Delaunay triangulation, and setting some edges to 0 (the
    forced segment edges; with ``reloop``, the edges between vertices of one loop, which make the loop's distance
    to another node the least distance between their points) keeps that true: an edge with a point closer to both
    its ends stays the heaviest on that triangle. So the Delaunay edges of all entry points, mapped to their nodes,
    hold a minimum spanning tree of the segment-end graph: O(p log p) time for p points, linear memory. With
    ``reloop`` every vertex of every closed loop is a point (2.7 million for 100,000 segments: about 35 s, 2.3 GB).
    """
    started = time.perf_counter()
    graph = graph if graph is not None else build_graph(drawing, return_to_origin=return_to_origin)
    n = len(graph)
    if n <= 3:
        return held_karp_bound(drawing, return_to_origin=return_to_origin, reloop=reloop, graph=graph)
    points, owner = _entry_points(drawing, graph, reloop)
    pairs = _delaunay_pairs(points)
    pairs = pairs[owner[pairs[:, 0]] != owner[pairs[:, 1]]]
    src, dst = owner[pairs[:, 0]], owner[pairs[:, 1]]
    base = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    origin_gap = np.full(n, np.inf)
    np.minimum.at(origin_gap, owner, np.hypot(*(points - graph.xy[0]).T))
    if graph.dummy >= 0:
        real = np.unique(owner)
        src = np.concatenate([src, np.full(len(real), graph.dummy)])
        dst = np.concatenate([dst, real])
        base = np.concatenate([base, np.zeros(len(real))])
        origin_gap[graph.dummy] = 0.0
    degree = np.zeros(n, dtype=np.int64)
    value = _sparse_one_tree(src, dst, base, origin_gap, graph.mate, np.zeros(n), degree)
    details = {"seconds": time.perf_counter() - started, "points": len(points)}
    return BoundResult(max(0.0, float(value)) * (1 - 1e-9), "1-tree", details)


def _greedy_travel_mm(graph: SegmentGraph) -> float:
    """Travel of the nearest-neighbour tour: the target the subgradient steps aim at when no tour is given."""
    tour = greedy_tour(graph)
    following = np.roll(tour, -1)
    travel = graph.mate[tour] != following
    travel &= (tour != graph.dummy) & (following != graph.dummy)
    return float(np.hypot(*(graph.xy[tour[travel]] - graph.xy[following[travel]]).T).sum())


def _slots(graph: SegmentGraph) -> np.ndarray:
    """How many travel moves touch each node: 1 for a segment end with a forced partner, else 2."""
    return np.where(graph.mate >= 0, 1, 2)


def _dense_assignment(graph: SegmentGraph, centres: np.ndarray, radii: np.ndarray) -> float:
    # Imported here: scipy.optimize takes a third of a second to load, and large drawings never need it.
    from scipy.optimize import linear_sum_assignment

    counts = _slots(graph)
    node = np.repeat(np.arange(len(graph)), counts)
    points = centres[node]
    cost = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    cost -= radii[node][:, None] + radii[node][None, :]
    np.maximum(cost, 0.0, out=cost)
    if graph.dummy >= 0:
        cost[node == graph.dummy, :] = 0.0
        cost[:, node == graph.dummy] = 0.0
    big = 1e6 * (1.0 + float(cost.max()))
    cost[node[:, None] == node[None, :]] = big
    partner = graph.mate[node]
    cost[partner[:, None] == node[None, :]] = big
    rows, cols = linear_sum_assignment(cost)
    return 0.5 * float(cost[rows, cols].sum())


@njit(cache=True, nogil=True)
def _ascend(u, weight, lists, gaps, sweeps):
    n = len(u)
    for _ in range(sweeps):
        for v in range(n):
            if weight[v] == 0:
                continue
            best = np.inf
            for k in range(lists.shape[1]):
                w = lists[v, k]
                if w < 0:
                    break
                c = gaps[v, k] - u[w]
                if c < best:
                    best = c
            if best < np.inf:
                u[v] = max(0.0, best)


@njit(cache=True, nogil=True)
def _lower_to_feasible(u, pts, rad, mate, first, flat):
    """Lower each ``u[v]`` in turn to meet every pair in its ball (CSR ``first``/``flat``), as in the text below."""
    for v in range(len(u)):
        least = np.inf
        for j in range(first[v], first[v + 1]):
            w = flat[j]
            if w == v or w == mate[v]:
                continue
            gap = max(math.hypot(pts[w, 0] - pts[v, 0], pts[w, 1] - pts[v, 1]) - rad[v] - rad[w], 0.0)
            least = min(least, gap - u[w])
        if least < np.inf:
            u[v] = max(0.0, min(u[v], least))


def _dual_assignment(graph: SegmentGraph, centres: np.ndarray, radii: np.ndarray, k: int = 12) -> float:
    """A feasible dual of the assignment LP (``u >= 0``), verified against every pair that could violate it."""
    from scipy.spatial import cKDTree

    real = np.flatnonzero(np.arange(len(graph)) != graph.dummy)
    counts = _slots(graph)[real].astype(np.float64)
    if graph.dummy >= 0:
        counts[real == 0] = 1.0
    mate = graph.mate[real]
    index = np.full(len(graph), -1, dtype=np.int64)
    index[real] = np.arange(len(real))
    mate_local = np.where(mate >= 0, index[np.maximum(mate, 0)], -1)
    pts, rad = centres[real], radii[real]
    tree = cKDTree(pts)
    k_eff = min(k + 2, len(real))
    dist, found = tree.query(pts, k=k_eff)
    dist, found = np.atleast_2d(dist), np.atleast_2d(found)
    ok = (found != np.arange(len(real))[:, None]) & (found != mate_local[:, None])
    gaps = np.maximum(0.0, dist - rad[:, None] - rad[found])
    lists = np.where(ok, found, -1)
    order = np.argsort(~ok, axis=1, kind="stable")
    lists = np.take_along_axis(lists, order, axis=1)
    gaps = np.take_along_axis(gaps, order, axis=1)
    u = np.zeros(len(real))
    _ascend(u, counts, lists, gaps, 4)
    # Exact check: a pair (v, w) can only violate u[v] + u[w] <= gap(v, w) if its centres are closer than
    # u[v] + u[w] + r_v + r_w <= 2 * max(u[v], u[w]) + r_v + r_max, so the ball around whichever of the two has
    # the larger u finds it. Lowering u[v] to meet every pair in its ball keeps all other pairs feasible (u only
    # decreases), so one pass leaves a feasible dual.
    r_max = float(rad.max()) if len(rad) else 0.0
    near = tree.query_ball_point(pts, 2.0 * u + rad + r_max, return_sorted=False)
    sizes = np.fromiter((len(found) for found in near), dtype=np.int64, count=len(near))
    flat = np.concatenate([np.asarray(found, dtype=np.int64) for found in near]) if len(near) else sizes
    _lower_to_feasible(u, pts, rad, mate_local, np.concatenate([[0], np.cumsum(sizes)]), flat)
    value = float((counts * u).sum())
    if graph.dummy >= 0:
        # The dummy's dual is -max(u): it may end the path anywhere at no cost.
        value -= float(u.max()) if len(u) else 0.0
    return max(0.0, value)


def assignment_bound(
    drawing: Drawing, *, return_to_origin: bool = True, reloop: bool = False, graph: SegmentGraph | None = None
) -> BoundResult:
    """Half the cheapest assignment of segment ends to other segments' ends (dense), or its LP dual (large)."""
    started = time.perf_counter()
    graph = graph if graph is not None else build_graph(drawing, return_to_origin=return_to_origin)
    if len(drawing) == 0:
        return BoundResult(0.0, "assignment")
    centres, radii = _discs(drawing, graph, reloop)
    if int(_slots(graph).sum()) <= DENSE_ASSIGNMENT_MAX_SLOTS:
        value, method = _dense_assignment(graph, centres, radii), "assignment"
    else:
        value, method = _dual_assignment(graph, centres, radii), "assignment-dual"
    return BoundResult(max(0.0, value) * (1 - 1e-9), method, {"seconds": time.perf_counter() - started})


def lower_bound(
    drawing: Drawing,
    *,
    return_to_origin: bool = True,
    reloop: bool = False,
    time_limit_s: float = 60.0,
    upper_bound_mm: float | None = None,
    graph: SegmentGraph | None = None,
) -> BoundResult:
    """The best proven lower bound on travel within ``time_limit_s``: assignment, then Held-Karp where it fits.

    ``graph`` is the drawing's segment-end graph when the caller has built it (it is built once here otherwise);
    the result's ``details["seconds"]`` is the whole call's time.

    Above :data:`HELD_KARP_MAX_NODES` nodes (where an exact dense 1-tree per step is too slow) or when the time
    left holds fewer than :data:`HELD_KARP_LEAST_EXACT_TREES` exact 1-trees (estimated from their size), the
    penalty-free 1-tree from a Delaunay triangulation stands in for Held-Karp; with ``reloop`` it triangulates
    every loop vertex, so it runs only when :data:`TREE_SECONDS_PER_POINT` says it fits in the time
    left.
    """
    started = time.perf_counter()
    graph = graph if graph is not None else build_graph(drawing, return_to_origin=return_to_origin)
    result = assignment_bound(drawing, return_to_origin=return_to_origin, reloop=reloop, graph=graph)
    left = time_limit_s - (time.perf_counter() - started)
    nodes = len(graph)
    if nodes <= HELD_KARP_MAX_NODES and left > HELD_KARP_LEAST_EXACT_TREES * EXACT_TREE_SECONDS_PER_PAIR * nodes**2:
        held_karp = held_karp_bound(
            drawing,
            return_to_origin=return_to_origin,
            reloop=reloop,
            time_limit_s=left,
            upper_bound_mm=upper_bound_mm,
            graph=graph,
        )
        if held_karp.value_mm > result.value_mm:
            result = held_karp
    else:
        loop_vertices = sum(len(p) - 1 for p, closed in zip(drawing.paths, drawing.closed, strict=True) if closed)
        if not reloop or (nodes + loop_vertices) * TREE_SECONDS_PER_POINT <= left:
            tree = spanning_tree_bound(drawing, return_to_origin=return_to_origin, reloop=reloop, graph=graph)
            if tree.value_mm > result.value_mm:
                result = tree
    details = result.details | {"seconds": time.perf_counter() - started}
    return BoundResult(result.value_mm, result.method, details)


__all__ = [
    "DENSE_ASSIGNMENT_MAX_SLOTS",
    "EXACT_TREE_SECONDS_PER_PAIR",
    "HELD_KARP_LEAST_EXACT_TREES",
    "HELD_KARP_MAX_NODES",
    "TREE_SECONDS_PER_POINT",
    "BoundResult",
    "assignment_bound",
    "held_karp_bound",
    "lower_bound",
    "spanning_tree_bound",
]
