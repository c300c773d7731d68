import numpy as np
import pytest

from batik_studio.toolpath.io import Placement, read_drawing
from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.solvers import SOLVERS, SolveOptions, optimize
from batik_studio.toolpath.solvers.greedy import GreedySolver
from tests.helpers import require_shared


def test_registered():
    """The CLI's method list offers greedy."""
    assert SOLVERS["greedy"] is GreedySolver


def test_picks_nearest_end_from_origin():
    """From the origin the nearest end is taken, and the segment is reversed when that end is its last point."""
    drawing = Drawing((np.array([[10.0, 0.0], [20.0, 0.0]]), np.array([[5.0, 0.0], [1.0, 0.0]])))
    order = GreedySolver().solve(drawing, SolveOptions())
    assert order.sequence.tolist() == [1, 0]
    assert order.reversed.tolist() == [False, True]
    assert travel_mm(drawing, order) == pytest.approx(1 + 5 + 20)


def test_matches_brute_force_nearest_neighbour():
    """On random segments the k-d tree walk equals a plain O(n^2) nearest-neighbour walk."""
    rng = np.random.default_rng(3)
    starts = rng.random((300, 2)) * 100
    drawing = Drawing(tuple(np.stack([s, s + rng.normal(size=2)]) for s in starts))
    order = GreedySolver(first_k=1).solve(drawing, SolveOptions())
    here, left, expected = np.zeros(2), set(range(300)), []
    for _ in range(300):
        ids = np.array(sorted(left))
        d_start = np.hypot(*(drawing.starts[ids] - here).T)
        d_end = np.hypot(*(drawing.ends[ids] - here).T)
        best = int(np.argmin(np.minimum(d_start, d_end)))
        segment = int(ids[best])
        flipped = d_end[best] < d_start[best]
        expected.append(segment)
        here = drawing.starts[segment] if flipped else drawing.ends[segment]
        left.remove(segment)
    assert order.sequence.tolist() == expected


@pytest.mark.parametrize(
    "paths",
    [(), (np.array([[1.0, 1.0]]),), (np.array([[2.0, 2.0], [2.0, 2.0]]),) * 3],
    ids=["empty", "one-dot", "zero-length"],
)
def test_degenerate_drawings(paths):
    """Empty, single-dot and zero-length drawings get a valid order."""
    drawing = Drawing(paths)
    order = GreedySolver().solve(drawing, SolveOptions())
    order.check(drawing)
    assert sorted(order.sequence.tolist()) == list(range(len(paths)))


def test_reloop_enters_loops_at_nearest_vertex():
    """With reloop a closed loop is entered at its vertex nearest the pen, and never worse than without."""
    square = np.array([[10.0, 10.0], [20.0, 10.0], [20.0, 0.5], [10.0, 0.5], [10.0, 10.0]])
    drawing = Drawing((square,))
    plain = GreedySolver().solve(drawing, SolveOptions())
    looped = GreedySolver().solve(drawing, SolveOptions(reloop=True))
    assert looped.entry_vertex.tolist() == [3]
    assert travel_mm(drawing, looped) < travel_mm(drawing, plain)


def test_deterministic_and_never_worse_than_file_order_on_random():
    """Same drawing, same order; and on scattered segments the travel drops below the file order's."""
    rng = np.random.default_rng(7)
    drawing = Drawing(tuple(rng.random((3, 2)) * 500 for _ in range(400)))
    first = optimize(drawing, "greedy", SolveOptions(seed=1))
    second = optimize(drawing, "greedy", SolveOptions(seed=1))
    assert np.array_equal(first.order.sequence, second.order.sequence)
    assert first.after.travel_mm < first.before.travel_mm


def test_progress_reaches_one():
    """Progress is reported and ends at 1."""
    seen = []
    drawing = Drawing(tuple(np.array([[i, 0.0], [i, 1.0]]) for i in range(250)))
    GreedySolver().solve(drawing, SolveOptions(), seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_reproduces_reference_figure_on_megamendung_grid():
    """The 5x5 Megamendung grid in SVG coordinates: greedy travel matches the published 7,832 mm within 1%."""
    drawing = read_drawing(require_shared("batik/megamendung_grid_5x5.svg"), placement=Placement(y_down=True)).drawing
    result = optimize(drawing, "greedy")
    assert result.after.travel_mm == pytest.approx(7832, rel=0.01)
    assert isinstance(result.order, Order)


def test_keeps_file_order_when_greedy_is_worse():
    """When nearest neighbour travels more than the file order, optimize returns the file order and says so."""
    drawing = Drawing((np.array([[-2.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[3.0, 3.0]])))
    result = optimize(drawing, "greedy", SolveOptions())
    order = result.order
    assert order.sequence.tolist() == [0, 1, 2] and result.winner == "input"
    nearest_first = Order(np.array([1, 0, 2]), np.zeros(3, bool))
    assert travel_mm(drawing, order) < travel_mm(drawing, nearest_first)
