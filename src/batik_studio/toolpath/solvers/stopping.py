"""Stopping rules: small objects that say when a search ends, checked inside the compiled loops.

A search checks its rules once per unit of work (a node taken from the local search's queue, a kick of the iterated
search, a GA iteration), so it stops within microseconds of a deadline however long a batch of work would have
taken. The rules are compiled into one float64 array (:func:`compile_rules`, slots named below) that the numba
kernels read and update; :func:`should_stop` and :func:`count_iteration` are the only kernels that touch it.

The clock inside the kernels is ``clock_gettime(CLOCK_MONOTONIC)``, the clock :func:`time.perf_counter` reads on
Linux; deadlines are converted to it when the rules are compiled, so a deadline given as a
:func:`time.perf_counter` value means the same moment on every system that has the call (Linux, macOS, BSD).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from batik_studio.errors import OptionError

#: Slots of a compiled rule array: the deadline (monotonic clock seconds), the most iterations, the most
#: iterations in a row without an improvement, the iterations done, and the iterations since the last improvement.
DEADLINE, MAX_ITERATIONS, MAX_STALL, ITERATIONS, STALL = range(5)


@dataclass(frozen=True)
class MaxRuntime:
    """Stop ``seconds`` after the search starts (or at an absolute :func:`time.perf_counter` value ``until``)."""

    seconds: float

    def __post_init__(self) -> None:
        if not (isinstance(self.seconds, int | float) and self.seconds > 0 and math.isfinite(self.seconds)):
            raise OptionError(f"a time limit must be a positive number of seconds, got {self.seconds!r}")


@dataclass(frozen=True)
class MaxIterations:
    """Stop after ``iterations`` iterations (kicks of the iterated search)."""

    iterations: int

    def __post_init__(self) -> None:
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int) or self.iterations < 0:
            raise OptionError(f"an iteration limit must be a whole number of 0 or more, got {self.iterations!r}")


@dataclass(frozen=True)
class NoImprovement:
    """Stop after ``iterations`` iterations in a row that did not shorten the tour (the search has stalled)."""

    iterations: int

    def __post_init__(self) -> None:
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int) or self.iterations < 1:
            raise OptionError(f"a stall limit must be a whole number of at least 1, got {self.iterations!r}")


StoppingRule = MaxRuntime | MaxIterations | NoImprovement


def monotonic_s() -> float:
    """The clock the compiled kernels read, in seconds."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def compile_rules(*rules: StoppingRule, deadline: float | None = None) -> np.ndarray:
    """The rule array the kernels check: the first rule to fire stops the search.

    ``deadline`` is an absolute :func:`time.perf_counter` value (it and every :class:`MaxRuntime` count; the
    earliest wins).
    """
    state = np.array([np.inf, np.inf, np.inf, 0.0, 0.0])
    clock_now, perf_now = monotonic_s(), time.perf_counter()
    if deadline is not None:
        state[DEADLINE] = clock_now + (deadline - perf_now)
    for rule in rules:
        if isinstance(rule, MaxRuntime):
            state[DEADLINE] = min(state[DEADLINE], clock_now + rule.seconds)
        elif isinstance(rule, MaxIterations):
            state[MAX_ITERATIONS] = min(state[MAX_ITERATIONS], rule.iterations)
        else:
            state[MAX_STALL] = min(state[MAX_STALL], rule.iterations)
    return state


def stalled(state: np.ndarray) -> bool:
    """Whether the rules stopped the search because it stopped improving or ran out of iterations."""
    return bool(state[STALL] >= state[MAX_STALL] or state[ITERATIONS] >= state[MAX_ITERATIONS])


@intrinsic
def _monotonic(typingctx):
    """``clock_gettime(CLOCK_MONOTONIC)`` in seconds, called directly from compiled code (about 30 ns)."""

    def codegen(context, builder, signature, args):
        i32, i64, f64 = ir.IntType(32), ir.IntType(64), ir.DoubleType()
        spec = ir.LiteralStructType([i64, i64])
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [i32, spec.as_pointer()]), "clock_gettime"
        )
        slot = cgutils.alloca_once(builder, spec)
        builder.call(function, [ir.Constant(i32, time.CLOCK_MONOTONIC), slot])
        zero = ir.Constant(i32, 0)
        seconds = builder.load(builder.gep(slot, [zero, zero]))
        nanoseconds = builder.load(builder.gep(slot, [zero, ir.Constant(i32, 1)]))
        fraction = builder.fmul(builder.sitofp(nanoseconds, f64), ir.Constant(f64, 1e-9))
        return builder.fadd(builder.sitofp(seconds, f64), fraction)

    return types.float64(), codegen


@njit(cache=True, nogil=True)
def clock_s():
    """The monotonic clock, in seconds, as compiled code reads it."""
    return _monotonic()


@njit(cache=True, nogil=True)
def should_stop(state):
    """Whether any rule in ``state`` has fired."""
    if state[ITERATIONS] >= state[MAX_ITERATIONS] or state[STALL] >= state[MAX_STALL]:
        return True
    return _monotonic() >= state[DEADLINE]


@njit(cache=True, nogil=True)
def count_iteration(state, improved):
    """Count one iteration, and whether it improved the tour (which resets the stall count)."""
    state[ITERATIONS] += 1.0
    if improved:
        state[STALL] = 0.0
    else:
        state[STALL] += 1.0


__all__ = [
    "DEADLINE",
    "ITERATIONS",
    "MAX_ITERATIONS",
    "MAX_STALL",
    "STALL",
    "MaxIterations",
    "MaxRuntime",
    "NoImprovement",
    "StoppingRule",
    "clock_s",
    "compile_rules",
    "count_iteration",
    "monotonic_s",
    "should_stop",
    "stalled",
]
