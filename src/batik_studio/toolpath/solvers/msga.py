"""MS-GA: the seed paper's master-slave genetic algorithm over all segments (its baseline, "algoritma original").

The master chromosome is the segment order, the slave chromosome the entry end of each segment; PMX crossover and
the two-stage mutation act on both together; fitness is the travel (TC) the project reports, the paper's eq. (2)
plus the moves from the origin and, when the job returns there, back to it. The engine and every choice the paper
leaves open are described in :mod:`batik_studio.toolpath.solvers.ga`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from batik_studio.toolpath.model import Drawing, Order, travel_mm
from batik_studio.toolpath.solvers.base import Progress, SolveOptions
from batik_studio.toolpath.solvers.ga import GaRun, GaSettings, evolve


def segment_ends(drawing: Drawing) -> np.ndarray:
    """``(n, 2, 2)``: each segment's first and last point, the two ends it may be entered at."""
    return np.stack([drawing.starts, drawing.ends], axis=1)


def order_from_chromosome(master: np.ndarray, slave: np.ndarray) -> Order:
    """The :class:`Order` a master/slave chromosome encodes (slave 1 = entered at the last point)."""
    flipped = np.zeros(len(master), dtype=bool)
    flipped[master] = slave.astype(bool)
    return Order(master, flipped)


def input_if_better(drawing: Drawing, order: Order, options: SolveOptions) -> tuple[Order, bool, float]:
    """The order as read when it travels less than ``order`` (the project's never-worse guarantee), else ``order``.

    Returns the order kept, whether it is the order as read, and the travel of the order as read.
    """
    identity = Order.identity(len(drawing))
    as_read = travel_mm(drawing, identity, return_to_origin=options.return_to_origin)
    kept = as_read < travel_mm(drawing, order, return_to_origin=options.return_to_origin)
    return (identity if kept else order), kept, as_read


def history_details(run: GaRun) -> dict[str, Any]:
    """Convergence of one GA run: best travel per iteration, and at the end of each chunk of iterations."""
    return {
        "iteration": np.arange(len(run.best_mm)),
        "travel_mm": run.best_mm,
        "checkpoint_iteration": run.checkpoint_iteration,
        "checkpoint_seconds": run.checkpoint_seconds,
    }


class MsgaSolver:
    """Master-slave GA over every segment (paper's Table 1, "algoritma original": 50, 0.8, 0.3, 10,000 iterations).

    With ``keep_input`` (the default) the order as read is returned when it travels less than the best GA route,
    so the result is never worse than the file; turn it off to see the GA's own result, as the paper reports it.
    After :meth:`solve`, ``details_`` holds the convergence history (``history``: best GA travel per iteration
    and at chunk ends with seconds; ``curve``: seconds and the travel of the best complete route by then),
    ``ga_travel_mm``, ``kept_input`` and ``phases_s``.
    """

    def __init__(
        self,
        population: int = 50,
        mutation_rate: float = 0.8,
        crossover_rate: float = 0.3,
        iterations: int = 10_000,
        scheme: str = "counts",
        selection: str = "elitist",
        initial: str = "random",
        keep_input: bool = True,
    ) -> None:
        self.population = population
        self.mutation_rate = mutation_rate
        self.crossover_rate = crossover_rate
        self.iterations = iterations
        self.scheme = scheme
        self.selection = selection
        self.initial = initial
        self.keep_input = keep_input
        self.settings = GaSettings(population, mutation_rate, crossover_rate, iterations, scheme, selection, initial)

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
        curve_mm = run.best_mm[run.checkpoint_iteration]
        kept = False
        if self.keep_input:
            order, kept, as_read_mm = input_if_better(drawing, order, options)
            curve_mm = np.minimum(curve_mm, as_read_mm)
        seconds = time.perf_counter() - started
        self.details_ = {
            "phases_s": {"msga": seconds},
            "iterations": run.iterations,
            "ga_travel_mm": run.travel_mm,
            "kept_input": kept,
            "history": history_details(run),
            "curve": {"seconds": run.checkpoint_seconds, "travel_mm": curve_mm},
        }
        return order


__all__ = ["MsgaSolver", "history_details", "input_if_better", "order_from_chromosome", "segment_ends"]
