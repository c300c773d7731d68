"""The iterated local search on several cores: the tour cut into stretches, each searched on its own.

Each round cuts the tour into stretches at fresh random places. A stretch becomes a problem of its own: its nodes
between two fixed outside neighbours, which a forced edge joins, so that any tour of the stretch problem is a path
between those two neighbours and its travel is the travel of the tour's piece it replaces plus a constant. The
stretches are searched at the same time, one thread each (the compiled search releases the interpreter lock), and
written back in place. No move crosses a stretch's ends within a round, but the cuts move every round. The tour
never gets longer.

Measured against one thread (2-core x86_64, 2026-12-01, whole `best` runs): on the 73x73 Megamendung tiling
(127,897 nodes) 40 s end at 1,121,114 mm instead of 1,127,176 mm (mean of 2 seeds); on the 23x23 tiling
(12,697 nodes, 12 seeds) 3.1 s end at 113,301 mm instead of 113,502 mm, and 8.5 s at 113,097 mm against
113,001 mm, within the seeds' spread. Stretches much smaller than :data:`MIN_STRETCH_NODES` lose: four of 3,200
nodes on the 23x23 tiling end near 114,200 mm in 3 s, eight near 116,700 mm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from batik_studio.toolpath.segment_graph import SegmentGraph
from batik_studio.toolpath.solvers.moves import EPS_MM, tour_length

#: Fewest nodes in a stretch searched by a thread of its own.
MIN_STRETCH_NODES = 5_000

#: Improves one stretch: (stretch graph, its tour, deadline, neighbour lists, seed) -> the improved tour.
StretchSearch = Callable[[SegmentGraph, np.ndarray, float, np.ndarray, int], np.ndarray]


def boundary(tour: np.ndarray, mate: np.ndarray, at: int) -> tuple[int, int]:
    """Positions (first, last) of the fixed node or forced pair at ``at`` that separates two stretches.

    A node with a forced edge stays with its partner, so the edges into the stretches on either side are travel
    edges and no forced edge is split between two stretches. ``first`` may be -1 (the tour's last position).
    """
    v = tour[at]
    if mate[v] < 0:
        return at, at
    if tour[(at + 1) % len(tour)] == mate[v]:
        return at, at + 1
    return at - 1, at


@njit(cache=True)
def _local_lists(neigh, nodes, local):
    """Neighbour lists of ``nodes`` among themselves, in local numbering, still nearest first, -1 padded."""
    lists = np.full((len(nodes), neigh.shape[1]), -1, dtype=np.int64)
    for i in range(len(nodes)):
        k = 0
        for c in range(neigh.shape[1]):
            w = neigh[nodes[i], c]
            if w < 0:
                break
            if local[w] >= 0:
                lists[i, k] = local[w]
                k += 1
    return lists


def load_compiled_code() -> None:
    """Load this module's compiled kernel (the search in stretches runs only on drawings of 10,000 nodes or more)."""
    _local_lists(np.full((1, 1), -1, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))


def stretch_problem(graph: SegmentGraph, neigh: np.ndarray, nodes: np.ndarray) -> tuple[SegmentGraph, np.ndarray]:
    """The stretch ``nodes`` (its fixed outside neighbours first and last) as a graph and neighbour lists of its own.

    Local node ``i`` is ``nodes[i]``; ``np.arange(len(nodes))`` is the stretch's tour as it lies in the tour.
    """
    size = len(nodes)
    local = np.full(len(graph), -1, dtype=np.int64)
    local[nodes] = np.arange(size)
    mate = graph.mate[nodes]
    mate = np.where(mate >= 0, local[np.maximum(mate, 0)], -1)
    mate[0], mate[-1] = size - 1, 0
    stretch = SegmentGraph(
        xy=graph.xy[nodes],
        mate=mate,
        segment=np.full(size, -1, dtype=np.int64),
        is_end=np.zeros(size, dtype=bool),
        dummy=int(local[graph.dummy]) if graph.dummy >= 0 else -1,
        segments=0,
    )
    return stretch, _local_lists(neigh, nodes, local)


def path_between_ends(cycle: np.ndarray) -> np.ndarray:
    """A stretch's tour read as the path from local node 0 to the last local node (the forced edge left out)."""
    cycle = np.roll(cycle, -int(np.flatnonzero(cycle == 0)[0]))
    if cycle[1] == len(cycle) - 1:
        cycle = np.concatenate([cycle[:1], cycle[1:][::-1]])
    return cycle


def split_search(
    graph: SegmentGraph,
    tour: np.ndarray,
    *,
    deadline: float,
    neighbour_lists: np.ndarray,
    seed: int,
    parts: int,
    search: StretchSearch,
    stall_rounds: int | None = None,
) -> np.ndarray:
    """Rounds of ``search`` on ``parts`` stretches of ``tour`` at once, one thread each, until ``deadline``.

    With ``stall_rounds``, also until that many rounds in a row have not shortened the tour.
    A round lasts 0.1 s or 2 microseconds a node, whichever is longer: short enough that the cuts move often, long
    enough that cutting (linear in the tour) stays a small part of it.
    """
    tour = np.array(tour, dtype=np.int64)
    n = len(tour)
    round_s = max(0.1, 2e-6 * n)
    rng = np.random.default_rng(seed)
    length_mm = tour_length(graph.xy, graph.dummy, tour)
    stalled = 0
    with ThreadPoolExecutor(max_workers=parts) as pool:
        while time.perf_counter() < deadline and (stall_rounds is None or stalled < stall_rounds):
            tour = np.roll(tour, -int(rng.integers(n)))
            cuts = [boundary(tour, graph.mate, (k * n) // parts) for k in range(parts)]
            ends = min(deadline, time.perf_counter() + round_s)
            jobs = []
            for k in range(parts):
                last = cuts[k + 1][0] if k + 1 < parts else n + cuts[0][0]
                positions = np.arange(cuts[k][1], last + 1) % n
                nodes = tour[positions]
                stretch, lists = stretch_problem(graph, neighbour_lists, nodes)
                start = np.arange(len(nodes), dtype=np.int64)
                job = pool.submit(search, stretch, start, ends, lists, int(rng.integers(2**31 - 1)))
                jobs.append((positions, nodes, job))
            for positions, nodes, job in jobs:
                tour[positions] = nodes[path_between_ends(job.result())]
            shorter_mm = tour_length(graph.xy, graph.dummy, tour)
            stalled = 0 if shorter_mm < length_mm - EPS_MM else stalled + 1
            length_mm = shorter_mm
    return tour


__all__ = ["MIN_STRETCH_NODES", "StretchSearch", "boundary", "path_between_ends", "split_search", "stretch_problem"]
