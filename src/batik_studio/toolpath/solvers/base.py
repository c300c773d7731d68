"""What every solver shares: the options it must respect, its protocol, and the result of a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from batik_studio.toolpath.model import Drawing, Metrics, Order

#: Called now and then with the fraction of the work done (0..1), for progress bars.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class SolveOptions:
    """What every solver must respect: where the job ends, whether loops may be re-entered, limits, seed."""

    return_to_origin: bool = True
    reloop: bool = False
    time_limit_s: float | None = None
    seed: int = 0


class Solver(Protocol):
    """Returns an order for a drawing; same drawing, options and seed give the same order."""

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Order every segment of ``drawing`` once, whole."""
        ...


@dataclass(frozen=True)
class OptimizeResult:
    """One optimisation run: the order found, the figures before and after, and how long it took."""

    method: str
    order: Order
    before: Metrics
    after: Metrics
    seconds: float
    lower_bound_mm: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def gap_pct(self) -> float | None:
        """How far the travel can at most be above optimal, in percent of the lower bound."""
        if self.lower_bound_mm is None:
            return None
        if self.lower_bound_mm <= 0:
            return 0.0 if self.after.travel_mm <= 1e-9 else None
        return 100.0 * (self.after.travel_mm - self.lower_bound_mm) / self.lower_bound_mm


__all__ = ["OptimizeResult", "Progress", "SolveOptions", "Solver"]
