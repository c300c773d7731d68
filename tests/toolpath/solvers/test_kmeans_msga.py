import numpy as np
import pytest

from batik_studio.errors import InputError
from batik_studio.toolpath.model import Drawing
from batik_studio.toolpath.solvers import SolveOptions, optimize
from batik_studio.toolpath.solvers.kmeans_msga import cluster_segments, segment_points

FAST = {"clusters": 4, "cluster_iterations": 50, "intra_iterations": 100}


def four_blobs(seed: int = 0) -> Drawing:
    """40 short strokes in four far-apart groups, listed in random order."""
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [500.0, 0.0], [500.0, 500.0], [0.0, 500.0]])
    starts = corners[rng.integers(0, 4, 40)] + rng.random((40, 2)) * 30
    return Drawing(tuple(np.array([s, s + [3.0, 2.0]]) for s in starts))


def test_each_cluster_is_drawn_in_one_go():
    """The order visits the segments of one K-means cluster together, cluster after cluster."""
    drawing = four_blobs()
    result = optimize(drawing, "kmeans-msga", SolveOptions(seed=0), keep_input=False, **FAST)
    labels = result.solver_details.labels
    visited = labels[result.order.sequence]
    changes = int((np.diff(visited) != 0).sum())
    assert changes == result.details["clusters"] - 1 == 3
    assert visited[0] == result.details["cluster_order"][0]


def test_details_hold_phases_and_histories():
    """Per-phase seconds, the inter-cluster history and one intra-cluster history per cluster are kept."""
    result = optimize(four_blobs(), "kmeans-msga", SolveOptions(seed=0), keep_input=False, **FAST)
    details = result.details
    assert set(details["phases_s"]) == {"clustering", "inter_cluster", "intra_cluster"}
    assert len(details["inter_cluster_history"]) == 51
    assert len(details["intra_cluster_histories"]) == 4
    assert all(len(h) == 101 for h in details["intra_cluster_histories"])
    assert sum(h[-1] for h in details["intra_cluster_histories"]) == pytest.approx(result.after.travel_mm)


def test_more_clusters_than_segments_is_fine():
    """Asking for 20 clusters of 3 distinct segments makes 3 clusters."""
    drawing = Drawing(tuple(np.array([[x, 0.0], [x, 1.0]]) for x in (0.0, 10.0, 20.0)))
    result = optimize(drawing, "kmeans-msga", SolveOptions(seed=0))
    assert result.details["clusters"] == 3
    result.order.check(drawing)


def test_segment_points_midpoint_of_ends_or_vertex_mean():
    """K-means sees the midpoint of a segment's ends, or the mean of its vertices."""
    drawing = Drawing((np.array([[0.0, 0.0], [4.0, 4.0], [8.0, 0.0]]),))
    assert segment_points(drawing, "ends").tolist() == [[4.0, 0.0]]
    assert segment_points(drawing, "centroid")[0].tolist() == pytest.approx([4.0, 4.0 / 3.0])


def test_cluster_labels_are_compact_and_seeded():
    """Labels run 0..m-1 and the same seed gives the same clustering."""
    points = np.random.default_rng(0).random((50, 2))
    labels, centres = cluster_segments(points, 5, 100, seed=1)
    again, _ = cluster_segments(points, 5, 100, seed=1)
    assert sorted(set(labels.tolist())) == list(range(5)) and centres.shape == (5, 2)
    assert labels.tolist() == again.tolist()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"clusters": 0}, "clusters"),
        ({"kmeans_iterations": 0}, "k-means iterations"),
        ({"segment_point": "bbox"}, "segment point"),
        ({"intra_iterations": -5}, "at least 0"),
    ],
)
def test_bad_parameters_are_refused(params, message):
    """Bad parameters raise InputError naming the value."""
    with pytest.raises(InputError, match=message):
        optimize(four_blobs(), "kmeans-msga", **params)
