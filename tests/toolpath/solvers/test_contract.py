import numpy as np
import pytest

from batik_studio.toolpath.model import Drawing, oriented_path
from batik_studio.toolpath.solvers import SOLVERS, SolveOptions, optimize


def random_drawing(seed: int, n: int = 60) -> Drawing:
    rng = np.random.default_rng(seed)
    paths = []
    for _ in range(n):
        path = rng.random((int(rng.integers(1, 5)), 2)) * 100
        paths.append(np.vstack([path, path[:1]]) if len(path) >= 3 and rng.random() < 0.4 else path)
    return Drawing(tuple(paths))


DRAWINGS = {
    "empty": Drawing(()),
    "one-segment": Drawing((np.array([[3.0, 4.0], [6.0, 8.0]]),)),
    "zero-length": Drawing((np.array([[5.0, 5.0], [5.0, 5.0]]), np.array([[5.0, 5.0]]))),
    "already-good": Drawing(tuple(np.array([[i, 0.0], [i + 0.5, 0.0]]) for i in range(10))),
    "random": random_drawing(1),
}
OPTIONS = [SolveOptions(time_limit_s=2.0), SolveOptions(return_to_origin=False, reloop=True, time_limit_s=2.0)]


@pytest.mark.parametrize("method", sorted(SOLVERS))
@pytest.mark.parametrize("name", sorted(DRAWINGS))
@pytest.mark.parametrize("options", OPTIONS, ids=["closed-tour", "open-reloop"])
def test_every_segment_once_whole_and_never_worse(method, name, options):
    """Each segment is drawn once and whole, and travel is never worse than the file order."""
    drawing = DRAWINGS[name]
    result = optimize(drawing, method, options)
    order = result.order
    order.check(drawing)
    assert sorted(order.sequence.tolist()) == list(range(len(drawing)))
    for segment in range(len(drawing)):
        path = oriented_path(drawing, order, segment)
        length = np.hypot(*np.diff(path, axis=0).T).sum()
        assert length == pytest.approx(drawing.lengths_mm[segment], abs=1e-9)
    assert result.after.travel_mm <= result.before.travel_mm + 1e-9
    assert result.after.draw_mm == pytest.approx(result.before.draw_mm)


@pytest.mark.parametrize("method", sorted(SOLVERS))
def test_same_seed_same_order(method):
    """The same drawing, options and seed give the same order."""
    drawing = random_drawing(2)
    options = SolveOptions(seed=5, time_limit_s=2.0)
    first, second = optimize(drawing, method, options), optimize(drawing, method, options)
    assert np.array_equal(first.order.sequence, second.order.sequence)
    assert np.array_equal(first.order.reversed, second.order.reversed)
