import numpy as np
import pytest

from batik_studio.errors import InputError
from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.solvers import SOLVERS, SolveOptions, optimize

GA_METHODS = ["msga", "kmeans-msga"]
FAST = {"msga": {"iterations": 300}, "kmeans-msga": {"clusters": 4, "cluster_iterations": 50, "intra_iterations": 100}}


def scrambled_strokes(n: int = 48, seed: int = 0) -> Drawing:
    """Short strokes on a grid, listed in random order and random direction: a bad file order."""
    rng = np.random.default_rng(seed)
    cells = rng.permutation(n)
    paths = []
    for cell in cells:
        x, y = 20.0 * (cell % 8), 20.0 * (cell // 8)
        stroke = np.array([[x, y], [x + 5.0, y + 3.0]])
        paths.append(stroke[::-1] if rng.random() < 0.5 else stroke)
    return Drawing(tuple(paths), origin=(-10.0, -10.0))


def square(x0: float, y0: float) -> np.ndarray:
    return np.array([[x0, y0], [x0 + 2, y0], [x0 + 2, y0 + 2], [x0, y0 + 2], [x0, y0]])


def test_methods_are_registered():
    """Both of the paper's methods are offered by name."""
    assert {"msga", "kmeans-msga"} <= set(SOLVERS)


@pytest.mark.parametrize("method", GA_METHODS)
def test_ga_improves_travel_over_the_file_order(method):
    """Both methods cut the travel of a scrambled file order by more than a third."""
    drawing = scrambled_strokes()
    result = optimize(drawing, method, SolveOptions(seed=1), **FAST[method])
    assert result.after.travel_mm < 0.66 * result.before.travel_mm
    assert result.after.draw_mm == pytest.approx(result.before.draw_mm)


@pytest.mark.parametrize("method", GA_METHODS)
def test_same_seed_same_order(method):
    """Runs with the same seed give the same order; another seed gives another."""
    drawing = scrambled_strokes()
    params = FAST[method] | {"keep_input": False}
    orders = [optimize(drawing, method, SolveOptions(seed=s), **params).order for s in (3, 3, 4)]
    assert orders[0].sequence.tolist() == orders[1].sequence.tolist()
    assert orders[0].reversed.tolist() == orders[1].reversed.tolist()
    assert orders[0].sequence.tolist() != orders[2].sequence.tolist()


@pytest.mark.parametrize("method", GA_METHODS)
@pytest.mark.parametrize(
    "paths",
    [
        (),
        (np.array([[3.0, 4.0], [5.0, 4.0]]),),
        (np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]), np.array([[2.0, 2.0]])),
        (square(0, 0), square(5, 5), np.array([[9.0, 0.0], [9.0, 9.0]])),
    ],
    ids=["empty", "one_segment", "zero_length_dots", "closed_loops"],
)
@pytest.mark.parametrize("return_to_origin", [True, False])
def test_contract_on_degenerate_drawings(method, paths, return_to_origin):
    """Every segment drawn once and whole on empty, single, zero-length and looped drawings."""
    drawing = Drawing(paths)
    result = optimize(drawing, method, SolveOptions(return_to_origin=return_to_origin), **FAST[method])
    result.order.check(drawing)
    assert sorted(result.order.sequence.tolist()) == list(range(len(paths)))
    assert result.after.travel_mm == pytest.approx(travel_mm(drawing, result.order, return_to_origin=return_to_origin))


def test_msga_history_ends_at_the_travel_reported():
    """The convergence history never rises and ends at the measured travel of the returned order."""
    result = optimize(scrambled_strokes(), "msga", SolveOptions(seed=2), iterations=200, keep_input=False)
    history = result.details["history"]
    assert len(history["travel_mm"]) == 201 == result.details["iterations"] + 1
    assert (np.diff(history["travel_mm"]) <= 1e-9).all()
    assert history["travel_mm"][-1] == pytest.approx(result.after.travel_mm)
    curve = result.details["curve"]
    assert (np.diff(curve["seconds"]) >= 0).all()
    assert curve["travel_mm"][-1] == pytest.approx(result.after.travel_mm)


def test_msga_time_limit_zero_returns_the_best_initial_individual():
    """A time limit of a microsecond stops before the first iteration and still returns a valid order."""
    drawing = scrambled_strokes()
    result = optimize(drawing, "msga", SolveOptions(time_limit_s=1e-6))
    assert result.details["iterations"] == 0
    result.order.check(drawing)


def test_msga_without_return_leg_optimises_the_open_route():
    """With no return to the origin the fitness leaves the last leg out, and matches the measured travel."""
    result = optimize(
        scrambled_strokes(), "msga", SolveOptions(return_to_origin=False), iterations=100, keep_input=False
    )
    assert result.details["history"]["travel_mm"][-1] == pytest.approx(result.after.travel_mm)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"population": 0}, "at least 2"), ({"mutation_rate": 2.0}, "between 0 and 1"), ({"scheme": "x"}, "scheme")],
)
def test_msga_rejects_bad_parameters(params, message):
    """Bad parameters raise InputError naming the value."""
    with pytest.raises(InputError, match=message):
        optimize(scrambled_strokes(), "msga", **params)


def test_order_from_ga_marks_reversed_segments_by_segment_id():
    """A slave bit of 1 reverses that segment, whatever its position."""
    drawing = Drawing((np.array([[0.0, 0.0], [0.0, 10.0]]), np.array([[50.0, 0.0], [50.0, 10.0]])))
    result = optimize(drawing, "msga", SolveOptions(seed=0), iterations=200)
    assert result.after.travel_mm == pytest.approx(travel_mm(drawing, result.order))
    best = min(
        travel_mm(drawing, Order(np.array(s), np.array(r)))
        for s in ([0, 1], [1, 0])
        for r in ([False, False], [False, True], [True, False], [True, True])
    )
    assert result.after.travel_mm == pytest.approx(best)


@pytest.mark.parametrize("method", GA_METHODS)
def test_keep_input_returns_the_file_order_when_the_ga_does_worse(method):
    """On a drawing already in its best order the file order is kept; without keep_input the GA's route is."""
    drawing = Drawing(tuple(np.array([[10.0 * i, 0.0], [10.0 * i + 5.0, 0.0]]) for i in range(40)))
    params = FAST[method] | {"population": 4, "mutation_rate": 0.5, "crossover_rate": 0.5}
    if method == "msga":
        params["iterations"] = 3
    kept = optimize(drawing, method, SolveOptions(seed=0), **params)
    raw = optimize(drawing, method, SolveOptions(seed=0), keep_input=False, **params)
    assert raw.after.travel_mm > kept.after.travel_mm == pytest.approx(kept.before.travel_mm)
    assert kept.winner == "input" and raw.winner == "search"
    assert kept.details["ga_travel_mm"] == pytest.approx(raw.after.travel_mm)
    assert kept.order.sequence.tolist() == list(range(40))
