"""Linear-memory tour improvement on the segment-end graph: Lin-Kernighan and Or-opt moves on neighbour lists.

The tour is an array of nodes with a position index; a move is a chain of path reversals (the shorter side of
the cycle is reversed), so every move costs at most n/2 swaps and memory stays O(n). A Lin-Kernighan move is a
chain of 2-opt steps, each applied at once and the chain's tail past its best point undone; Or-opt moves a chain of
up to three segments elsewhere, either way round, and a segment insertion (a sequential 3-opt move that 2-opt
chains cannot make) moves a path of any length. Moves never remove a forced edge, so every tour they produce keeps
every segment whole; reversing a path flips the segments on it, which is how segments change direction. Don't-look
bits (a queue of nodes worth re-examining) keep the search local, and the candidate edges come from a k-d tree
(quadrant neighbours, see :func:`neighbours`). An iterated local search (:func:`perturb_and_improve`) kicks the
tour with double bridges and keeps what does not lengthen it.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit
from scipy.spatial import cKDTree

from batik_studio.toolpath.segment_graph import SegmentGraph
from batik_studio.toolpath.solvers.split_search import MIN_STRETCH_NODES, split_search

#: A move must shorten the tour by more than this (mm) to be taken; guards against float round-off loops.
EPS_MM = 1e-7

#: Alternatives tried for the first step of a Lin-Kernighan move.
LK_BREADTH = 5

#: Most 2-opt steps in one Lin-Kernighan move: on the 23x23 Megamendung tiling (2.9 s, 10 seeds) 25 steps end at
#: 113,697 mm on average against 114,106 mm for 10; 50 or more do worse again.
LK_DEPTH = 25


@njit(cache=True)
def _dist(xy, dummy, a, b):
    if a == dummy or b == dummy:
        return 0.0
    dx = xy[a, 0] - xy[b, 0]
    dy = xy[a, 1] - xy[b, 1]
    return math.sqrt(dx * dx + dy * dy)


@njit(cache=True)
def _wrap(a, n):
    """``a % n`` for -n <= a < 2n without a division (integer modulo dominates the inner loops otherwise)."""
    if a >= n:
        return a - n
    if a < 0:
        return a + n
    return a


@njit(cache=True)
def tour_length(xy, dummy, tour):
    """Length of the closed node tour (dummy edges cost 0, forced edges their chord)."""
    total = 0.0
    n = len(tour)
    for i in range(n):
        total += _dist(xy, dummy, tour[i], tour[(i + 1) % n])
    return total


@njit(cache=True)
def _reverse(tour, pos, i, j, state, journal):
    """Reverse cyclic positions i..j (or the shorter complement); the journal records it for undo if asked.

    Returns the positions actually reversed: reversing them again undoes the move.
    """
    n = len(tour)
    length = _wrap(j - i, n) + 1
    if 2 * length > n:
        i, j = _wrap(j + 1, n), _wrap(i - 1, n)
        length = n - length
    if state[2]:
        if state[3] < len(journal):
            journal[state[3], 0] = i
            journal[state[3], 1] = j
        state[3] += 1
    first = i
    last = j
    for _ in range(length // 2):
        a = tour[i]
        b = tour[j]
        tour[i] = b
        pos[b] = i
        tour[j] = a
        pos[a] = j
        i += 1
        if i == n:
            i = 0
        j -= 1
        if j < 0:
            j = n - 1
    return first, last


@njit(cache=True)
def _move2(tour, pos, x1, x2, y1, y2, state, journal):
    """Replace edges (x1, x2), (y1, y2) by (x1, y1), (x2, y2); x2 follows x1 as y2 follows y1.

    Returns the reversed positions (see :func:`_reverse`).
    """
    n = len(tour)
    if tour[_wrap(pos[x1] + 1, n)] == x2:
        return _reverse(tour, pos, pos[x2], pos[y1], state, journal)
    return _reverse(tour, pos, pos[x1], pos[y2], state, journal)


@njit(cache=True)
def _step(tour, pos, v, forward):
    p = pos[v]
    if forward:
        return tour[p + 1] if p + 1 < len(tour) else tour[0]
    return tour[p - 1] if p > 0 else tour[len(tour) - 1]


@njit(cache=True)
def _push(queue, queued, state, v):
    if not queued[v]:
        n = len(queue)
        queue[_wrap(state[0] + state[1], n)] = v
        state[1] += 1
        queued[v] = True


@njit(cache=True)
def _lk_step(xy, dummy, mate, neigh, tour, pos, t1, t2, forward, gain, floor, mark, stamp):
    """The best next 2-opt step of a Lin-Kernighan chain from the open end t2: (t3, t4), or (-1, -1).

    t3 is a candidate neighbour of t2 with a partial gain above ``floor`` (the best closed gain so far: a step
    below it cannot lead to a better move); t4, t3's neighbour on the far side, must not
    be a node of the chain (marked ``stamp`` in ``mark``, so no edge added by the chain is removed again); the step
    maximises the lookahead d(t3, t4) - d(t2, t3).
    """
    best_t3 = -1
    best_t4 = -1
    best = -np.inf
    for k in range(neigh.shape[1]):
        t3 = neigh[t2, k]
        if t3 < 0:
            break
        added = _dist(xy, dummy, t2, t3)
        if gain - added <= floor:
            break
        t4 = _step(tour, pos, t3, not forward)
        if t3 == t1 or mark[t4] == stamp or mate[t3] == t4:
            continue
        lookahead = _dist(xy, dummy, t3, t4) - added
        if lookahead > best:
            best = lookahead
            best_t3 = t3
            best_t4 = t4
    return best_t3, best_t4


@njit(cache=True)
def _try_lk(
    xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, t1, depth, breadth, trail, chain, mark
):
    """A Lin-Kernighan move from t1: a chain of up to ``depth`` 2-opt steps, kept up to its best closing point.

    The first step tries up to ``breadth`` alternatives (best lookahead first); deeper steps take the best one.
    Each step is applied at once (a path reversal) and the tail of the chain past its best point is undone, so
    with ``depth`` 1 this is plain 2-opt. Forced (segment) edges are never removed.
    """
    for side in range(2):
        forward = side == 0
        t2 = _step(tour, pos, t1, forward)
        if mate[t1] == t2:
            continue
        opened = _dist(xy, dummy, t1, t2)
        tried_size = 0
        for _ in range(breadth):
            chain[0] = t1
            chain[1] = t2
            # A fresh stamp marks the chain's nodes (and the first steps already tried) in ``mark``.
            state[4] += 1
            stamp = state[4]
            mark[t1] = stamp
            mark[t2] = stamp
            for c in range(tried_size):
                mark[chain[2 * depth + 2 + c]] = stamp
            t3, t4 = _lk_step(xy, dummy, mate, neigh, tour, pos, t1, t2, forward, opened, EPS_MM, mark, stamp)
            if t3 < 0:
                break
            # Deeper steps only avoid the chain's own nodes.
            state[4] += 1
            stamp = state[4]
            mark[t1] = stamp
            mark[t2] = stamp
            chain[2 * depth + 2 + tried_size] = t4
            tried_size += 1
            gain = opened
            head = t2
            direction = forward
            size = 2
            best_gain = EPS_MM
            best_steps = 0
            steps = 0
            while True:
                trail[steps, 0], trail[steps, 1] = _move2(tour, pos, head, t1, t3, t4, state, journal)
                steps += 1
                gain += _dist(xy, dummy, t3, t4) - _dist(xy, dummy, head, t3)
                chain[size] = t3
                chain[size + 1] = t4
                mark[t3] = stamp
                mark[t4] = stamp
                size += 2
                closing = gain - _dist(xy, dummy, t4, t1)
                if closing > best_gain:
                    best_gain = closing
                    best_steps = steps
                if steps == depth:
                    break
                if _step(tour, pos, t1, direction) != t4:
                    direction = not direction
                head = t4
                t3, t4 = _lk_step(xy, dummy, mate, neigh, tour, pos, t1, head, direction, gain, best_gain, mark, stamp)
                if t3 < 0:
                    break
            for k in range(steps - 1, best_steps - 1, -1):
                _reverse(tour, pos, trail[k, 0], trail[k, 1], state, journal)
            if best_steps > 0:
                gained[0] += best_gain
                for c in range(2 + 2 * best_steps):
                    _push(queue, queued, state, chain[c])
                return True
    return False


@njit(cache=True)
def _try_segment_insertion(xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, t1):
    """The best sequential 3-opt move from t1 that 2-opt chains cannot make: a path moved, with or without a flip.

    With t2 after t1, t3 a candidate of t2 and t4 the node after t3 (the choice a 2-opt step cannot close),
    removing (t1, t2), (t3, t4) and adding (t2, t3) leaves the path t2..t3 as a cycle of its own; a third edge
    (t5, t6) of that cycle, t5 a candidate of t4, opens it again, and (t4, t5), (t6, t1) join it back. Moves are
    evaluated on positions, without touching the tour; only the best improving one is applied. With half of the
    edges forced (every open segment) this is how a long run of segments moves elsewhere whole.
    """
    n = len(tour)
    best = EPS_MM
    best_move = np.full(6, -1, dtype=np.int64)
    for side in range(2):
        forward = side == 0
        t2 = _step(tour, pos, t1, forward)
        if mate[t1] == t2:
            continue
        opened = _dist(xy, dummy, t1, t2)
        p2 = pos[t2]
        for k in range(neigh.shape[1]):
            t3 = neigh[t2, k]
            if t3 < 0:
                break
            g1 = opened - _dist(xy, dummy, t2, t3)
            if g1 <= EPS_MM:
                break
            if t3 == t1:
                continue
            t4 = _step(tour, pos, t3, forward)
            if t4 == t1 or mate[t3] == t4:
                continue
            off3 = _wrap(pos[t3] - p2, n) if forward else _wrap(p2 - pos[t3], n)
            g1 += _dist(xy, dummy, t3, t4)
            for k2 in range(neigh.shape[1]):
                t5 = neigh[t4, k2]
                if t5 < 0:
                    break
                g2 = g1 - _dist(xy, dummy, t4, t5)
                if g2 <= EPS_MM:
                    break
                off5 = _wrap(pos[t5] - p2, n) if forward else _wrap(p2 - pos[t5], n)
                if off5 > off3:
                    continue
                for after in range(2):
                    if (after == 0 and t5 == t3) or (after == 1 and t5 == t2):
                        continue
                    t6 = _step(tour, pos, t5, forward == (after == 0))
                    if mate[t5] == t6:
                        continue
                    gain = g2 + _dist(xy, dummy, t5, t6) - _dist(xy, dummy, t6, t1)
                    if gain > best:
                        best = gain
                        best_move[0], best_move[1], best_move[2] = t2, t3, t4
                        best_move[3], best_move[4], best_move[5] = t5, t6, after
    if best_move[0] < 0:
        return False
    t2, t3, t4, t5, t6 = best_move[0], best_move[1], best_move[2], best_move[3], best_move[4]
    if best_move[5] == 0:
        # t6 follows t5: t1 [t2..t5][t6..t3] t4 becomes t1 [t6..t3][t2..t5] t4.
        _move2(tour, pos, t1, t2, t3, t4, state, journal)
        _move2(tour, pos, t1, t3, t6, t5, state, journal)
        _move2(tour, pos, t3, t5, t2, t4, state, journal)
    else:
        # t6 precedes t5: t1 [t2..t6][t5..t3] t4 becomes t1 [t6..t2][t3..t5] t4.
        _move2(tour, pos, t1, t2, t6, t5, state, journal)
        _move2(tour, pos, t2, t5, t3, t4, state, journal)
    gained[0] += best
    for v in (t1, t2, t3, t4, t5, t6):
        _push(queue, queued, state, v)
    return True


@njit(cache=True)
def _try_oropt(xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, s, max_chain):
    n = len(tour)
    for side in range(2):
        forward = side == 0
        p = _step(tour, pos, s, not forward)
        if mate[s] == p:
            continue
        e = s if mate[s] < 0 else mate[s]
        size = 1 if mate[s] < 0 else 2
        for _ in range(max_chain):
            if size > n - 4:
                break
            nx = _step(tour, pos, e, forward)
            removal = _dist(xy, dummy, p, s) + _dist(xy, dummy, e, nx) - _dist(xy, dummy, p, nx)
            if removal > EPS_MM:
                best = EPS_MM
                best_c1 = -1
                best_c2 = -1
                best_keep = False
                for end in range(2):
                    anchor = s if end == 0 else e
                    for k in range(neigh.shape[1]):
                        c = neigh[anchor, k]
                        if c < 0:
                            break
                        if _dist(xy, dummy, anchor, c) >= removal:
                            break
                        for edge in range(2):
                            if edge == 0:
                                c1 = c
                                c2 = _step(tour, pos, c, forward)
                            else:
                                c1 = _step(tour, pos, c, not forward)
                                c2 = c
                            if mate[c1] == c2 or c1 == nx or c2 == p:
                                continue
                            off1 = _wrap(pos[c1] - pos[s], n) if forward else _wrap(pos[s] - pos[c1], n)
                            off2 = _wrap(pos[c2] - pos[s], n) if forward else _wrap(pos[s] - pos[c2], n)
                            if off1 < size or off2 < size:
                                continue
                            base = removal + _dist(xy, dummy, c1, c2)
                            flip = base - _dist(xy, dummy, c1, e) - _dist(xy, dummy, s, c2)
                            keep = base - _dist(xy, dummy, c1, s) - _dist(xy, dummy, e, c2)
                            if flip > best:
                                best, best_c1, best_c2, best_keep = flip, c1, c2, False
                            if keep > best:
                                best, best_c1, best_c2, best_keep = keep, c1, c2, True
                if best_c1 >= 0:
                    c1 = best_c1
                    c2 = best_c2
                    _move2(tour, pos, p, s, c1, c2, state, journal)
                    _move2(tour, pos, p, c1, nx, e, state, journal)
                    if best_keep:
                        _move2(tour, pos, c1, e, s, c2, state, journal)
                    gained[0] += best
                    for v in (p, nx, s, e, c1, c2):
                        _push(queue, queued, state, v)
                    return True
            if nx == p or mate[nx] == p:
                break
            e = nx if mate[nx] < 0 else mate[nx]
            size += 1 if mate[nx] < 0 else 2
    return False


@njit(cache=True)
def _improve(xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, max_chain, depth, budget, mark):
    """Pop up to ``budget`` nodes and try Lin-Kernighan, segment insertion, then Or-opt at each; return moves made."""
    moves = 0
    n = len(tour)
    trail = np.empty((depth, 2), dtype=np.int64)
    chain = np.empty(2 * depth + 2 + LK_BREADTH, dtype=np.int64)
    while state[1] > 0 and budget > 0:
        budget -= 1
        v = queue[state[0]]
        state[0] = _wrap(state[0] + 1, n)
        state[1] -= 1
        queued[v] = False
        if _try_lk(
            xy,
            dummy,
            mate,
            neigh,
            tour,
            pos,
            queue,
            queued,
            state,
            journal,
            gained,
            v,
            depth,
            LK_BREADTH,
            trail,
            chain,
            mark,
        ):
            moves += 1
            _push(queue, queued, state, v)
        elif max_chain > 0 and (
            _try_segment_insertion(xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, v)
            or _try_oropt(xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, v, max_chain)
        ):
            moves += 1
            _push(queue, queued, state, v)
    return moves


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


def improve_tour(
    graph: SegmentGraph,
    tour: np.ndarray,
    *,
    deadline: float | None = None,
    neighbour_lists: np.ndarray | None = None,
    max_chain: int = 3,
    depth: int = LK_DEPTH,
) -> np.ndarray:
    """Apply Lin-Kernighan, segment-insertion and Or-opt moves to ``tour`` until none improves it or ``deadline``.

    ``deadline`` is a :func:`time.perf_counter` value. ``depth`` 1 makes the Lin-Kernighan moves plain 2-opt;
    ``max_chain`` 0 leaves out the moves that carry a path elsewhere (Or-opt and segment insertion).
    """
    tour = np.array(tour, dtype=np.int64)
    size = len(tour)
    if size < 8:
        return tour
    neigh = neighbours(graph) if neighbour_lists is None else neighbour_lists
    pos = np.empty(size, dtype=np.int64)
    pos[tour] = np.arange(size)
    queue = tour.copy()
    queued = np.ones(size, dtype=bool)
    state = np.array([0, size, 0, 0, 0], dtype=np.int64)
    mark = np.zeros(size, dtype=np.int64)
    journal = np.zeros((1, 2), dtype=np.int64)
    gained = np.zeros(1)
    budget = 1_000
    while state[1] > 0:
        started = time.perf_counter()
        _improve(
            graph.xy,
            graph.dummy,
            graph.mate,
            neigh,
            tour,
            pos,
            queue,
            queued,
            state,
            journal,
            gained,
            max_chain,
            depth,
            budget,
            mark,
        )
        if deadline is not None and time.perf_counter() > deadline:
            break
        # Batches of about 20 ms, so the deadline is kept however long a node's moves take on this drawing.
        per_node = (time.perf_counter() - started) / budget
        budget = int(min(100_000, max(100, 0.02 / max(per_node, 1e-9))))
    return tour


@njit(cache=True, nogil=True)
def _kicks(
    xy, dummy, mate, neigh, tour, pos, queue, queued, state, journal, gained, max_chain, depth, seeds, window, mark
):
    """Iterated local search: one segment-swap kick per seed, local search, undo if the tour got longer.

    A kick cuts three non-forced edges at positions a < b < c within ``window`` of a random position and swaps
    the two paths between them (a double bridge, which Lin-Kernighan and Or-opt moves cannot undo in one step).
    Returns how many kicks were kept.
    """
    n = len(tour)
    kept = 0
    saved = np.empty(window + 4, dtype=np.int64)
    for r in range(len(seeds)):
        np.random.seed(seeds[r])
        # Cut only travel edges: a node has at most one forced edge, so the next edge over is a travel edge.
        a = np.random.randint(0, n)
        if mate[tour[_wrap(a, n)]] == tour[_wrap(a + 1, n)]:
            a += 1
        b = a + 1 + np.random.randint(0, window // 2)
        if mate[tour[_wrap(b, n)]] == tour[_wrap(b + 1, n)]:
            b += 1
        c = b + 1 + np.random.randint(0, window // 2)
        if mate[tour[_wrap(c, n)]] == tour[_wrap(c + 1, n)]:
            c += 1
        ta, tb, tc = tour[_wrap(a, n)], tour[_wrap(b, n)], tour[_wrap(c, n)]
        na, nb, nc = tour[_wrap(a + 1, n)], tour[_wrap(b + 1, n)], tour[_wrap(c + 1, n)]
        if c - a >= n - 2 or mate[ta] == na or mate[tb] == nb or mate[tc] == nc:
            continue
        removed = _dist(xy, dummy, ta, na) + _dist(xy, dummy, tb, nb) + _dist(xy, dummy, tc, nc)
        added = _dist(xy, dummy, ta, nb) + _dist(xy, dummy, tc, na) + _dist(xy, dummy, tb, nc)
        length = c - a
        for k in range(length):
            saved[k] = tour[_wrap(a + 1 + k, n)]
        # New order of positions a+1..c: the path nb..tc, then na..tb.
        first = c - b
        for k in range(first):
            v = saved[b - a + k]
            tour[_wrap(a + 1 + k, n)] = v
            pos[v] = _wrap(a + 1 + k, n)
        for k in range(b - a):
            v = saved[k]
            tour[_wrap(a + 1 + first + k, n)] = v
            pos[v] = _wrap(a + 1 + first + k, n)
        state[2] = 1
        state[3] = 0
        gained[0] = 0.0
        for v in (ta, na, tb, nb, tc, nc):
            _push(queue, queued, state, v)
        while state[1] > 0:
            _improve(
                xy,
                dummy,
                mate,
                neigh,
                tour,
                pos,
                queue,
                queued,
                state,
                journal,
                gained,
                max_chain,
                depth,
                1_000_000,
                mark,
            )
        state[2] = 0
        if gained[0] >= added - removed or state[3] > len(journal):
            kept += 1
            continue
        for k in range(state[3] - 1, -1, -1):
            _reverse(tour, pos, journal[k, 0], journal[k, 1], state, journal)
        for k in range(length):
            v = saved[k]
            tour[_wrap(a + 1 + k, n)] = v
            pos[v] = _wrap(a + 1 + k, n)
    return kept


def perturb_and_improve(
    graph: SegmentGraph,
    tour: np.ndarray,
    *,
    deadline: float,
    neighbour_lists: np.ndarray | None = None,
    seed: int = 0,
    kicks: int | None = None,
    max_chain: int = 3,
    depth: int = LK_DEPTH,
    window: int = 1_000,
    threads: int = 1,
) -> np.ndarray:
    """Iterated local search from a local optimum: ``kicks`` kicks (default: no limit) or until ``deadline``.

    A kick's three cuts lie within ``window`` tour positions (at most half the tour). Wide kicks pay (measured with
    10-step chains): on the 23x23 Megamendung tiling (12,697 nodes, 2.9 s) 1,000 positions reach about 114,400 mm
    where 50 level off near 116,700 mm; on the 73x73 tiling (127,897 nodes, 115 s) 1,000 positions give
    1,123,401 mm, 50 give 1,143,087 mm and half the tour 1,137,531 mm.

    Every kick's random stream comes from ``seed``, so a run that ends by its kick budget rather than by the
    deadline repeats exactly. A kick with its local search costs 0.2-0.35 ms on 12,697 nodes.

    With ``threads`` above 1 and no kick budget, the tour is searched in that many stretches at once (at most one
    per :data:`~.split_search.MIN_STRETCH_NODES` nodes), see :func:`~.split_search.split_search`.
    """
    tour = np.array(tour, dtype=np.int64)
    size = len(tour)
    if size < 16:
        return tour
    neigh = neighbours(graph) if neighbour_lists is None else neighbour_lists
    parts = min(threads, size // MIN_STRETCH_NODES)
    if kicks is None and parts > 1:

        def search(stretch, start, ends, lists, stretch_seed):
            return perturb_and_improve(
                stretch,
                start,
                deadline=ends,
                neighbour_lists=lists,
                seed=stretch_seed,
                max_chain=max_chain,
                depth=depth,
                window=window,
            )

        return split_search(
            graph, tour, deadline=deadline, neighbour_lists=neigh, seed=seed, parts=parts, search=search
        )
    pos = np.empty(size, dtype=np.int64)
    pos[tour] = np.arange(size)
    queue = np.zeros(size, dtype=np.int64)
    queued = np.zeros(size, dtype=bool)
    state = np.array([0, 0, 0, 0, 0], dtype=np.int64)
    mark = np.zeros(size, dtype=np.int64)
    journal = np.zeros((200_000, 2), dtype=np.int64)
    gained = np.zeros(1)
    rng = np.random.default_rng(seed)
    window = min(window, size // 2)
    left = np.inf if kicks is None else kicks
    pending = np.zeros(0, dtype=np.int64)
    batch = 16
    while left > 0 and time.perf_counter() < deadline:
        if len(pending) == 0:
            pending = rng.integers(0, 2**31 - 1, size=int(min(2_000, left)))
        seeds, pending = pending[:batch], pending[batch:]
        left -= len(seeds)
        started = time.perf_counter()
        _kicks(
            graph.xy,
            graph.dummy,
            graph.mate,
            neigh,
            tour,
            pos,
            queue,
            queued,
            state,
            journal,
            gained,
            max_chain,
            depth,
            seeds,
            window,
            mark,
        )
        # Batches of about 20 ms, so the deadline is kept however long a kick takes on this drawing.
        per_kick = (time.perf_counter() - started) / len(seeds)
        batch = int(min(2_000, max(1, 0.02 / max(per_kick, 1e-9))))
    return tour


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


def best_entries(drawing, order, *, return_to_origin: bool = True, reloop: bool = False, max_vertices: int = 48):
    """For the sequence of ``order``, the directions (and loop entry vertices with ``reloop``) of least travel.

    An exact shortest path through one layer per segment (its two directions; with ``reloop``, a closed loop's
    vertices, at most ``max_vertices`` of them evenly spread plus the current entry), so it never returns a worse
    order than the one given.
    """
    from batik_studio.toolpath.model import Order

    n = len(drawing)
    if n == 0:
        return order
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


__all__ = [
    "EPS_MM",
    "best_entries",
    "greedy_tour",
    "improve_tour",
    "neighbours",
    "perturb_and_improve",
    "tour_length",
]
