"""best: the fast-tsp core and the neighbour-list search keep segments whole and shorten the tour."""

import json
import subprocess
import sys

import numpy as np
import pytest

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import build_graph, keeps_segments_whole, order_from_tour, tour_from_order
from batik_studio.toolpath.solvers import SOLVERS, SolveOptions, moves, optimize
from batik_studio.toolpath.solvers.best import BestSolver
from batik_studio.toolpath.solvers.greedy import GreedySolver
from batik_studio.toolpath.solvers.local_search import (
    best_entries,
    improve_tour,
    neighbours,
    perturb_and_improve,
    tour_length,
)
from batik_studio.toolpath.solvers.matrix import integer_matrix, matrix_seconds
from tests.helpers import greedy_graph_tour, random_drawing


def test_registered():
    """The CLI's method list offers best."""
    assert SOLVERS["best"] is BestSolver


def test_integer_matrix_forces_segment_edges():
    """Forced edges cost 0, every other edge at least the offset, and the matrix is symmetric."""
    graph = build_graph(random_drawing(20, seed=1), return_to_origin=False)
    matrix = integer_matrix(graph).astype(np.int64)
    assert (matrix == matrix.T).all()
    forced = graph.mate >= 0
    assert (matrix[forced, graph.mate[forced]] == 0).all()
    off_diagonal = ~np.eye(len(graph), dtype=bool)
    off_diagonal[forced, graph.mate[forced]] = False
    assert matrix[off_diagonal].min() >= 32_767


def test_integer_matrix_within_one_unit_of_exact_rounding():
    """The float32 blocks give each travel edge its scaled float64 distance, rounded, to within one unit."""
    graph = build_graph(random_drawing(700, seed=4))  # more nodes than one block of rows
    xy = graph.xy
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    exact = np.floor(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) * (32_767 / span) + 0.5) + 32_767
    matrix = integer_matrix(graph).astype(np.int64)
    travel = ~np.eye(len(graph), dtype=bool)
    forced = graph.mate >= 0
    travel[forced, graph.mate[forced]] = False
    assert np.abs(matrix[travel] - exact[travel]).max() <= 1


def test_first_run_in_a_fresh_process_starts_on_fast_tsp():
    """best's first run in a process searches with fast-tsp while the compiled code loads; later runs load it first.

    Both runs keep every segment, never travel more than the input, and carry a proven bound.
    """
    code = """
import json
import numpy as np
from batik_studio.toolpath.model import Drawing
from batik_studio.toolpath.solvers import SolveOptions, optimize, run
rng = np.random.default_rng(0)
drawing = Drawing(tuple(rng.uniform(0, 100, (2, 2)) for _ in range(300)))
rows = []
for _ in range(2):
    result = optimize(drawing, "best", SolveOptions(time_limit_s=0.3), bound=True)
    result.order.check(drawing)
    rows.append([result.solver_details.used_matrix, "best" in run._LOADED, result.lower_bound_mm,
                 result.after.travel_mm, result.before.travel_mm])
print(json.dumps(rows))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    (first_matrix, first_loaded, *first_mm), (second_matrix, second_loaded, *second_mm) = json.loads(done.stdout)
    assert (first_matrix, first_loaded) == (True, False)
    assert (second_matrix, second_loaded) == (False, True)
    for lower, after, before in (first_mm, second_mm):
        assert 0 < lower <= after <= before


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_local_search_keeps_segments_and_never_lengthens(return_to_origin):
    """2-opt/Or-opt from the greedy order keeps every forced edge and never adds travel."""
    drawing = random_drawing(400, seed=2)
    options = SolveOptions(return_to_origin=return_to_origin)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    start = GreedySolver().solve(drawing, options)
    tour = improve_tour(graph, tour_from_order(graph, start))
    assert keeps_segments_whole(graph, tour)
    improved = order_from_tour(graph, tour)
    before = travel_mm(drawing, start, return_to_origin=return_to_origin)
    assert travel_mm(drawing, improved, return_to_origin=return_to_origin) < before


def test_kicks_reproducible_and_improving():
    """The iterated local search repeats exactly for a seed and ends shorter than its start."""
    drawing = random_drawing(400, seed=3)
    graph = build_graph(drawing)
    tour = improve_tour(graph, tour_from_order(graph, GreedySolver().solve(drawing, SolveOptions())))
    base = travel_mm(drawing, order_from_tour(graph, tour))
    runs = [perturb_and_improve(graph, tour, deadline=float("inf"), seed=5, kicks=3_000) for _ in range(2)]
    assert runs[0].tolist() == runs[1].tolist()
    assert keeps_segments_whole(graph, runs[0])
    assert travel_mm(drawing, order_from_tour(graph, runs[0])) < base


def test_best_entries_exact_for_sequence():
    """The direction/entry DP matches trying every direction of a 6-segment sequence."""
    drawing = random_drawing(6, seed=4)
    sequence = np.arange(6)
    best = min(travel_mm(drawing, Order(sequence, np.array(bits, dtype=bool))) for bits in np.ndindex(*(2,) * 6))
    chosen = best_entries(drawing, Order(sequence, np.zeros(6, dtype=bool)))
    assert travel_mm(drawing, chosen) == pytest.approx(best)


def test_reloop_enters_square_at_nearest_corner():
    """With reloop, a far square is entered at its corner nearest the origin."""
    square = np.array([[10.0, 10.0], [20.0, 10.0], [20.0, 20.0], [10.0, 20.0], [10.0, 10.0]]) + 100
    dot = np.array([[115.0, 105.0]])
    drawing = Drawing((square[[2, 3, 0, 1, 2]], dot))
    order = optimize(drawing, "best", SolveOptions(reloop=True, time_limit_s=1.0)).order
    start = order.entry_vertex[0]
    assert drawing.paths[0][start].tolist() == [110.0, 110.0]


def test_neighbour_list_path_close_to_fast_tsp():
    """Without the matrix core (huge drawings) the result stays within 10% of the fast-tsp result."""
    drawing = random_drawing(500, seed=9)
    options = SolveOptions(time_limit_s=2.0)
    core = optimize(drawing, "best", options).after.travel_mm
    linear = optimize(drawing, "best", options, matrix_max_nodes=10).after.travel_mm
    assert linear <= 1.1 * core


def test_neighbours_cover_every_quadrant():
    """A node in a tight cluster also gets candidates in the quadrants where only far nodes lie."""
    cluster = [np.array([[x, y]]) for x in range(5) for y in range(5)]
    far = [np.array([[100.0, 100.0]]), np.array([[-100.0, -100.0]])]
    graph = build_graph(Drawing(tuple(cluster + far), origin=(2.0, 2.0)))
    lists = neighbours(graph, k=8, per_quadrant=2)
    corner = int(np.flatnonzero((graph.xy == [4.0, 4.0]).all(axis=1))[0])
    assert int(np.flatnonzero((graph.xy == [100.0, 100.0]).all(axis=1))[0]) in lists[corner]
    steps = np.hypot(*(graph.xy[lists[corner]] - graph.xy[corner]).T)
    assert (np.diff(steps) >= 0).all()


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_iterated_search_valid_and_never_worse(return_to_origin):
    """The iterated local search keeps every segment whole and never lengthens the tour it starts from."""
    drawing = random_drawing(300, seed=11)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    start = tour_from_order(graph, GreedySolver().solve(drawing, SolveOptions(return_to_origin=return_to_origin)))
    tour = perturb_and_improve(graph, start, deadline=float("inf"), seed=1, kicks=2_000)
    assert sorted(tour.tolist()) == list(range(len(graph)))
    assert keeps_segments_whole(graph, tour)
    assert tour_length(graph.xy, graph.dummy, tour) <= tour_length(graph.xy, graph.dummy, start) + 1e-9
    order = order_from_tour(graph, tour)
    order.check(drawing)


def test_iterated_search_beats_two_opt():
    """On 2,000 random dots the iterated local search ends well below plain 2-opt from the same start."""
    rng = np.random.default_rng(12)
    drawing = Drawing(tuple(rng.uniform(0, 1_000, size=(2_000, 1, 2))))
    graph = build_graph(drawing)
    start = tour_from_order(graph, GreedySolver().solve(drawing, SolveOptions()))
    two_opt = improve_tour(graph, start, max_chain=0, depth=1)
    searched = perturb_and_improve(graph, improve_tour(graph, start), deadline=float("inf"), seed=2, kicks=40_000)
    two_opt_mm = tour_length(graph.xy, graph.dummy, two_opt)
    assert tour_length(graph.xy, graph.dummy, searched) < 0.95 * two_opt_mm


def test_matrix_only_with_enough_time():
    """fast-tsp's matrix search is used only when the time limit leaves it room to get past its first phase."""
    assert matrix_seconds(1_000) < 2.0 < matrix_seconds(12_697) < 20.0


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_lin_kernighan_moves_keep_segments_and_beat_two_opt(return_to_origin):
    """Lin-Kernighan chains keep every forced edge and end below plain 2-opt from the same start."""
    drawing = random_drawing(400, seed=10)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    options = SolveOptions(return_to_origin=return_to_origin)
    start = tour_from_order(graph, GreedySolver().solve(drawing, options))
    two_opt = improve_tour(graph, start, max_chain=0, depth=1)
    chains = improve_tour(graph, start, max_chain=0)
    assert sorted(chains.tolist()) == list(range(len(graph)))
    assert keeps_segments_whole(graph, chains)
    assert tour_length(graph.xy, graph.dummy, chains) < tour_length(graph.xy, graph.dummy, two_opt)


def try_segment_insertion(graph, lists, search, t1):
    """The compiled segment-insertion move from ``t1`` on ``search.tour`` (changed in place); True when it moved."""
    return moves._try_segment_insertion(moves.problem_of(graph, lists), search, t1)


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_segment_insertion_gains_exactly_what_it_claims(return_to_origin):
    """Every segment insertion applied to a greedy tour keeps segments whole and shortens it by its stated gain."""
    graph, start = greedy_graph_tour(150, seed=13, return_to_origin=return_to_origin)
    search = moves.new_state(start, queue_all=False)
    tour, pos, gained = search.tour, search.pos, search.gained
    lists = neighbours(graph)
    made = 0
    for t1 in range(len(graph)):
        before = tour_length(graph.xy, graph.dummy, tour)
        claimed = gained[0]
        if try_segment_insertion(graph, lists, search, t1):
            made += 1
            assert keeps_segments_whole(graph, tour)
            assert (pos[tour] == np.arange(len(tour))).all()
            assert before - tour_length(graph.xy, graph.dummy, tour) == pytest.approx(gained[0] - claimed, abs=1e-6)
            assert gained[0] > claimed
    assert made > 10


def test_local_optimum_has_no_segment_insertion_left():
    """improve_tour stops only where no segment insertion improves the tour (the move is part of its search)."""
    graph, start = greedy_graph_tour(300, seed=14)
    lists = neighbours(graph)
    search = moves.new_state(improve_tour(graph, start, neighbour_lists=lists), queue_all=False)
    for t1 in range(len(graph)):
        assert not try_segment_insertion(graph, lists, search, t1)


@pytest.mark.parametrize("shape", ["uniform", "ties", "clusters", "line", "same point"])
def test_grid_nearest_points_are_the_nearest(shape):
    """The compiled grid search finds, for every point, distances equal to a brute-force k-nearest search."""
    from batik_studio.toolpath.solvers.neighbours import nearest_points

    rng = np.random.default_rng(5)
    xy = {
        "uniform": rng.uniform(0, 100, (800, 2)),
        "ties": np.round(rng.uniform(0, 10, (800, 2))),
        "clusters": np.concatenate([rng.normal(0, 0.5, (300, 2)), rng.normal(400, 0.5, (300, 2))]),
        "line": np.column_stack([np.arange(500.0), np.zeros(500)]),
        "same point": np.zeros((60, 2)),
    }[shape]
    count = min(41, len(xy))
    found = nearest_points(xy, count)
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    expected = np.sort(distance, axis=1)[:, :count]
    assert np.allclose(np.take_along_axis(distance, found, axis=1), expected)
    assert all(len(set(row)) == count for row in found.tolist())
