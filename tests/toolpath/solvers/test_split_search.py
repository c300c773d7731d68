"""The search on several cores: stretches keep segments whole, write back in place and never lengthen the tour."""

import time

import numpy as np
import pytest

from batik_studio.toolpath.segment_graph import keeps_segments_whole
from batik_studio.toolpath.solvers import kicks, moves
from batik_studio.toolpath.solvers.neighbours import neighbours
from batik_studio.toolpath.solvers.split_search import (
    boundary,
    path_between_ends,
    split_search,
    stretch_problem,
)
from tests.helpers import greedy_graph_tour


def path_length(graph, nodes):
    return sum(moves._dist(graph.xy, graph.dummy, a, b) for a, b in zip(nodes[:-1], nodes[1:], strict=True))


def travel(graph, tour):
    """The tour's length without its forced edges."""
    forced = np.flatnonzero(graph.mate >= 0)
    drawn = sum(moves._dist(graph.xy, graph.dummy, v, graph.mate[v]) for v in forced) / 2
    return moves.tour_length(graph.xy, graph.dummy, tour) - drawn


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_boundaries_never_split_a_forced_edge(return_to_origin):
    """At every position, the edges from the fixed node(s) into the stretches on either side are travel edges."""
    graph, tour = greedy_graph_tour(60, seed=1, return_to_origin=return_to_origin)
    n = len(tour)
    for at in range(n):
        first, last = boundary(tour, graph.mate, at)
        assert last - first in (0, 1) and first <= at <= last
        assert graph.mate[tour[(first - 1) % n]] != tour[first % n]
        assert graph.mate[tour[last % n]] != tour[(last + 1) % n]


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_stretch_problem_is_the_piece_of_tour_plus_a_constant(return_to_origin):
    """A stretch's tour length is its piece's length plus the forced edge between its ends, in any order."""
    graph, tour = greedy_graph_tour(80, seed=2, return_to_origin=return_to_origin)
    nodes = tour[boundary(tour, graph.mate, 10)[1] : boundary(tour, graph.mate, 90)[0] + 1]
    stretch, lists = stretch_problem(graph, neighbours(graph), nodes)
    assert stretch.mate[0] == len(nodes) - 1 and stretch.mate[-1] == 0
    assert keeps_segments_whole(stretch, np.arange(len(nodes)))
    forced_edge = moves._dist(stretch.xy, stretch.dummy, 0, len(nodes) - 1)
    local = moves.improve_tour(stretch, np.arange(len(nodes)), neighbour_lists=lists)
    path = path_between_ends(local)
    assert path[0] == 0 and path[-1] == len(nodes) - 1
    assert moves.tour_length(stretch.xy, stretch.dummy, local) == pytest.approx(
        path_length(graph, nodes[path]) + forced_edge
    )
    assert path_length(graph, nodes[path]) <= path_length(graph, nodes) + 1e-9
    assert ((lists == -1) | ((lists >= 0) & (lists < len(nodes)))).all()


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_split_search_keeps_segments_whole_and_never_lengthens(return_to_origin):
    """Rounds on two stretches at once give a valid tour with much less travel than the greedy start."""
    graph, start = greedy_graph_tour(1_500, seed=3, return_to_origin=return_to_origin)

    def search(stretch, tour, ends, lists, seed):
        return kicks.perturb_and_improve(
            stretch,
            moves.improve_tour(stretch, tour, neighbour_lists=lists),
            deadline=ends,
            neighbour_lists=lists,
            seed=seed,
        )

    tour = split_search(
        graph,
        start,
        deadline=time.perf_counter() + 1.0,
        neighbour_lists=neighbours(graph),
        seed=4,
        parts=2,
        search=search,
    )
    assert sorted(tour.tolist()) == list(range(len(graph)))
    assert keeps_segments_whole(graph, tour)
    assert travel(graph, tour) < 0.9 * travel(graph, start)


def test_perturb_and_improve_uses_stretches_only_where_they_are_large(monkeypatch):
    """With two threads, a time-limited search of a large enough tour runs on stretches; a kick budget never does."""
    graph, start = greedy_graph_tour(400, seed=5)
    calls = []

    def record(*args, **kwargs):
        calls.append(kwargs["parts"])
        return args[1]

    monkeypatch.setattr(kicks, "split_search", record)
    kicks.perturb_and_improve(graph, start, deadline=time.perf_counter() + 0.1, threads=2)
    assert calls == []
    monkeypatch.setattr(kicks, "MIN_STRETCH_NODES", 200)
    kicks.perturb_and_improve(graph, start, deadline=float("inf"), kicks=10, threads=2)
    assert calls == []
    kicks.perturb_and_improve(graph, start, deadline=time.perf_counter() + 0.1, threads=8)
    assert calls == [len(graph) // 200]
