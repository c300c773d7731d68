"""Stopping rules: validated when built, compiled into one array, and obeyed inside the compiled loops."""

import time

import numpy as np
import pytest

from batik_studio.errors import OptionError
from batik_studio.toolpath.solvers import kicks, moves
from batik_studio.toolpath.solvers.neighbours import neighbours
from batik_studio.toolpath.solvers.stopping import (
    ITERATIONS,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
    clock_s,
    compile_rules,
    monotonic_s,
    should_stop,
    stalled,
)
from tests.helpers import greedy_graph_tour


def test_compiled_clock_is_the_python_clock():
    """The clock the kernels read agrees with the one the rules are compiled against."""
    before = monotonic_s()
    inside = clock_s()
    assert before <= inside <= monotonic_s()


@pytest.mark.parametrize(
    "build", [lambda: MaxRuntime(0), lambda: MaxRuntime(-1.0), lambda: MaxIterations(-1), lambda: NoImprovement(0)]
)
def test_bad_rules_are_refused(build):
    """A rule outside what is allowed is an OptionError when it is built."""
    with pytest.raises(OptionError):
        build()


def test_the_earliest_deadline_and_the_least_counts_win():
    """Several rules compile to the tightest of each kind."""
    state = compile_rules(MaxIterations(10), MaxIterations(4), NoImprovement(7), deadline=time.perf_counter() + 60)
    assert not should_stop(state)
    state[ITERATIONS] = 4
    assert should_stop(state) and stalled(state)


def test_a_past_deadline_stops_the_local_search_before_its_first_node():
    """improve_tour with a deadline already gone returns the start tour untouched, however long the tour."""
    graph, start = greedy_graph_tour(300, seed=3)
    assert (moves.improve_tour(graph, start, deadline=time.perf_counter() - 1.0) == start).all()
    assert moves.tour_length(graph.xy, graph.dummy, moves.improve_tour(graph, start)) < moves.tour_length(
        graph.xy, graph.dummy, start
    )


def test_iteration_rule_counts_kicks_inside_the_kernel():
    """MaxIterations(k) makes the compiled kick loop use exactly k of the seeds it was given."""
    graph, start = greedy_graph_tour(200, seed=4)
    lists = neighbours(graph)
    problem = moves.problem_of(graph, lists)
    tour = moves.improve_tour(graph, start, neighbour_lists=lists)
    state = moves.new_state(tour, queue_all=False, journal_size=kicks.JOURNAL_CAPACITY)
    rules = compile_rules(MaxIterations(7))
    seeds = np.arange(1, 51, dtype=np.int64)
    assert kicks.kick_and_improve(problem, state, 3, moves.LK_DEPTH, seeds, 100, rules) == 7
    assert rules[ITERATIONS] == 7


def test_stall_rule_ends_a_search_without_a_budget():
    """With no time limit worth the name, a stall rule alone ends the iterated search, never lengthening it."""
    graph, start = greedy_graph_tour(150, seed=5)
    tour = moves.improve_tour(graph, start)
    out = kicks.perturb_and_improve(graph, tour, deadline=time.perf_counter() + 600, stall_kicks=200)
    assert moves.tour_length(graph.xy, graph.dummy, out) <= moves.tour_length(graph.xy, graph.dummy, tour) + 1e-9


def test_same_seed_same_kicks():
    """A kick budget, not the clock, ends the run: the same seed gives the same tour."""
    graph, start = greedy_graph_tour(150, seed=6)
    runs = [kicks.perturb_and_improve(graph, start, deadline=float("inf"), seed=2, kicks=300) for _ in range(2)]
    assert (runs[0] == runs[1]).all()
