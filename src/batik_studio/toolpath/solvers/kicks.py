"""Iterated local search: kick the tour with a double bridge, improve it again, keep what does not lengthen it.

Every kick's random stream comes from a seed drawn in numpy, so a run that ends by its iteration rules rather than
by the clock repeats exactly. The stopping rules (:mod:`.stopping`) are checked before every kick and before every
node the local search takes up after it; a kick cut short by the clock is undone unless it already paid.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from batik_studio.toolpath.segment_graph import SegmentGraph
from batik_studio.toolpath.solvers.moves import (
    EPS_MM,
    HEAD,
    JOURNAL_SIZE,
    JOURNALING,
    LK_DEPTH,
    QUEUED,
    _dist,
    _push,
    _reverse,
    _wrap,
    improve,
    new_state,
    problem_of,
)
from batik_studio.toolpath.solvers.split_search import MIN_STRETCH_NODES, split_search
from batik_studio.toolpath.solvers.stopping import (
    MaxIterations,
    NoImprovement,
    compile_rules,
    count_iteration,
    should_stop,
)

#: Reversals a kick's local search may make and still be undone exactly (more: the kick is kept as it is).
JOURNAL_CAPACITY = 200_000

#: Kick seeds drawn from the generator at a time.
SEED_BATCH = 2_000


@njit(cache=True, nogil=True)
def kick_and_improve(problem, search, max_chain, depth, seeds, window, stop):
    """One segment-swap kick per seed, each followed by local search and undone if the tour got longer.

    A kick cuts three non-forced edges at positions a < b < c within ``window`` of a random position and swaps
    the two paths between them (a double bridge, which Lin-Kernighan and Or-opt moves cannot undo in one step).
    Returns how many seeds were used; fewer than given when ``stop`` fired.
    """
    mate = problem.mate
    tour, pos, state, journal, gained = search.tour, search.pos, search.counters, search.journal, search.gained
    xy, dummy = problem.xy, problem.dummy
    n = len(tour)
    saved = np.empty(window + 4, dtype=np.int64)
    used = 0
    for r in range(len(seeds)):
        if should_stop(stop):
            break
        used += 1
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
            count_iteration(stop, False)
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
        state[JOURNALING] = 1
        state[JOURNAL_SIZE] = 0
        gained[0] = 0.0
        for v in (ta, na, tb, nb, tc, nc):
            _push(search, v)
        improve(problem, search, max_chain, depth, stop)
        state[JOURNALING] = 0
        if gained[0] >= added - removed or state[JOURNAL_SIZE] > len(journal):
            count_iteration(stop, gained[0] > added - removed + EPS_MM)
            _drain(search)
            continue
        for k in range(state[JOURNAL_SIZE] - 1, -1, -1):
            _reverse(search, journal[k, 0], journal[k, 1])
        for k in range(length):
            v = saved[k]
            tour[_wrap(a + 1 + k, n)] = v
            pos[v] = _wrap(a + 1 + k, n)
        count_iteration(stop, False)
        _drain(search)
    return used


@njit(cache=True, nogil=True)
def _drain(search):
    """Empty the queue (left over only when the clock stopped a kick's local search)."""
    state, queue, queued = search.counters, search.queue, search.queued
    while state[QUEUED] > 0:
        head = state[HEAD]
        queued[queue[head]] = False
        state[HEAD] = _wrap(head + 1, len(queue))
        state[QUEUED] -= 1


def perturb_and_improve(
    graph: SegmentGraph,
    tour: np.ndarray,
    *,
    deadline: float,
    neighbour_lists: np.ndarray | None = None,
    seed: int = 0,
    kicks: int | None = None,
    stall_kicks: int | None = None,
    max_chain: int = 3,
    depth: int = LK_DEPTH,
    window: int = 1_000,
    threads: int = 1,
) -> np.ndarray:
    """Iterated local search from a local optimum until ``deadline``, ``kicks`` kicks, or ``stall_kicks``.

    ``stall_kicks`` counts kicks in a row that did not shorten the tour; ``None`` (for either) means no such limit.

    A kick's three cuts lie within ``window`` tour positions (at most half the tour). Wide kicks pay (measured with
    10-step chains): on the 23x23 Megamendung tiling (12,697 nodes, 2.9 s) 1,000 positions reach about 114,400 mm
    where 50 level off near 116,700 mm; on the 73x73 tiling (127,897 nodes, 115 s) 1,000 positions give
    1,123,401 mm, 50 give 1,143,087 mm and half the tour 1,137,531 mm. A kick with its local search costs
    0.2-0.35 ms on 12,697 nodes.

    With ``threads`` above 1 and no kick budget, the tour is searched in that many stretches at once (at most one
    per :data:`~.split_search.MIN_STRETCH_NODES` nodes), see :func:`~.split_search.split_search`; a stall there
    is counted in rounds that shortened no stretch.
    """
    from batik_studio.toolpath.solvers.neighbours import neighbours

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

        # A round gives each stretch about 0.1 s of the clock, fewer kicks on a busy machine: a stall of k kicks
        # per node is counted as 10k rounds in a row that shortened no stretch (10 s for the default k = 10).
        stall_rounds = None if stall_kicks is None else 10 * max(1, stall_kicks // size)
        return split_search(
            graph,
            tour,
            deadline=deadline,
            neighbour_lists=neigh,
            seed=seed,
            parts=parts,
            search=search,
            stall_rounds=stall_rounds,
        )
    rules = []
    if kicks is not None:
        rules.append(MaxIterations(int(kicks)))
    if stall_kicks is not None:
        rules.append(NoImprovement(int(stall_kicks)))
    stop = compile_rules(*rules, deadline=deadline)
    state = new_state(tour, queue_all=False, journal_size=JOURNAL_CAPACITY)
    problem = problem_of(graph, neigh)
    rng = np.random.default_rng(seed)
    window = min(window, size // 2)
    left = np.inf if kicks is None else kicks
    while left > 0 and not should_stop(stop):
        seeds = rng.integers(0, 2**31 - 1, size=int(min(SEED_BATCH, left)))
        left -= kick_and_improve(problem, state, max_chain, depth, seeds, window, stop)
    return state.tour


__all__ = ["JOURNAL_CAPACITY", "kick_and_improve", "perturb_and_improve"]
