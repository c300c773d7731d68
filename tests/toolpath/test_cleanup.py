"""Joining touching strokes and dropping retraced ones, group by group."""

import numpy as np
import pytest

from batik_studio.toolpath.cleanup import check_strokes, merge_chains, retraced, touching_strokes
from batik_studio.toolpath.model import Drawing


def line(*points):
    return np.array(points, dtype=float)


def test_retraced_copies_either_direction_and_partial_overlap():
    """A copy, a reversed copy and a piece lying on a longer stroke are dropped; the first drawn stays."""
    outline = line((0, 0), (10, 0), (10, 10))
    drawing = Drawing((outline, outline[::-1] + 0.01, line((2, 0), (6, 0)), line((0, 5), (5, 5)), outline.copy()))
    assert retraced(drawing, 0.05) == [1, 2, 4]
    checks = check_strokes(drawing, 0.05)
    assert checks.retraced_strokes == 3
    assert checks.retraced_mm == pytest.approx(20 + 4 + 20, abs=0.1)


def test_retraced_finds_every_copy_among_many_strokes():
    """Among 300 random curves, each of 40 jittered, reversed or partial copies costs exactly one of its pair."""
    rng = np.random.default_rng(3)
    originals = []
    for _ in range(300):
        start = rng.uniform(0, 400, 2)
        steps = rng.normal(0, 3, (int(rng.integers(2, 40)), 2))
        originals.append(np.vstack([start, start + np.cumsum(steps, axis=0)]))
    copies, pairs = [], []
    for k in rng.choice(len(originals), 40, replace=False):
        pairs.append({int(k), len(originals) + len(copies)})
        path = originals[k]
        kind = len(copies) % 3
        if kind == 0:
            copies.append(path + rng.uniform(-0.01, 0.01, path.shape))
        elif kind == 1:
            copies.append(path[::-1].copy())
        else:
            copies.append(path[len(path) // 4 : len(path) // 4 + 2].copy())
    dropped = set(retraced(Drawing(tuple(originals + copies)), 0.05))
    assert len(dropped) == 40
    assert all(len(pair & dropped) == 1 for pair in pairs)


def test_retraced_needs_every_point_covered():
    """A stroke that only crosses or runs beside another farther than the tolerance is kept."""
    drawing = Drawing((line((0, 0), (10, 0)), line((5, -5), (5, 5)), line((0, 0.2), (10, 0.2))))
    assert retraced(drawing, 0.05) == []


def test_retraced_stays_inside_a_group():
    """The same line in two layers (two cantings) is not a duplicate."""
    drawing = Drawing((line((0, 0), (10, 0)), line((0, 0), (10, 0))), group_sizes=(1, 1))
    assert retraced(drawing, 0.05) == []


def test_merge_chains_is_a_fewest_trail_cover():
    """A star of three pieces and a path of two reversed pieces: two chains cover the star, one the path."""
    pieces = (
        line((0, 0), (10, 0)),
        line((0, 0), (0, 10)),
        line((-10, 0), (0, 0)),
        line((50, 0), (60, 0)),
        line((70, 0), (60.01, 0)),
    )
    drawing = Drawing(pieces)
    chains = merge_chains(drawing, 0.05)
    assert sorted(len(chain) for chain in chains) == [1, 2, 2]
    assert sorted(s for chain in chains for s, _ in chain) == [0, 1, 2, 3, 4]
    assert touching_strokes(drawing, 0.05) == 5
    for chain in chains:
        for (a, fa), (b, fb) in zip(chain, chain[1:], strict=False):
            end = drawing.starts[a] if fa else drawing.ends[a]
            start = drawing.ends[b] if fb else drawing.starts[b]
            assert np.hypot(*(end - start)) <= 0.05


def test_closed_loops_and_groups_are_not_merged():
    """Loops stay alone, and pieces meeting across groups stay apart."""
    square = line((0, 0), (1, 0), (1, 1), (0, 0))
    drawing = Drawing((square, line((0, 0), (5, 5)), line((5, 5), (9, 9))), group_sizes=(2, 1))
    assert merge_chains(drawing, 0.05) == [[(0, False)], [(1, False)], [(2, False)]]


def test_a_drawing_too_large_to_search_is_not_counted_and_refused_for_dedupe(monkeypatch):
    """Past the sample budget the report says 'not counted' rather than running out of memory; dedupe is refused."""
    from batik_studio.errors import DrawingError
    from batik_studio.toolpath import cleanup

    drawing = Drawing(tuple(line((0, k), (100, k)) for k in range(50)))
    monkeypatch.setattr(cleanup, "MAX_SAMPLE_POINTS", 1_000)
    checks = check_strokes(drawing, 0.05)
    assert checks.retraced_strokes is None and checks.retraced_mm is None and checks.touching_strokes == 0
    with pytest.raises(DrawingError, match="too much drawing"):
        retraced(drawing, 0.05)


def _dense_drawing_with_copies(seed: int) -> Drawing:
    """Short random strokes packed closely (most run within a millimetre of others), some copied or reversed."""
    rng = np.random.default_rng(seed)
    strokes = []
    for _ in range(400):
        start = rng.uniform(0, 30, 2)
        strokes.append(np.vstack([start, start + np.cumsum(rng.normal(0, 0.8, (int(rng.integers(1, 8)), 2)), axis=0)]))
    for k in rng.choice(len(strokes), 30, replace=False):
        path = strokes[k]
        strokes.append(path[::-1].copy() if k % 2 else path + rng.uniform(-0.02, 0.02, path.shape))
    strokes.append(np.array([[5.0, 5.0]]))
    strokes.append(np.array([[5.01, 5.0]]))
    return Drawing(tuple(strokes))


@pytest.mark.parametrize("seed", [0, 1])
def test_retraced_prefilters_change_no_answer(monkeypatch, seed):
    """The necessary-condition passes only skip work: without them the exact pass drops the same strokes."""
    import batik_studio.toolpath.cleanup as cleanup

    drawing = _dense_drawing_with_copies(seed)
    fast = retraced(drawing, 0.05)
    assert len(fast) >= 30
    monkeypatch.setattr(cleanup, "_along_candidates", lambda paths, candidate, tolerance_mm: candidate)
    monkeypatch.setattr(cleanup, "_maybe_covered", lambda tree, points, owners, candidate, tolerance_mm: candidate)
    assert retraced(drawing, 0.05) == fast


def test_samples_keep_every_vertex_and_spacing():
    """Sampling all paths at once gives each path's vertices, in order, with no gap over the spacing."""
    from batik_studio.toolpath.cleanup import _samples

    paths = [line((0, 0), (1, 0), (1, 3)), line((2, 2)), line((5, 5), (5, 5.05))]
    points, owners = _samples(paths, 0.4)
    assert owners.tolist() == sorted(owners.tolist())
    for i, path in enumerate(paths):
        mine = points[owners == i]
        assert np.allclose(mine[0], path[0]) and np.allclose(mine[-1], path[-1])
        assert all(any(np.allclose(vertex, p) for p in mine) for vertex in path)
        if len(mine) > 1:
            assert np.hypot(*np.diff(mine, axis=0).T).max() <= 0.4 + 1e-12
