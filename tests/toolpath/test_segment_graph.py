"""The segment-end graph encodes every order as a tour that keeps each segment's forced edge."""

import numpy as np
import pytest

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import build_graph, keeps_segments_whole, order_from_tour, tour_from_order
from tests.helpers import random_drawing


@pytest.mark.parametrize("return_to_origin", [True, False])
def test_order_round_trips_through_tour(return_to_origin):
    """order -> tour -> order gives the same order, and the tour keeps every segment whole."""
    drawing = random_drawing(30, seed=1)
    rng = np.random.default_rng(0)
    order = Order(rng.permutation(30), rng.random(30) < 0.5)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    tour = tour_from_order(graph, order)
    assert keeps_segments_whole(graph, tour)
    back = order_from_tour(graph, tour)
    assert back.sequence.tolist() == order.sequence.tolist()
    single = np.hypot(*(drawing.ends - drawing.starts).T) <= 1e-6
    assert back.reversed[~single].tolist() == order.reversed[~single].tolist()
    kept = travel_mm(drawing, back, return_to_origin=return_to_origin)
    assert kept == pytest.approx(travel_mm(drawing, order, return_to_origin=return_to_origin))


def test_open_path_tour_read_towards_the_dummy():
    """With no return the tour is read from the origin away from the dummy, whichever way it is stored."""
    drawing = Drawing((np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([[5.0, 0.0]])))
    graph = build_graph(drawing, return_to_origin=False)
    tour = tour_from_order(graph, Order(np.array([0, 1]), np.array([False, False])))
    assert order_from_tour(graph, tour[::-1]).sequence.tolist() == [0, 1]


def test_broken_tour_is_repaired():
    """A tour that splits a segment still decodes to a valid order drawing each segment whole."""
    drawing = Drawing((np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 5.0], [1.0, 5.0]])))
    graph = build_graph(drawing)
    broken = np.array([0, 1, 3, 2, 4])
    assert not keeps_segments_whole(graph, broken)
    order = order_from_tour(graph, broken)
    order.check(drawing)
    assert sorted(order.sequence.tolist()) == [0, 1]


def test_loops_and_dots_are_one_node():
    """A closed loop or a dot is a single node; an open path two nodes with a forced edge."""
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    drawing = Drawing((square, np.array([[4.0, 4.0]]), np.array([[0.0, 2.0], [3.0, 2.0]])))
    graph = build_graph(drawing)
    assert len(graph) == 1 + 1 + 1 + 2
    assert (graph.mate >= 0).sum() == 2
