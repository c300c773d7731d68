"""Lower bounds are valid: never above the optimum (found by brute force) nor above any tour."""

import itertools

import numpy as np
import pytest

from batik_studio.toolpath import bounds
from batik_studio.toolpath.bounds import assignment_bound, held_karp_bound, lower_bound, spanning_tree_bound
from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.segment_graph import build_graph
from batik_studio.toolpath.solvers import SolveOptions, optimize
from batik_studio.toolpath.solvers.local_search import best_entries
from tests.helpers import random_drawing


def exact_optimum(drawing: Drawing, *, return_to_origin: bool, reloop: bool) -> float:
    """Every sequence, each with its best directions and loop entries (an exact layered shortest path)."""
    n = len(drawing)
    best = np.inf
    for sequence in itertools.permutations(range(n)):
        order = Order(np.array(sequence), np.zeros(n, dtype=bool))
        order = best_entries(drawing, order, return_to_origin=return_to_origin, reloop=reloop)
        best = min(best, travel_mm(drawing, order, return_to_origin=return_to_origin))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("return_to_origin", [True, False], ids=["return", "no-return"])
@pytest.mark.parametrize("reloop", [False, True], ids=["plain", "reloop"])
def test_bounds_below_exact_optimum(seed, return_to_origin, reloop):
    """Assignment, Held-Karp and 1-tree bounds never exceed the brute-force optimum of a 6-segment drawing."""
    drawing = random_drawing(6, seed=100 + seed)
    optimum = exact_optimum(drawing, return_to_origin=return_to_origin, reloop=reloop)
    kwargs = {"return_to_origin": return_to_origin, "reloop": reloop}
    assignment = assignment_bound(drawing, **kwargs).value_mm
    # A limit far beyond the ascent's own stop, so a first call's JIT compilation cannot cut it short.
    held_karp = held_karp_bound(drawing, time_limit_s=60.0, **kwargs).value_mm
    assert 0 <= assignment <= optimum + 1e-9
    assert 0 <= held_karp <= optimum + 1e-9
    assert 0 <= spanning_tree_bound(drawing, **kwargs).value_mm <= optimum + 1e-9
    assert lower_bound(drawing, time_limit_s=60.0, **kwargs).value_mm == pytest.approx(max(assignment, held_karp))


def test_held_karp_tight_on_points_in_a_row():
    """Dots on a line from the origin: the optimum is twice the far end, and Held-Karp proves it."""
    drawing = Drawing(tuple(np.array([[float(x), 0.0]]) for x in range(1, 11)))
    assert held_karp_bound(drawing).value_mm == pytest.approx(20.0, rel=1e-6)


def test_held_karp_close_to_the_tour():
    """On 300 random segments the bound is within 10% of best's tour (it is useful, not just valid)."""
    drawing = random_drawing(300, seed=11)
    tour = optimize(drawing, "best", SolveOptions(time_limit_s=2.0)).after.travel_mm
    bound = held_karp_bound(drawing, upper_bound_mm=tour, time_limit_s=10.0).value_mm
    assert 0.9 * tour <= bound <= tour


def test_dual_assignment_below_dense_assignment(monkeypatch):
    """The large-drawing dual solution is a bound no higher than the exact dense assignment."""
    drawing = random_drawing(400, seed=12)
    for reloop in (False, True):
        for return_to_origin in (True, False):
            dense = assignment_bound(drawing, reloop=reloop, return_to_origin=return_to_origin).value_mm
            monkeypatch.setattr(bounds, "DENSE_ASSIGNMENT_MAX_SLOTS", 0)
            dual = assignment_bound(drawing, reloop=reloop, return_to_origin=return_to_origin)
            monkeypatch.undo()
            assert dual.method == "assignment-dual"
            assert 0.5 * dense < dual.value_mm <= dense + 1e-9


def test_reloop_bound_below_reloop_tour():
    """With re-entry anywhere on a loop the reloop bound stays below the (shorter) reloop tour."""
    drawing = random_drawing(80, seed=13)
    result = optimize(drawing, "best", SolveOptions(reloop=True, time_limit_s=2.0), bound=True)
    assert result.lower_bound_mm <= result.after.travel_mm


def test_empty_and_single():
    """Nothing to draw: bound 0; one dot: the bound is the exact out-and-back travel."""
    assert lower_bound(Drawing(())).value_mm == 0.0
    dot = Drawing((np.array([[3.0, 4.0]]),))
    assert lower_bound(dot).value_mm == pytest.approx(10.0, rel=1e-6)


def dense_tree(drawing: Drawing, return_to_origin: bool = True, reloop: bool = False) -> float:
    """The penalty-free 1-tree by Prim on the complete graph (with ``reloop``, on exact gaps between all nodes)."""
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    n = len(graph)
    degree, parent = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    centres, radii = bounds._discs(drawing, graph, reloop)
    near, near_gap = bounds._exact_gaps(drawing, graph, centres, reloop, k=n)
    xs, ys = np.ascontiguousarray(centres[:, 0]), np.ascontiguousarray(centres[:, 1])
    return bounds._one_tree(xs, ys, radii, graph.dummy, graph.mate, np.zeros(n), degree, parent, near, near_gap)


@pytest.mark.parametrize("reloop", [False, True], ids=["plain", "reloop"])
@pytest.mark.parametrize("return_to_origin", [True, False], ids=["return", "no-return"])
def test_delaunay_tree_equals_dense_tree(return_to_origin, reloop):
    """The Delaunay 1-tree equals the complete-graph 1-tree without penalties (so it is exact, hence valid)."""
    drawing = random_drawing(300, seed=14)
    tree = spanning_tree_bound(drawing, return_to_origin=return_to_origin, reloop=reloop).value_mm
    assert tree == pytest.approx(dense_tree(drawing, return_to_origin, reloop), rel=1e-7)


def ring(centre: tuple[float, float], radius: float = 2.0) -> np.ndarray:
    """A closed 12-gon around ``centre``."""
    angle = np.linspace(0.0, 2.0 * np.pi, 13)
    points = np.asarray(centre) + radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points[-1] = points[0]
    return points


def test_large_reloop_bound_uses_the_delaunay_tree(monkeypatch):
    """Above the Held-Karp size the reloop bound is the exact-gap 1-tree when it fits in time, else assignment.

    Pairs of touching rings far apart: the assignment pairs each ring with its twin almost for free, while any
    tour, and the 1-tree, must cross between the pairs.
    """
    rings = [ring((50.0 * i + dx, 50.0 * j)) for i in range(6) for j in range(5) for dx in (0.0, 5.0)]
    drawing = Drawing(tuple(rings))
    monkeypatch.setattr(bounds, "HELD_KARP_MAX_NODES", 10)
    assignment = assignment_bound(drawing, reloop=True).value_mm
    tree = dense_tree(drawing, reloop=True)
    assert tree > 10 * assignment
    result = lower_bound(drawing, reloop=True)
    assert result.method == "1-tree" and result.value_mm == pytest.approx(tree, rel=1e-7)
    tour = optimize(drawing, "best", SolveOptions(reloop=True, time_limit_s=1.0)).after.travel_mm
    assert result.value_mm <= tour
    monkeypatch.setattr(bounds, "TREE_SECONDS_PER_POINT", 1.0)
    assert lower_bound(drawing, reloop=True, time_limit_s=5.0).value_mm == pytest.approx(assignment)


@pytest.mark.parametrize(
    "drawing",
    [
        Drawing(tuple(np.array([[float(x % 5), 0.0]]) for x in range(12))),
        Drawing(tuple(np.array([[float(x % 4), float(x % 3)]]) for x in range(30))),
    ],
    ids=["collinear-duplicates", "grid-duplicates"],
)
def test_delaunay_tree_handles_degenerate_points(drawing):
    """Coincident, collinear and cocircular points (degenerate triangulations) still give the exact tree."""
    assert spanning_tree_bound(drawing).value_mm == pytest.approx(dense_tree(drawing), rel=1e-7)


def test_a_graph_built_once_gives_the_same_bound():
    """lower_bound with the caller's segment-end graph proves the same value as building it itself."""
    from batik_studio.toolpath.segment_graph import build_graph

    drawing = random_drawing(60, seed=21)
    graph = build_graph(drawing)
    given = lower_bound(drawing, graph=graph, time_limit_s=2.0)
    built = lower_bound(drawing, time_limit_s=2.0)
    assert given.method == built.method
    assert given.value_mm == pytest.approx(built.value_mm, rel=1e-6)


def test_bounds_import_first_without_a_cycle():
    """bounds.py imports on its own in a fresh interpreter (it no longer reaches into the solvers lazily)."""
    import subprocess
    import sys

    from tests.helpers import REPO

    code = "import batik_studio.toolpath.bounds as b; import batik_studio.toolpath.solvers.run"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(REPO / "src")})
