"""The ordering methods by name and the parameters each one takes, with nothing heavy imported.

This module is read when the command line is built (its ``--method`` choices and the method options come from
:data:`METHOD_PARAMS`), so it imports only the standard library: ``batik --help`` and ``batik classify`` never load
numba, SciPy or fast-tsp. Each parameter class is validated when built; its fields carry their help text
(``metadata["help"]``), which is all the command line needs to offer it. The solver of each method
(:mod:`.best`, :mod:`.greedy`, :mod:`.msga`, :mod:`.kmeans_msga`) is built from an instance.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batik_studio.errors import OptionError


def default_time_limit_s(nodes: int) -> float:
    """``best``'s search time when none is given: (nodes / 1000) ** 1.6 seconds, between 2 s and 2 minutes.

    Lin-Kernighan search needs more than linear time to settle, so the budget grows a little faster than the size:
    about 6 s for 3,000 nodes, 15 s for 5,000, 1 minute for 13,000.
    """
    return float(min(120.0, max(2.0, (nodes / 1000.0) ** 1.6)))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


#: Each GA knob's allowed values, shared by both GAs (see :mod:`.ga`).
SCHEMES = ("counts", "probabilities")
SELECTIONS = ("elitist", "offspring")
INITIALS = ("random", "file")
#: The point K-means sees for each segment (see :mod:`.kmeans_msga`).
SEGMENT_POINTS = ("ends", "centroid")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


def _whole(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{name} must be a whole number, got {value!r}")
    if value < least:
        raise OptionError(f"{name} must be at least {least}, got {value}")


def _share(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise OptionError(f"{name} must be between 0 and 1, got {value!r}")


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise OptionError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class GreedyParams:
    """Nearest neighbour: how many nearest candidates each step asks the k-d tree for first."""

    first_k: int = field(default=8, metadata=_help("With re-looping: nearest candidates asked for first at each step"))

    def __post_init__(self) -> None:
        _whole("first k", self.first_k, 1)


@dataclass(frozen=True)
class BestParams:
    """``best``: fast-tsp up to ``matrix_max_nodes``, the linear-memory iterated search beyond (see :mod:`.best`)."""

    matrix_max_nodes: int = field(default=6_000, metadata=_help("Largest graph solved with fast-tsp's matrix"))
    neighbours: int = field(default=12, metadata=_help("Candidate neighbours per node for the local search"))
    kicks_per_node: int = field(default=25, metadata=_help("Kicks per node after fast-tsp"))
    stall_kicks_per_node: int = field(
        default=10, metadata=_help("Without a time limit: stop after this many kicks per node in a row gain nothing")
    )
    threads: int | None = field(
        default=None,
        metadata=_help("Threads for the search of large drawings, 10,000 stroke ends or more"),
    )

    def __post_init__(self) -> None:
        _whole("matrix max nodes", self.matrix_max_nodes, 0)
        _whole("neighbours", self.neighbours, 1)
        _whole("kicks per node", self.kicks_per_node, 0)
        _whole("stall kicks per node", self.stall_kicks_per_node, 1)
        if self.threads is not None:
            _whole("threads", self.threads, 1)


@dataclass(frozen=True)
class GaParams:
    """The knobs both GAs share (the paper's Table 1 and the choices it leaves open, see :mod:`.ga`)."""

    population: int = field(default=50, metadata=_help("GA population size"))
    mutation_rate: float = field(default=0.8, metadata=_help("Share of the population mutated each iteration"))
    crossover_rate: float = field(default=0.3, metadata=_help("Share of the population crossed each iteration"))
    scheme: str = field(
        default="counts",
        metadata=_help("What the rates mean: 'counts' (offspring per iteration) or 'probabilities' (per pair, child)"),
    )
    selection: str = field(
        default="elitist", metadata=_help("Survivors: 'elitist' (best of parents and offspring) or 'offspring'")
    )
    initial: str = field(
        default="random", metadata=_help("Initial population: 'random', or 'file' to include the order as read")
    )
    keep_input: bool = field(
        default=True,
        metadata=_help(
            "Return the order as read or greedy's when it travels less than the GA's best, so the result is never "
            "worse; off: the GA's own result, as the paper reports it"
        ),
    )

    def __post_init__(self) -> None:
        _whole("population", self.population, 2)
        _share("mutation rate", self.mutation_rate)
        _share("crossover rate", self.crossover_rate)
        _one_of("scheme", self.scheme, SCHEMES)
        _one_of("selection", self.selection, SELECTIONS)
        _one_of("initial", self.initial, INITIALS)
        if not isinstance(self.keep_input, bool):
            raise OptionError(f"keep input must be true or false, got {self.keep_input!r}")


@dataclass(frozen=True)
class MsgaParams(GaParams):
    """MS-GA over every segment (the paper's "algoritma original")."""

    iterations: int = field(default=10_000, metadata=_help("MS-GA iterations"))

    def __post_init__(self) -> None:
        super().__post_init__()
        _whole("iterations", self.iterations, 0)


@dataclass(frozen=True)
class KMeansMsgaParams(GaParams):
    """K-means clusters, a GA over their order, MS-GA inside each (the paper's "algoritma usulan")."""

    clusters: int = field(default=20, metadata=_help("K-means clusters"))
    kmeans_iterations: int = field(default=100, metadata=_help("K-means iterations"))
    cluster_iterations: int = field(default=200, metadata=_help("Iterations of the GA over the cluster order"))
    intra_iterations: int = field(default=500, metadata=_help("MS-GA iterations inside each cluster"))
    segment_point: str = field(
        default="ends",
        metadata=_help("What K-means clusters: 'ends' (midpoint of a segment's ends) or 'centroid' (vertex mean)"),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        _whole("clusters", self.clusters, 1)
        _whole("k-means iterations", self.kmeans_iterations, 1)
        _whole("cluster iterations", self.cluster_iterations, 0)
        _whole("intra-cluster iterations", self.intra_iterations, 0)
        _one_of("segment point", self.segment_point, SEGMENT_POINTS)


#: Every ordering method and the class of its parameters; the solver registry has the same keys.
METHOD_PARAMS: dict[str, type] = {
    "best": BestParams,
    "greedy": GreedyParams,
    "kmeans-msga": KMeansMsgaParams,
    "msga": MsgaParams,
}

#: The method names, sorted.
METHODS: tuple[str, ...] = tuple(sorted(METHOD_PARAMS))


def check_method(method: str) -> str:
    """``method`` when it is a known method, else an :class:`OptionError` listing the choices."""
    if method not in METHOD_PARAMS:
        raise OptionError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    return method


def parameter_names(method: str) -> tuple[str, ...]:
    """The parameters ``method`` takes."""
    return tuple(f.name for f in dataclasses.fields(METHOD_PARAMS[check_method(method)]))


def build_params(method: str, values: dict[str, Any]) -> Any:
    """The validated parameters of ``method`` from ``values`` (unknown names are an :class:`OptionError`)."""
    names = parameter_names(method)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise OptionError(f"{method} takes no parameter {unknown[0]!r}; it takes: {', '.join(names)}")
    return METHOD_PARAMS[method](**values)


def parse_value(text: str) -> Any:
    """A ``key=value`` value as TOML reads it (numbers, true/false, quoted or bare words)."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """``["population=20", "scheme=probabilities"]`` as a dict; names may use dashes or underscores."""
    values: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"expected name=value, got {item!r}")
        values[key.strip().replace("-", "_")] = parse_value(text.strip())
    return values


def read_config(path: Path) -> dict[str, Any]:
    """Method parameters from a TOML file: top-level ``name = value`` pairs (a ``[params]`` table also works)."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise OptionError(f"{path}: cannot read the file ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise OptionError(f"{path}: not valid TOML ({error})") from error
    table = document.get("params", document)
    if not isinstance(table, dict):
        raise OptionError(f"{path}: [params] must be a table of name = value pairs")
    return {key.replace("-", "_"): value for key, value in table.items()}


__all__ = [
    "INITIALS",
    "METHODS",
    "METHOD_PARAMS",
    "SCHEMES",
    "SEGMENT_POINTS",
    "SELECTIONS",
    "BestParams",
    "GaParams",
    "GreedyParams",
    "KMeansMsgaParams",
    "MsgaParams",
    "available_cores",
    "build_params",
    "check_method",
    "default_time_limit_s",
    "parameter_names",
    "parse_assignments",
    "read_config",
]
