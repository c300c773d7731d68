"""The genetic-algorithm engine of the seed paper's MS-GA and K-means MS-GA (numba kernels, seeded numpy plans).

A chromosome has two rows of genes (the paper's Figure 4): the *master* row is the order of the items (segments,
or cluster centres) and the *slave* row says, position by position, at which end each item is entered (0 = its
first point, 1 = its last point). An item is a pair of points ``ends_xy[i] = (first, last)``; entering at one end
means leaving at the other. Fitness is the pen-up travel of the route: from ``start_xy`` to the first item, between
items, and, when ``end_xy`` is given, from the last item to ``end_xy`` (the paper's TC).

Operators, as the paper's Figures 5 and 6 show them:

- :func:`pmx` -- single-point partially mapped crossover: the child keeps the head of one parent (both rows) and
  takes the tail of the other (both rows, the slave bit staying with its position); a tail gene already in the
  head is replaced by following the PMX mapping through the head until a free gene is found.
- :func:`swap_genes` -- mutation stage one: two positions exchange their master *and* slave genes.
- :func:`flip_bit` -- mutation stage two: one slave gene takes the opposite value.

Choices where the paper is silent (see Algorithm 2, "generate offspring by crossover and mutation, evaluate,
select the best"):

- ``scheme="counts"`` (default): the rates say how many offspring each operator makes per iteration, which fits
  the paper's remark that each iteration's mating adds individuals to evaluate and a mutation rate as high as 0.8:
  ``ceil(crossover_rate * population / 2)`` random parent pairs each give two PMX children, and
  ``round(mutation_rate * population)`` random parents are copied and mutated (both stages).
  ``scheme="probabilities"``: the population is paired at random; each pair is crossed with probability
  ``crossover_rate`` (else copied), and each child is mutated with probability ``mutation_rate``.
- ``selection="elitist"`` (default): the best ``population`` of parents and offspring survive, so the best
  travel never gets worse. ``selection="offspring"``: only offspring survive (best first), topped up with the
  best parents when there are fewer offspring than places.
- ``initial="random"`` (default, as the paper does for its comparison): random orders and random entry ends.
  ``initial="file"``: one individual is the order as read (every item entered at its first point).
- Parents are drawn uniformly at random; the crossover cut is uniform in ``1..n-1``; the two swapped positions
  are distinct.

All randomness comes from a :class:`numpy.random.Generator`, drawn in numpy as a plan for a chunk of iterations
and handed to the compiled kernels, so a seed gives the same result on every machine and in every process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from batik_studio.errors import OptionError
from batik_studio.toolpath.solvers.stopping import compile_rules, should_stop

#: The choices of :func:`evolve`; see the module docstring.
SCHEMES = ("counts", "probabilities")
SELECTIONS = ("elitist", "offspring")
INITIALS = ("random", "file")

#: Iterations per compiled call: between calls the engine checks the clock and reports progress.
CHUNK_ITERATIONS = 25


@dataclass(frozen=True)
class GaSettings:
    """The parameters of one GA (the paper's Table 1 plus the choices it leaves open), validated when built."""

    population: int = 50
    mutation_rate: float = 0.8
    crossover_rate: float = 0.3
    iterations: int = 10_000
    scheme: str = "counts"
    selection: str = "elitist"
    initial: str = "random"

    def __post_init__(self) -> None:
        if isinstance(self.population, bool) or not isinstance(self.population, int | np.integer):
            raise OptionError(f"population must be a whole number, got {self.population!r}")
        if self.population < 2:
            raise OptionError(f"population must be at least 2, got {self.population}")
        for name in ("mutation_rate", "crossover_rate"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise OptionError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value}")
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int | np.integer):
            raise OptionError(f"iterations must be a whole number, got {self.iterations!r}")
        if self.iterations < 0:
            raise OptionError(f"iterations must be 0 or more, got {self.iterations}")
        for name, allowed in (("scheme", SCHEMES), ("selection", SELECTIONS), ("initial", INITIALS)):
            if getattr(self, name) not in allowed:
                raise OptionError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        if self.selection == "offspring" and self.scheme == "counts" and self._offspring_count() == 0:
            raise OptionError("selection 'offspring' needs offspring: raise the mutation or crossover rate")

    def _offspring_count(self) -> int:
        pairs, mutants = self.operator_counts()
        return 2 * pairs + mutants

    def operator_counts(self) -> tuple[int, int]:
        """How many crossover pairs and mutation slots one iteration plans."""
        if self.scheme == "counts":
            return math.ceil(self.crossover_rate * self.population / 2), round(self.mutation_rate * self.population)
        pairs = self.population // 2
        return pairs, 2 * pairs


@dataclass(frozen=True)
class GaRun:
    """The outcome of :func:`evolve`.

    ``best_mm[t]`` is the best fitness after iteration ``t`` (``t = 0`` is the initial population);
    ``checkpoint_iteration`` / ``checkpoint_seconds`` say when (seconds since the start) each chunk ended.
    """

    master: np.ndarray
    slave: np.ndarray
    travel_mm: float
    best_mm: np.ndarray
    checkpoint_iteration: np.ndarray
    checkpoint_seconds: np.ndarray

    @property
    def iterations(self) -> int:
        """Iterations actually run (fewer than asked when a deadline stopped the run)."""
        return len(self.best_mm) - 1


def pmx(
    master_a: np.ndarray, slave_a: np.ndarray, master_b: np.ndarray, slave_b: np.ndarray, cut: int
) -> tuple[np.ndarray, np.ndarray]:
    """Single-point partially mapped crossover: head of parent a, tail of parent b (the paper's Figure 5)."""
    child_m = np.empty_like(np.asarray(master_a, dtype=np.int64))
    child_s = np.empty_like(np.asarray(slave_a, dtype=np.uint8))
    position = np.empty(len(child_m), dtype=np.int64)
    _pmx(
        np.asarray(master_a, np.int64),
        np.asarray(slave_a, np.uint8),
        np.asarray(master_b, np.int64),
        np.asarray(slave_b, np.uint8),
        int(cut),
        child_m,
        child_s,
        position,
    )
    return child_m, child_s


def swap_genes(master: np.ndarray, slave: np.ndarray, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Mutation stage one: positions ``i`` and ``j`` exchange their master and slave genes (a new pair of rows)."""
    master, slave = np.array(master, dtype=np.int64), np.array(slave, dtype=np.uint8)
    master[[i, j]] = master[[j, i]]
    slave[[i, j]] = slave[[j, i]]
    return master, slave


def flip_bit(slave: np.ndarray, k: int) -> np.ndarray:
    """Mutation stage two: the slave gene at position ``k`` takes the opposite value (a new row)."""
    slave = np.array(slave, dtype=np.uint8)
    slave[k] ^= 1
    return slave


@numba.njit(cache=True)
def _pmx(a_m, a_s, b_m, b_s, cut, child_m, child_s, position):  # pragma: no cover - compiled
    n = a_m.shape[0]
    for k in range(n):
        position[a_m[k]] = k
    for k in range(cut):
        child_m[k] = a_m[k]
        child_s[k] = a_s[k]
    for k in range(cut, n):
        gene = b_m[k]
        while position[gene] < cut:
            gene = b_m[position[gene]]
        child_m[k] = gene
        child_s[k] = b_s[k]


@numba.njit(cache=True)
def _route_mm(master, slave, ends_xy, start_xy, end_xy, use_end):  # pragma: no cover - compiled
    x = start_xy[0]
    y = start_xy[1]
    total = 0.0
    for k in range(master.shape[0]):
        item = master[k]
        side = slave[k]
        dx = ends_xy[item, side, 0] - x
        dy = ends_xy[item, side, 1] - y
        total += math.sqrt(dx * dx + dy * dy)
        x = ends_xy[item, 1 - side, 0]
        y = ends_xy[item, 1 - side, 1]
    if use_end:
        dx = end_xy[0] - x
        dy = end_xy[1] - y
        total += math.sqrt(dx * dx + dy * dy)
    return total


@numba.njit(cache=True)
def _evaluate(master, slave, ends_xy, start_xy, end_xy, use_end, out, first):  # pragma: no cover - compiled
    for p in range(first, master.shape[0]):
        out[p] = _route_mm(master[p], slave[p], ends_xy, start_xy, end_xy, use_end)


@numba.njit(cache=True)
def _evolve_chunk(
    pop_m,
    pop_s,
    fit,
    ends_xy,
    start_xy,
    end_xy,
    use_end,
    flip,
    offspring_only,
    pairs,
    cuts,
    crossed,
    mut_src,
    mut_dst,
    mut_swap,
    mut_flip,
    mutated,
    pool_m,
    pool_s,
    pool_fit,
    position,
    best_out,
    stop,
):  # pragma: no cover - compiled
    size = pop_m.shape[0]
    for g in range(pairs.shape[0]):
        if should_stop(stop):
            return g
        pool_m[:size] = pop_m
        pool_s[:size] = pop_s
        pool_fit[:size] = fit
        for x in range(pairs.shape[1]):
            a = pairs[g, x, 0]
            b = pairs[g, x, 1]
            c = size + 2 * x
            if crossed[g, x]:
                _pmx(pop_m[a], pop_s[a], pop_m[b], pop_s[b], cuts[g, x], pool_m[c], pool_s[c], position)
                _pmx(pop_m[b], pop_s[b], pop_m[a], pop_s[a], cuts[g, x], pool_m[c + 1], pool_s[c + 1], position)
            else:
                pool_m[c] = pop_m[a]
                pool_s[c] = pop_s[a]
                pool_m[c + 1] = pop_m[b]
                pool_s[c + 1] = pop_s[b]
        for m in range(mut_src.shape[1]):
            dst = mut_dst[g, m]
            src = mut_src[g, m]
            if src != dst:
                pool_m[dst] = pool_m[src]
                pool_s[dst] = pool_s[src]
            if mutated[g, m]:
                i = mut_swap[g, m, 0]
                j = mut_swap[g, m, 1]
                gene = pool_m[dst, i]
                pool_m[dst, i] = pool_m[dst, j]
                pool_m[dst, j] = gene
                bit = pool_s[dst, i]
                pool_s[dst, i] = pool_s[dst, j]
                pool_s[dst, j] = bit
                if flip:
                    pool_s[dst, mut_flip[g, m]] ^= 1
        _evaluate(pool_m, pool_s, ends_xy, start_xy, end_xy, use_end, pool_fit, size)
        if offspring_only:
            children = size + np.argsort(pool_fit[size:], kind="mergesort")
            parents = np.argsort(pool_fit[:size], kind="mergesort")
            survivors = np.concatenate((children, parents))[:size]
        else:
            survivors = np.argsort(pool_fit, kind="mergesort")[:size]
        for p in range(size):
            pop_m[p] = pool_m[survivors[p]]
            pop_s[p] = pool_s[survivors[p]]
            fit[p] = pool_fit[survivors[p]]
        best = fit[0]
        for p in range(1, size):
            best = min(best, fit[p])
        best_out[g] = best
    return pairs.shape[0]


@dataclass(frozen=True)
class _Plan:
    """The random draws of a chunk of iterations, made in numpy so the kernels stay deterministic."""

    pairs: np.ndarray
    cuts: np.ndarray
    crossed: np.ndarray
    mut_src: np.ndarray
    mut_dst: np.ndarray
    mut_swap: np.ndarray
    mut_flip: np.ndarray
    mutated: np.ndarray


def _draw_plan(settings: GaSettings, n: int, chunk: int, rng: np.random.Generator) -> _Plan:
    size = settings.population
    n_pairs, n_mut = settings.operator_counts()
    if settings.scheme == "counts":
        pairs = rng.integers(0, size, size=(chunk, n_pairs, 2))
        crossed = np.ones((chunk, n_pairs), dtype=bool)
        mut_src = rng.integers(0, size, size=(chunk, n_mut))
        mut_dst = np.broadcast_to(size + 2 * n_pairs + np.arange(n_mut), (chunk, n_mut))
        mutated = np.ones((chunk, n_mut), dtype=bool)
    else:
        shuffled = rng.permuted(np.tile(np.arange(size), (chunk, 1)), axis=1)
        pairs = shuffled[:, : 2 * n_pairs].reshape(chunk, n_pairs, 2)
        crossed = rng.random((chunk, n_pairs)) < settings.crossover_rate
        mut_src = np.broadcast_to(size + np.arange(n_mut), (chunk, n_mut))
        mut_dst = mut_src
        mutated = rng.random((chunk, n_mut)) < settings.mutation_rate
    cuts = rng.integers(1, n, size=(chunk, n_pairs)) if n >= 2 else np.zeros((chunk, n_pairs), dtype=np.int64)
    first = rng.integers(0, n, size=(chunk, n_mut))
    other = (first + rng.integers(1, n, size=(chunk, n_mut))) % n if n >= 2 else first
    return _Plan(
        pairs=np.ascontiguousarray(pairs, dtype=np.int64),
        cuts=np.ascontiguousarray(cuts, dtype=np.int64),
        crossed=crossed,
        mut_src=np.ascontiguousarray(mut_src, dtype=np.int64),
        mut_dst=np.ascontiguousarray(mut_dst, dtype=np.int64),
        mut_swap=np.ascontiguousarray(np.stack([first, other], axis=-1), dtype=np.int64),
        mut_flip=rng.integers(0, n, size=(chunk, n_mut)).astype(np.int64),
        mutated=mutated,
    )


def initial_population(
    settings: GaSettings, n: int, rng: np.random.Generator, *, flip: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Random orders and entry ends (plus the order as read when ``initial="file"``): two ``(population, n)`` rows."""
    size = settings.population
    master = rng.permuted(np.tile(np.arange(n, dtype=np.int64), (size, 1)), axis=1)
    slave = rng.integers(0, 2, size=(size, n), dtype=np.uint8) if flip else np.zeros((size, n), dtype=np.uint8)
    if settings.initial == "file":
        master[0] = np.arange(n)
        slave[0] = 0
    return master, slave


def evolve(
    ends_xy: np.ndarray,
    start_xy: np.ndarray,
    end_xy: np.ndarray | None,
    settings: GaSettings,
    rng: np.random.Generator,
    *,
    flip: bool = True,
    deadline: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> GaRun:
    """Run one GA on ``n`` items and return the best chromosome found.

    Parameters
    ----------
    ends_xy
        ``(n, 2, 2)``: the first and last point of each item (equal for a cluster centre or a closed loop).
    start_xy, end_xy
        Where the route starts, and where it must end (``None``: it ends at the last item).
    settings
        Population, rates, iteration limit and the scheme choices.
    rng
        The only source of randomness.
    flip
        Whether items have two ends (MS-GA: slave bits mutate) or one (plain GA over cluster centres).
    deadline
        A :func:`time.perf_counter` value after which no further iteration starts (checked before each one).
    progress
        Called with the fraction of iterations done after each chunk.
    """
    started = time.perf_counter()
    ends_xy = np.ascontiguousarray(ends_xy, dtype=np.float64)
    n = len(ends_xy)
    start_xy = np.asarray(start_xy, dtype=np.float64)
    use_end = end_xy is not None
    end_xy = np.asarray(end_xy if use_end else start_xy, dtype=np.float64)
    pop_m, pop_s = initial_population(settings, n, rng, flip=flip)
    fit = np.empty(settings.population)
    _evaluate(pop_m, pop_s, ends_xy, start_xy, end_xy, use_end, fit, 0)
    best = [np.array([fit.min()])]
    checkpoint_iteration, checkpoint_seconds = [0], [time.perf_counter() - started]
    n_pairs, n_mut = settings.operator_counts()
    pool_size = settings.population + 2 * n_pairs + (n_mut if settings.scheme == "counts" else 0)
    pool_m = np.empty((pool_size, n), dtype=np.int64)
    pool_s = np.empty((pool_size, n), dtype=np.uint8)
    pool_fit = np.empty(pool_size)
    position = np.empty(n, dtype=np.int64)
    done = 0
    stop = compile_rules(deadline=deadline)
    while done < settings.iterations and n > 1 and not should_stop(stop):
        chunk = min(CHUNK_ITERATIONS, settings.iterations - done)
        plan = _draw_plan(settings, n, chunk, rng)
        best_out = np.empty(chunk)
        ran = _evolve_chunk(
            pop_m, pop_s, fit, ends_xy, start_xy, end_xy, use_end, flip, settings.selection == "offspring",
            plan.pairs, plan.cuts, plan.crossed, plan.mut_src, plan.mut_dst, plan.mut_swap, plan.mut_flip,
            plan.mutated, pool_m, pool_s, pool_fit, position, best_out, stop,
        )  # fmt: skip
        if ran == 0:
            break
        done += ran
        best.append(best_out[:ran])
        checkpoint_iteration.append(done)
        checkpoint_seconds.append(time.perf_counter() - started)
        if progress is not None:
            progress(done / settings.iterations)
    winner = int(np.argmin(fit))
    return GaRun(
        master=pop_m[winner].copy(),
        slave=pop_s[winner].copy(),
        travel_mm=float(fit[winner]),
        best_mm=np.concatenate(best),
        checkpoint_iteration=np.array(checkpoint_iteration, dtype=np.int64),
        checkpoint_seconds=np.array(checkpoint_seconds),
    )


__all__ = [
    "CHUNK_ITERATIONS",
    "INITIALS",
    "SCHEMES",
    "SELECTIONS",
    "GaRun",
    "GaSettings",
    "evolve",
    "flip_bit",
    "initial_population",
    "pmx",
    "swap_genes",
]
