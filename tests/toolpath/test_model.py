import numpy as np
import pytest

from batik_studio.errors import DrawingError
from batik_studio.toolpath.model import (
    Drawing,
    Order,
    combine_group_orders,
    keeps_groups,
    measure,
    oriented_path,
    travel_by_group_mm,
    travel_mm,
)


def square(x0: float, y0: float, side: float = 1.0) -> np.ndarray:
    return np.array([[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side], [x0, y0]])


def test_file_order_travel_counts_origin_and_return():
    """Travel runs from the origin through every segment and back."""
    drawing = Drawing((np.array([[3.0, 4.0], [3.0, 5.0]]), np.array([[3.0, 8.0], [0.0, 8.0]])))
    assert travel_mm(drawing, Order.identity(2)) == pytest.approx(5 + 3 + 8)
    assert travel_mm(drawing, Order.identity(2), return_to_origin=False) == pytest.approx(8)


def test_reversal_changes_entry_and_exit():
    """A reversed segment is entered at its last point."""
    drawing = Drawing((np.array([[0.0, 10.0], [0.0, 1.0]]),))
    order = Order(np.array([0]), np.array([True]))
    assert travel_mm(drawing, order) == pytest.approx(1 + 10)
    assert oriented_path(drawing, order, 0)[0].tolist() == [0.0, 1.0]


def test_closed_loop_reentered_at_vertex():
    """A closed loop entered at vertex 2 starts and ends there and keeps every edge."""
    drawing = Drawing((square(5, 5),))
    assert drawing.closed.tolist() == [True]
    order = Order(np.array([0]), np.array([False]), entry_vertex=np.array([2]))
    path = oriented_path(drawing, order, 0)
    assert path[0].tolist() == path[-1].tolist() == [6.0, 6.0]
    assert np.hypot(*np.diff(path, axis=0).T).sum() == pytest.approx(4.0)


def test_entry_vertex_rejected_on_open_path():
    """Only closed loops may be entered in the middle."""
    drawing = Drawing((np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]),))
    with pytest.raises(ValueError, match="closed loop"):
        Order(np.array([0]), np.array([False]), entry_vertex=np.array([1])).check(drawing)


def test_order_must_be_permutation():
    """An order that repeats a segment is refused."""
    with pytest.raises(ValueError, match="permutation"):
        Order(np.array([0, 0]), np.array([False, False]))


def test_metrics_match_paper_definitions():
    """TL = TS + TC and machining time uses the feeds."""
    drawing = Drawing((np.array([[0.0, 0.0], [0.0, 100.0]]),))
    metrics = measure(drawing, draw_feed_mm_min=500, rapid_feed_mm_min=1000)
    assert metrics.draw_mm == pytest.approx(100)
    assert metrics.travel_mm == pytest.approx(100)
    assert metrics.total_mm == pytest.approx(200)
    assert metrics.machining_minutes == pytest.approx(100 / 500 + 100 / 1000)


@pytest.mark.parametrize("bad", [np.array([[np.nan, 0.0]]), np.zeros((0, 2)), np.zeros((3, 3))])
def test_bad_paths_rejected(bad):
    """Non-finite, empty or non-2-D paths raise DrawingError."""
    with pytest.raises(DrawingError):
        Drawing((bad,))


def test_groups_are_validated_and_split():
    """Group sizes must add up and be positive; a group alone keeps its name and takes a new origin."""
    paths = [np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[5.0, 0.0], [6.0, 0.0]]), np.array([[9.0, 0.0]])]
    drawing = Drawing(paths, group_sizes=(2, 1), group_names=("outline", "isen"))
    assert drawing.group_of.tolist() == [0, 0, 1] and drawing.group_ranges() == [range(0, 2), range(2, 3)]
    alone = drawing.group(1, origin=(6.0, 0.0))
    assert alone.group_names == ("isen",) and alone.origin == (6.0, 0.0) and len(alone) == 1
    assert drawing.merged().group_sizes == (3,)
    for sizes in [(3, 1), (2, 0, 1), (4,)]:
        with pytest.raises(DrawingError):
            Drawing(paths, group_sizes=sizes)


def test_group_orders_combine_and_travel_splits_by_group():
    """Orders per group combine into one that keeps the groups; travel per group adds up to the total."""
    paths = [np.array([[x, 0.0], [x + 1, 0.0]]) for x in (0.0, 10.0, 20.0, 30.0)]
    drawing = Drawing(paths, group_sizes=(2, 2))
    order = combine_group_orders(drawing, [Order(np.array([1, 0]), np.array([True, False])), Order.identity(2)])
    assert order.sequence.tolist() == [1, 0, 2, 3] and order.reversed.tolist() == [True, False, False, False]
    assert keeps_groups(drawing, order)
    assert not keeps_groups(drawing, Order(np.array([2, 0, 1, 3]), np.zeros(4, bool)))
    parts = travel_by_group_mm(drawing, order)
    assert sum(parts) == pytest.approx(travel_mm(drawing, order)) and parts[1] == pytest.approx(20 + 9 + 31)
