"""The contract every registered solver keeps, on empty, single, degenerate and random drawings."""

import time

import numpy as np
import pytest

from batik_studio.toolpath.model import Drawing, Order, oriented_path, travel_mm
from batik_studio.toolpath.solvers import SOLVERS, SolveOptions, optimize


def random_drawing(n: int, seed: int) -> Drawing:
    """Open polylines, closed loops and dots scattered over a 100 mm square."""
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(n):
        kind = rng.integers(3)
        if kind == 0:
            paths.append(rng.uniform(0, 100, (int(rng.integers(2, 5)), 2)))
        elif kind == 1:
            ring = rng.uniform(0, 100, 2) + rng.uniform(1, 5) * np.stack(
                [np.cos(np.linspace(0, 2 * np.pi, 7)), np.sin(np.linspace(0, 2 * np.pi, 7))], axis=1
            )
            ring[-1] = ring[0]
            paths.append(ring)
        else:
            paths.append(rng.uniform(0, 100, (1, 2)))
    return Drawing(tuple(paths), origin=(5.0, 5.0))


def greedy_graph_tour(segments: int, seed: int, return_to_origin: bool = True):
    """The segment-end graph of a random drawing and the node tour of its greedy order."""
    from batik_studio.toolpath.segment_graph import build_graph, tour_from_order
    from batik_studio.toolpath.solvers.greedy import GreedySolver

    drawing = random_drawing(segments, seed=seed)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    options = SolveOptions(return_to_origin=return_to_origin)
    return graph, tour_from_order(graph, GreedySolver().solve(drawing, options))


DRAWINGS = {
    "empty": Drawing(()),
    "one-segment": Drawing((np.array([[3.0, 4.0], [10.0, 4.0]]),)),
    "zero-length": Drawing((np.array([[2.0, 2.0], [2.0, 2.0]]),) * 3),
    "one-dot": Drawing((np.array([[7.0, 1.0]]),)),
    "random-40": random_drawing(40, seed=1),
    "already-good": Drawing(tuple(np.array([[i, 0.0], [i + 0.5, 0.0]]) for i in range(10))),
}
OPTIONS = {
    "return": SolveOptions(time_limit_s=2.0),
    "no-return": SolveOptions(return_to_origin=False, time_limit_s=2.0),
    "reloop": SolveOptions(reloop=True, time_limit_s=2.0),
}


def assert_whole(drawing: Drawing, order: Order) -> None:
    """Each segment exactly once, entered only at an end (or at a vertex of a closed loop)."""
    order.check(drawing)
    assert sorted(order.sequence.tolist()) == list(range(len(drawing)))
    for segment in range(len(drawing)):
        path = oriented_path(drawing, order, segment)
        assert np.hypot(*np.diff(path, axis=0).T).sum() == pytest.approx(drawing.lengths_mm[segment], abs=1e-9)


@pytest.mark.parametrize("method", sorted(SOLVERS))
@pytest.mark.parametrize("drawing_name", sorted(DRAWINGS))
@pytest.mark.parametrize("options_name", sorted(OPTIONS))
def test_every_solver_draws_every_segment_once(method, drawing_name, options_name):
    """Every solver returns a valid order (each segment once, whole) for every drawing and option."""
    drawing, options = DRAWINGS[drawing_name], OPTIONS[options_name]
    result = optimize(drawing, method, options)
    assert_whole(drawing, result.order)
    assert result.after.travel_mm <= result.before.travel_mm + 1e-9
    if not options.reloop:
        assert not result.order.entry_vertex.any()


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_same_seed_same_order(method):
    """Two runs with the same seed give the same order."""
    drawing = random_drawing(25, seed=2)
    # A generous limit: searches that converge early stop by themselves, so the clock never decides the result.
    options = SolveOptions(seed=7, time_limit_s=20.0)
    first = optimize(drawing, method, options).order
    second = optimize(drawing, method, options).order
    assert first.sequence.tolist() == second.sequence.tolist()
    assert first.reversed.tolist() == second.reversed.tolist()


@pytest.mark.parametrize("options_name", sorted(OPTIONS))
@pytest.mark.parametrize("seed", [3, 4])
def test_best_never_worse_than_greedy(options_name, seed):
    """best's travel is at most greedy's, with or without return and reloop."""
    drawing = random_drawing(60, seed=seed)
    options = OPTIONS[options_name]
    best = optimize(drawing, "best", options).after.travel_mm
    greedy = optimize(drawing, "greedy", options).after.travel_mm
    assert best <= greedy + 1e-9


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_bound_never_above_the_tour(method):
    """The proven lower bound in the result is at most the travel the solver found."""
    drawing = random_drawing(50, seed=5)
    for options in OPTIONS.values():
        result = optimize(drawing, method, options, bound=True, bound_time_limit_s=3.0)
        assert result.lower_bound_mm is not None
        assert 0 < result.lower_bound_mm <= result.after.travel_mm + 1e-9
        assert result.gap_pct is not None and result.gap_pct >= 0


@pytest.mark.parametrize("matrix_max_nodes", [15_000, 10], ids=["fast-tsp", "neighbour-list"])
def test_time_limit_respected(matrix_max_nodes):
    """best stops within a small margin of --time-limit (a contract, not a speed claim)."""
    optimize(random_drawing(40, seed=6), "best", SolveOptions(time_limit_s=0.5), matrix_max_nodes=matrix_max_nodes)
    drawing = random_drawing(3_000, seed=6)
    started = time.perf_counter()
    optimize(drawing, "best", SolveOptions(time_limit_s=1.0), matrix_max_nodes=matrix_max_nodes)
    assert time.perf_counter() - started < 1.0 + 2.0


def test_travel_reported_matches_order():
    """The result's figures are the travel of the order it returns."""
    drawing = random_drawing(30, seed=8)
    result = optimize(drawing, "best", SolveOptions(time_limit_s=1.0))
    assert result.after.travel_mm == pytest.approx(travel_mm(drawing, result.order))
