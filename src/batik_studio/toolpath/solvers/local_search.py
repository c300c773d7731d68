"""The linear-memory search of ``best``, by job: one import for the parts that work together.

- :mod:`.neighbours`: candidate lists (quadrant neighbours from a k-d tree);
- :mod:`.moves`: the compiled Lin-Kernighan, segment-insertion and Or-opt moves and :func:`improve_tour`;
- :mod:`.kicks`: the iterated local search with double-bridge kicks, :func:`perturb_and_improve`;
- :mod:`.construction`: the nearest-neighbour start tour, :func:`greedy_tour`;
- :mod:`.directions`: the exact choice of directions for a fixed sequence, :func:`best_entries`.
"""

from __future__ import annotations

from batik_studio.toolpath.solvers.construction import greedy_tour
from batik_studio.toolpath.solvers.directions import best_entries
from batik_studio.toolpath.solvers.kicks import perturb_and_improve
from batik_studio.toolpath.solvers.moves import EPS_MM, improve_tour, tour_length
from batik_studio.toolpath.solvers.neighbours import neighbours

__all__ = [
    "EPS_MM",
    "best_entries",
    "greedy_tour",
    "improve_tour",
    "neighbours",
    "perturb_and_improve",
    "tour_length",
]
