"""Tour improvement on the segment-end graph: Lin-Kernighan, segment-insertion and Or-opt moves on neighbour lists.

The tour is an array of nodes with a position index; a move is a chain of path reversals (the shorter side of
the cycle is reversed), so every move costs at most n/2 swaps and memory stays O(n). A Lin-Kernighan move is a
chain of 2-opt steps, each applied at once and the chain's tail past its best point undone; Or-opt moves a chain of
up to three segments elsewhere, either way round, and a segment insertion (a sequential 3-opt move that 2-opt
chains cannot make) moves a path of any length. Moves never remove a forced edge, so every tour they produce keeps
every segment whole; reversing a path flips the segments on it, which is how segments change direction. Don't-look
bits (a queue of nodes worth re-examining) keep the search local; the candidate edges come from
:func:`~.neighbours.neighbours`.

The compiled kernels take two named structures: :class:`Problem` (what is searched, read-only) and
:class:`SearchState` (the tour and the search's working arrays), and a stopping-rule array
(:mod:`.stopping`) checked once per node taken from the queue.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from batik_studio.toolpath.segment_graph import SegmentGraph
from batik_studio.toolpath.solvers.stopping import compile_rules, should_stop

#: A move must shorten the tour by more than this (mm) to be taken; guards against float round-off loops.
EPS_MM = 1e-7

#: Alternatives tried for the first step of a Lin-Kernighan move.
LK_BREADTH = 5

#: Most 2-opt steps in one Lin-Kernighan move: on the 23x23 Megamendung tiling (2.9 s, 10 seeds) 25 steps end at
#: 113,697 mm on average against 114,106 mm for 10; 50 or more do worse again.
LK_DEPTH = 25

#: Slots of :attr:`SearchState.counters`: the queue's head and length, whether reversals are journalled, how many
#: were, and the last stamp handed out for marking a Lin-Kernighan chain's nodes.
HEAD, QUEUED, JOURNALING, JOURNAL_SIZE, STAMP = range(5)


class Problem(NamedTuple):
    """What a search works on: node coordinates, the dummy node (-1: none), forced partners, candidate lists."""

    xy: np.ndarray
    dummy: int
    mate: np.ndarray
    neigh: np.ndarray


class SearchState(NamedTuple):
    """The tour being improved and the search's working arrays, all of one tour's size unless said otherwise.

    ``tour`` / ``pos``: the node at each position and the position of each node; ``queue`` / ``queued``: the
    nodes worth re-examining (a ring buffer, see ``counters``) and whether a node is in it; ``counters``: the
    slots named :data:`HEAD` .. :data:`STAMP`; ``journal``: the reversals made while journalling (``(k, 2)``
    positions), so a rejected kick can be undone; ``gained``: the length the moves removed (one value); ``mark``:
    the stamp of the chain a node last belonged to.
    """

    tour: np.ndarray
    pos: np.ndarray
    queue: np.ndarray
    queued: np.ndarray
    counters: np.ndarray
    journal: np.ndarray
    gained: np.ndarray
    mark: np.ndarray


def problem_of(graph: SegmentGraph, neighbour_lists: np.ndarray) -> Problem:
    """The :class:`Problem` of a segment-end graph with its candidate lists."""
    return Problem(graph.xy, int(graph.dummy), graph.mate, neighbour_lists)


def new_state(tour: np.ndarray, *, queue_all: bool, journal_size: int = 1) -> SearchState:
    """A search state for ``tour`` (copied); with ``queue_all`` every node starts in the queue."""
    tour = np.array(tour, dtype=np.int64)
    size = len(tour)
    pos = np.empty(size, dtype=np.int64)
    pos[tour] = np.arange(size)
    counters = np.zeros(5, dtype=np.int64)
    if queue_all:
        counters[QUEUED] = size
    return SearchState(
        tour=tour,
        pos=pos,
        queue=tour.copy() if queue_all else np.zeros(size, dtype=np.int64),
        queued=np.full(size, queue_all, dtype=bool),
        counters=counters,
        journal=np.zeros((journal_size, 2), dtype=np.int64),
        gained=np.zeros(1),
        mark=np.zeros(size, dtype=np.int64),
    )


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
def _reverse(search, i, j):
    """Reverse cyclic positions i..j (or the shorter complement); the journal records it for undo if asked.

    Returns the positions actually reversed: reversing them again undoes the move.
    """
    tour, pos, state, journal = search.tour, search.pos, search.counters, search.journal
    n = len(tour)
    length = _wrap(j - i, n) + 1
    if 2 * length > n:
        i, j = _wrap(j + 1, n), _wrap(i - 1, n)
        length = n - length
    if state[JOURNALING]:
        if state[JOURNAL_SIZE] < len(journal):
            journal[state[JOURNAL_SIZE], 0] = i
            journal[state[JOURNAL_SIZE], 1] = j
        state[JOURNAL_SIZE] += 1
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
def _move2(search, x1, x2, y1, y2):
    """Replace edges (x1, x2), (y1, y2) by (x1, y1), (x2, y2); x2 follows x1 as y2 follows y1.

    Returns the reversed positions (see :func:`_reverse`).
    """
    tour, pos = search.tour, search.pos
    n = len(tour)
    if tour[_wrap(pos[x1] + 1, n)] == x2:
        return _reverse(search, pos[x2], pos[y1])
    return _reverse(search, pos[x1], pos[y2])


@njit(cache=True)
def _step(tour, pos, v, forward):
    p = pos[v]
    if forward:
        return tour[p + 1] if p + 1 < len(tour) else tour[0]
    return tour[p - 1] if p > 0 else tour[len(tour) - 1]


@njit(cache=True)
def _push(search, v):
    queue, queued, state = search.queue, search.queued, search.counters
    if not queued[v]:
        n = len(queue)
        queue[_wrap(state[HEAD] + state[QUEUED], n)] = v
        state[QUEUED] += 1
        queued[v] = True


@njit(cache=True)
def _lk_step(problem, search, t1, t2, forward, gain, floor, stamp):
    """The best next 2-opt step of a Lin-Kernighan chain from the open end t2: (t3, t4), or (-1, -1).

    t3 is a candidate neighbour of t2 with a partial gain above ``floor`` (the best closed gain so far: a step
    below it cannot lead to a better move); t4, t3's neighbour on the far side, must not
    be a node of the chain (marked ``stamp`` in ``mark``, so no edge added by the chain is removed again); the step
    maximises the lookahead d(t3, t4) - d(t2, t3).
    """
    xy, dummy, mate, neigh = problem.xy, problem.dummy, problem.mate, problem.neigh
    tour, pos, mark = search.tour, search.pos, search.mark
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
def _try_lk(problem, search, t1, depth, breadth, trail, chain):
    """A Lin-Kernighan move from t1: a chain of up to ``depth`` 2-opt steps, kept up to its best closing point.

    The first step tries up to ``breadth`` alternatives (best lookahead first); deeper steps take the best one.
    Each step is applied at once (a path reversal) and the tail of the chain past its best point is undone, so
    with ``depth`` 1 this is plain 2-opt. Forced (segment) edges are never removed.
    """
    xy, dummy, mate = problem.xy, problem.dummy, problem.mate
    tour, pos, state, gained, mark = search.tour, search.pos, search.counters, search.gained, search.mark
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
            state[STAMP] += 1
            stamp = state[STAMP]
            mark[t1] = stamp
            mark[t2] = stamp
            for c in range(tried_size):
                mark[chain[2 * depth + 2 + c]] = stamp
            t3, t4 = _lk_step(problem, search, t1, t2, forward, opened, EPS_MM, stamp)
            if t3 < 0:
                break
            # Deeper steps only avoid the chain's own nodes.
            state[STAMP] += 1
            stamp = state[STAMP]
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
                trail[steps, 0], trail[steps, 1] = _move2(search, head, t1, t3, t4)
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
                t3, t4 = _lk_step(problem, search, t1, head, direction, gain, best_gain, stamp)
                if t3 < 0:
                    break
            for k in range(steps - 1, best_steps - 1, -1):
                _reverse(search, trail[k, 0], trail[k, 1])
            if best_steps > 0:
                gained[0] += best_gain
                for c in range(2 + 2 * best_steps):
                    _push(search, chain[c])
                return True
    return False


@njit(cache=True)
def _try_segment_insertion(problem, search, t1):
    """The best sequential 3-opt move from t1 that 2-opt chains cannot make: a path moved, with or without a flip.

    With t2 after t1, t3 a candidate of t2 and t4 the node after t3 (the choice a 2-opt step cannot close),
    removing (t1, t2), (t3, t4) and adding (t2, t3) leaves the path t2..t3 as a cycle of its own; a third edge
    (t5, t6) of that cycle, t5 a candidate of t4, opens it again, and (t4, t5), (t6, t1) join it back. Moves are
    evaluated on positions, without touching the tour; only the best improving one is applied. With half of the
    edges forced (every open segment) this is how a long run of segments moves elsewhere whole.
    """
    xy, dummy, mate, neigh = problem.xy, problem.dummy, problem.mate, problem.neigh
    tour, pos, gained = search.tour, search.pos, search.gained
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
        _move2(search, t1, t2, t3, t4)
        _move2(search, t1, t3, t6, t5)
        _move2(search, t3, t5, t2, t4)
    else:
        # t6 precedes t5: t1 [t2..t6][t5..t3] t4 becomes t1 [t6..t2][t3..t5] t4.
        _move2(search, t1, t2, t6, t5)
        _move2(search, t2, t5, t3, t4)
    gained[0] += best
    for v in (t1, t2, t3, t4, t5, t6):
        _push(search, v)
    return True


@njit(cache=True)
def _try_oropt(problem, search, s, max_chain):
    xy, dummy, mate, neigh = problem.xy, problem.dummy, problem.mate, problem.neigh
    tour, pos, gained = search.tour, search.pos, search.gained
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
                    _move2(search, p, s, c1, c2)
                    _move2(search, p, c1, nx, e)
                    if best_keep:
                        _move2(search, c1, e, s, c2)
                    gained[0] += best
                    for v in (p, nx, s, e, c1, c2):
                        _push(search, v)
                    return True
            if nx == p or mate[nx] == p:
                break
            e = nx if mate[nx] < 0 else mate[nx]
            size += 1 if mate[nx] < 0 else 2
    return False


@njit(cache=True, nogil=True)
def improve(problem, search, max_chain, depth, stop):
    """Pop nodes until the queue is empty or ``stop`` fires; try Lin-Kernighan, segment insertion, then Or-opt."""
    tour, queue, queued, state = search.tour, search.queue, search.queued, search.counters
    moves = 0
    n = len(tour)
    trail = np.empty((depth, 2), dtype=np.int64)
    chain = np.empty(2 * depth + 2 + LK_BREADTH, dtype=np.int64)
    while state[QUEUED] > 0:
        if should_stop(stop):
            break
        v = queue[state[HEAD]]
        state[HEAD] = _wrap(state[HEAD] + 1, n)
        state[QUEUED] -= 1
        queued[v] = False
        if _try_lk(problem, search, v, depth, LK_BREADTH, trail, chain):
            moves += 1
            _push(search, v)
        elif max_chain > 0 and (
            _try_segment_insertion(problem, search, v) or _try_oropt(problem, search, v, max_chain)
        ):
            moves += 1
            _push(search, v)
    return moves


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

    ``deadline`` is a :func:`time.perf_counter` value, checked by the compiled search before every node it takes
    up. ``depth`` 1 makes the Lin-Kernighan moves plain 2-opt; ``max_chain`` 0 leaves out the moves that carry a
    path elsewhere (Or-opt and segment insertion).
    """
    from batik_studio.toolpath.solvers.neighbours import neighbours

    tour = np.array(tour, dtype=np.int64)
    if len(tour) < 8:
        return tour
    neigh = neighbours(graph) if neighbour_lists is None else neighbour_lists
    search = new_state(tour, queue_all=True)
    improve(problem_of(graph, neigh), search, max_chain, depth, compile_rules(deadline=deadline))
    return search.tour


__all__ = [
    "EPS_MM",
    "LK_BREADTH",
    "LK_DEPTH",
    "Problem",
    "SearchState",
    "improve",
    "improve_tour",
    "new_state",
    "problem_of",
    "tour_length",
]
