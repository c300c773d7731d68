"""What every solver shares: the options it must respect, its protocol, its details, and the result of a run."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from batik_studio.errors import OptionError
from batik_studio.toolpath.model import Drawing, Metrics, Order

#: Called now and then with the fraction of the work done (0..1), for progress bars.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class SolveOptions:
    """What every solver must respect: where the job ends, whether loops may be re-entered, limits, seed.

    Validated when built: ``time_limit_s`` is ``None`` (the method decides) or a positive number of seconds,
    ``seed`` a whole number of 0 or more.
    """

    return_to_origin: bool = True
    reloop: bool = False
    time_limit_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        limit = self.time_limit_s
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int | float) or not (limit > 0 and math.isfinite(limit))
        ):
            raise OptionError(f"a time limit must be a positive number of seconds, got {limit!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise OptionError(f"a seed must be a whole number of 0 or more, got {self.seed!r}")


def plain(value: Any) -> Any:
    """``value`` with numpy arrays and scalars turned into lists and Python numbers, recursively (JSON-ready)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class SolverDetails:
    """What a solver reports about its own run; each solver's subclass adds its fields.

    ``phases_s`` is the seconds each phase took; ``search_travel_mm`` the travel of the order the solver's own
    search returned (before :func:`~batik_studio.toolpath.solvers.optimize` compares it with the input and greedy
    orders).
    """

    phases_s: dict[str, float] = field(default_factory=dict)
    search_travel_mm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The details as plain JSON types (arrays become lists)."""
        return plain(self)


class Solver(Protocol):
    """Returns an order for a drawing; same drawing, options and seed give the same order.

    After :meth:`solve`, ``details_`` holds the run's :class:`SolverDetails`.
    """

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Order every segment of ``drawing`` once, whole."""
        ...


@dataclass(frozen=True)
class OptimizeResult:
    """One optimisation run: the order found, the figures before and after, and how long it took.

    ``details`` is JSON-ready (the solver's :meth:`SolverDetails.to_dict`, plus ``winner`` and the bound's
    method and seconds); ``solver_details`` is the same as the typed object, arrays kept. ``winner`` says which
    order was kept: ``"search"`` (the method's own), ``"input"`` (the order as read) or ``"greedy"``.
    ``bound_seconds`` is the time the lower bound took, on its own clock (it runs beside the search).
    """

    method: str
    order: Order
    before: Metrics
    after: Metrics
    seconds: float
    lower_bound_mm: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    solver_details: SolverDetails | None = None
    winner: str = "search"
    bound_seconds: float | None = None

    @property
    def gap_pct(self) -> float | None:
        """How far the travel can at most be above optimal, in percent of the lower bound."""
        if self.lower_bound_mm is None:
            return None
        if self.lower_bound_mm <= 0:
            return 0.0 if self.after.travel_mm <= 1e-9 else None
        return 100.0 * (self.after.travel_mm - self.lower_bound_mm) / self.lower_bound_mm


__all__ = ["OptimizeResult", "Progress", "SolveOptions", "Solver", "SolverDetails", "plain"]
