"""MS-GA: the seed paper's master-slave genetic algorithm over all segments (its baseline, "algoritma original").

The master chromosome is the segment order, the slave chromosome the entry end of each segment; PMX crossover and
the two-stage mutation act on both together; fitness is the travel (TC) the project reports, the paper's eq. (2)
plus the moves from the origin and, when the job returns there, back to it. The engine and every choice the paper
leaves open are described in :mod:`batik_studio.toolpath.solvers.ga`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from batik_studio.toolpath.model import Drawing, Order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions, SolverDetails
from batik_studio.toolpath.solvers.ga import GaRun, GaSettings, evolve
from batik_studio.toolpath.solvers.params import GaParams, MsgaParams


def segment_ends(drawing: Drawing) -> np.ndarray:
    """``(n, 2, 2)``: each segment's first and last point, the two ends it may be entered at."""
    return np.stack([drawing.starts, drawing.ends], axis=1)


def order_from_chromosome(master: np.ndarray, slave: np.ndarray) -> Order:
    """The :class:`Order` a master/slave chromosome encodes (slave 1 = entered at the last point)."""
    flipped = np.zeros(len(master), dtype=bool)
    flipped[master] = slave.astype(bool)
    return Order(master, flipped)


def ga_settings(params: GaParams, iterations: int) -> GaSettings:
    """The engine settings of one GA with ``params``' shared knobs and ``iterations``."""
    return GaSettings(
        params.population,
        params.mutation_rate,
        params.crossover_rate,
        iterations,
        params.scheme,
        params.selection,
        params.initial,
    )


@dataclass(frozen=True)
class GaHistory:
    """Convergence of one GA run: best travel per iteration, and at the end of each chunk of iterations."""

    iteration: np.ndarray
    travel_mm: np.ndarray
    checkpoint_iteration: np.ndarray
    checkpoint_seconds: np.ndarray

    @classmethod
    def of(cls, run: GaRun) -> GaHistory:
        """The history of ``run``."""
        return cls(np.arange(len(run.best_mm)), run.best_mm, run.checkpoint_iteration, run.checkpoint_seconds)


@dataclass(frozen=True)
class MsgaDetails(SolverDetails):
    """An MS-GA run: iterations run, the GA's best travel, its history and its travel-against-seconds curve."""

    iterations: int = 0
    ga_travel_mm: float = 0.0
    history: GaHistory | None = None
    curve: dict[str, np.ndarray] = field(default_factory=dict)


class MsgaSolver:
    """Master-slave GA over every segment (paper's Table 1, "algoritma original": 50, 0.8, 0.3, 10,000 iterations).

    Parameters are :class:`~.params.MsgaParams` (given whole, or as keywords). With ``keep_input`` (the default)
    :func:`~batik_studio.toolpath.solvers.optimize` returns the order as read or greedy's when it travels less
    than the best GA route; turn it off to see the GA's own result, as the paper reports it. After :meth:`solve`,
    ``details_`` is an :class:`MsgaDetails` (``curve``: seconds and the travel of the best GA route by then).
    """

    def __init__(self, params: MsgaParams | None = None, **values: object) -> None:
        self.params = params if params is not None else MsgaParams(**values)
        self.keep_input = self.params.keep_input
        self.settings = ga_settings(self.params, self.params.iterations)

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Evolve segment orders and entry ends; return the best found (seeded by ``options.seed``)."""
        started = time.perf_counter()
        deadline = None if options.time_limit_s is None else started + options.time_limit_s
        origin = np.asarray(drawing.origin, dtype=np.float64)
        run = evolve(
            segment_ends(drawing),
            origin,
            origin if options.return_to_origin else None,
            self.settings,
            np.random.default_rng(options.seed),
            deadline=deadline,
            progress=progress,
        )
        order = order_from_chromosome(run.master, run.slave)
        self.details_ = MsgaDetails(
            phases_s={"msga": time.perf_counter() - started},
            iterations=run.iterations,
            ga_travel_mm=run.travel_mm,
            history=GaHistory.of(run),
            curve={"seconds": run.checkpoint_seconds, "travel_mm": run.best_mm[run.checkpoint_iteration]},
        )
        return order


__all__ = ["GaHistory", "MsgaDetails", "MsgaSolver", "ga_settings", "order_from_chromosome", "segment_ends"]
