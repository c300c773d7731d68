"""Helpers the tests share: where the repository and the shared data are, and small generated drawings.

Tests import these from here, never from another test module. The shared data (real drawings and photos, not
shipped with the repository) is the ``shared`` folder beside the repository (``../shared``);
``$BATIK_TOOLPATH_DATA`` may point at the toolpath drawings elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path inside the shared data folder (which may be absent)."""
    return SHARED.joinpath(*parts)


def require_shared_path(*parts: str) -> Path:
    """A path inside the shared data folder, or skip the test saying why."""
    path = shared_path(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} not found (it sits beside the repository and is not shipped with it)")
    return path


def find_shared_toolpath() -> Path | None:
    """The real drawings: ``$BATIK_TOOLPATH_DATA``, else ``../shared/toolpath``."""
    if "BATIK_TOOLPATH_DATA" in os.environ:
        folder = Path(os.environ["BATIK_TOOLPATH_DATA"])
        return folder if folder.is_dir() else None
    folder = shared_path("toolpath")
    return folder if folder.is_dir() else None


SHARED_TOOLPATH = find_shared_toolpath()


def shared_files(*folders: str, suffix: str) -> list[Path]:
    """Every file with ``suffix`` in the shared toolpath folders (empty when the shared data is absent)."""
    if SHARED_TOOLPATH is None:
        return []
    return sorted(p for folder in folders for p in (SHARED_TOOLPATH / folder).glob(f"*{suffix}"))


def require_shared(name: str) -> Path:
    """The shared drawing ``name`` (relative to the toolpath data folder), or skip the test saying why."""
    if SHARED_TOOLPATH is None or not (SHARED_TOOLPATH / name).is_file():
        pytest.skip(f"real drawing {name} not found (set BATIK_TOOLPATH_DATA to the toolpath data folder)")
    return SHARED_TOOLPATH / name


def random_drawing(n: int, seed: int):
    """Open polylines, closed loops and dots scattered over a 100 mm square."""
    from batik_studio.toolpath.model import Drawing

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
    from batik_studio.toolpath.solvers import SolveOptions
    from batik_studio.toolpath.solvers.greedy import GreedySolver

    drawing = random_drawing(segments, seed=seed)
    graph = build_graph(drawing, return_to_origin=return_to_origin)
    options = SolveOptions(return_to_origin=return_to_origin)
    return graph, tour_from_order(graph, GreedySolver().solve(drawing, options))


def serpentine_dots(count: int, spacing_mm: float = 2.0):
    """``count`` dots on a square grid, listed row by row in a serpentine: the input order is already near-optimal."""
    from batik_studio.toolpath.model import Drawing

    side = int(np.ceil(np.sqrt(count)))
    points = []
    for row in range(side):
        columns = range(side) if row % 2 == 0 else range(side - 1, -1, -1)
        points.extend(np.array([[c * spacing_mm, row * spacing_mm]]) for c in columns)
    return Drawing(tuple(points[:count]))


def strokes_in_a_row(count: int, seed: int = 0):
    """Short strokes along one line, randomly spaced, every other one offset: long thin tours, slow moves."""
    from batik_studio.toolpath.model import Drawing

    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.5, 3.0, count))
    y = np.where(np.arange(count) % 2 == 0, 0.0, 1.5)
    return Drawing(tuple(np.array([[x[i], y[i]], [x[i] + 0.3, y[i] + 0.8]]) for i in range(count)))


def hatch(count: int, seed: int = 0):
    """``count`` long parallel lines 0.5 mm apart, all drawn left to right."""
    from batik_studio.toolpath.model import Drawing

    rng = np.random.default_rng(seed)
    return Drawing(tuple(np.array([[0.0, i * 0.5 + rng.uniform(0, 0.1)], [100.0, i * 0.5]]) for i in range(count)))


def tiled(count: int, seed: int = 0):
    """Small loops and ticks in tight tiles 30 mm apart (a tiled motif), listed tile by tile."""
    from batik_studio.toolpath.model import Drawing

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count / 20)))
    t = np.linspace(0, 2 * np.pi, 7)
    paths = []
    for i in range(side):
        for j in range(side):
            for _ in range(20):
                if len(paths) < count:
                    centre = np.array([i * 30.0, j * 30.0]) + rng.uniform(0, 10, 2)
                    ring = centre + rng.uniform(0.5, 2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)
                    ring[-1] = ring[0]
                    paths.append(ring if rng.random() < 0.5 else ring[:3])
    return Drawing(tuple(paths))
