"""fast-tsp on the whole distance matrix: the part of ``best`` that needs no compiled code of ours.

It imports only numpy and fast-tsp, so in a fresh process the search can start at once while numba loads
``best``'s other kernels on the other core (fast-tsp releases the interpreter lock; see
:func:`~batik_studio.toolpath.solvers.optimize`).
"""

from __future__ import annotations

import fast_tsp
import numpy as np

from batik_studio.toolpath.segment_graph import SegmentGraph
from batik_studio.toolpath.solvers.params import default_time_limit_s

#: Largest value fast-tsp accepts in its distance matrix.
_UINT16_MAX = 65_535

#: Constant added to every travel edge so that dropping a forced (segment) edge never pays off.
_FORCED_OFFSET = 32_767

#: Rows of the matrix computed at once (bounds the float32 scratch memory to ``rows * nodes * 4`` bytes).
_BLOCK_ROWS = 512


def matrix_seconds(nodes: int) -> float:
    """The least time limit for which fast-tsp is used once the compiled search is loaded: a quarter of the default.

    fast-tsp first settles in a plain local optimum and only then improves sharply (on the 23x23 Megamendung
    tiling, 12,697 nodes, it stays at 123,600 mm up to 10 s and reaches 114,900 mm at 13 s), so with less time the
    linear-memory iterated local search, which improves from the start, is used.
    """
    return 0.25 * default_time_limit_s(nodes)


def integer_matrix(graph: SegmentGraph) -> np.ndarray:
    """The fast-tsp matrix: scaled travel distance plus an offset, forced edges 0, dummy rows at the offset.

    Distances are computed in float32 blocks of rows (to within one unit of the rounded float64 value, a
    20,000th of the drawing's diagonal), which takes a tenth of a second for 5,000 nodes.
    """
    xy = graph.xy
    size = len(xy)
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if size else 0.0
    scale = np.float32((_UINT16_MAX - _FORCED_OFFSET - 1) / max(span, 1e-9))
    x, y = (xy - xy.min(axis=0) if size else xy).astype(np.float32).T
    matrix = np.empty((size, size), dtype=np.uint16)
    for first in range(0, size, _BLOCK_ROWS):
        rows = slice(first, first + _BLOCK_ROWS)
        dx = x[rows, None] - x
        dy = y[rows, None] - y
        dx *= dx
        dy *= dy
        dx += dy
        np.sqrt(dx, out=dx)
        dx *= scale
        dx += np.float32(_FORCED_OFFSET + 0.5)
        matrix[rows] = dx
    if graph.dummy >= 0:
        matrix[graph.dummy, :] = _FORCED_OFFSET
        matrix[:, graph.dummy] = _FORCED_OFFSET
    forced = np.flatnonzero(graph.mate >= 0)
    matrix[forced, graph.mate[forced]] = 0
    np.fill_diagonal(matrix, 0)
    return matrix


def matrix_tour(matrix: np.ndarray, seconds: float) -> np.ndarray:
    """fast-tsp's tour on an :func:`integer_matrix` (node indices from 0) after at most ``seconds`` of search."""
    return np.asarray(fast_tsp.find_tour(matrix, seconds, stop_when_converged=True))


__all__ = ["integer_matrix", "matrix_seconds", "matrix_tour"]
