"""Repeated-runs experiments: every method R times, the seed paper's tables, convergence plots and statistics.

The paper (K-means MS-GA vs MS-GA) runs each method 30 times and reports, per method, the max, min, mean and
standard deviation of the travel and of the computing time per phase (its Tables 2-3); it then compares the best
travel the two methods have reached at a common time budget (its Table 4, t = 594 s, the slowest K-means MS-GA
run) with an F-test for equal variances and a two-sample t-test (pooled or Welch variance, as the F-test says).

The pure parts (:func:`plan_runs`, :func:`best_at`, :func:`describe`, :func:`compare`, :func:`summarize`,
:func:`render_markdown`) work on plain data; :func:`run_experiment` runs the replications in this process, in a
local process pool, or as Ray tasks; :func:`write_report` writes ``report.md``, ``report.json`` and the figures.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from batik_studio.atomic import atomic_outputs
from batik_studio.errors import InputError, OptionError
from batik_studio.toolpath.model import Drawing, measure
from batik_studio.toolpath.solvers import SOLVERS, optimize
from batik_studio.toolpath.solvers.base import SolveOptions
from batik_studio.toolpath.solvers.params import parameter_names

#: Called with (runs done, runs in all) as replications finish.
RunProgress = Callable[[int, int], None]

#: The significance level of the paper's tests.
ALPHA = 0.05

#: Curves in report.json keep at most this many points per run.
JSON_CURVE_POINTS = 200


@dataclass(frozen=True)
class ExperimentSettings:
    """What to run: methods, replications, base seed, what every run must respect, and method parameters.

    ``params`` are passed to each method whose solver accepts them (a GA option such as ``population`` goes to
    ``msga`` and ``kmeans-msga`` and is not given to ``greedy``). Replication ``r`` of every method uses the seed
    ``seed + r``.
    """

    methods: tuple[str, ...]
    replications: int = 30
    seed: int = 0
    return_to_origin: bool = True
    time_limit_s: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.methods:
            raise OptionError("give at least one method")
        unknown = [m for m in self.methods if m not in SOLVERS]
        if unknown:
            raise OptionError(f"unknown method {unknown[0]!r}; choose from: {', '.join(sorted(SOLVERS))}")
        if len(set(self.methods)) != len(self.methods):
            raise OptionError(f"each method once, please: {', '.join(self.methods)}")
        if self.replications < 1:
            raise OptionError(f"replications must be at least 1, got {self.replications}")
        unused = [name for name in self.params if not any(name in accepted(m) for m in self.methods)]
        if unused:
            raise OptionError(f"parameter {unused[0]!r} applies to none of: {', '.join(self.methods)}")


@dataclass(frozen=True)
class RunSpec:
    """One replication of one method."""

    method: str
    replication: int
    seed: int


@dataclass(frozen=True)
class RunRecord:
    """What one run produced: travel (TC), total (TL), seconds, per-phase seconds, convergence.

    ``curve_seconds`` / ``curve_travel_mm`` is the best travel of a complete route against seconds (a single
    point at the end for a method that builds its route only at the end); ``details`` keeps the solver's own
    histories (per iteration) for the figures.
    """

    method: str
    replication: int
    seed: int
    travel_mm: float
    total_mm: float
    seconds: float
    phases_s: dict[str, float]
    curve_seconds: np.ndarray
    curve_travel_mm: np.ndarray
    details: dict[str, Any]


def accepted(method: str) -> set[str]:
    """The parameter names the solver of ``method`` takes (from its parameter dataclass)."""
    return set(parameter_names(method))


def method_params(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The part of ``params`` that the solver of ``method`` accepts."""
    names = accepted(method)
    return {name: value for name, value in params.items() if name in names}


def plan_runs(methods: Sequence[str], replications: int, seed: int) -> list[RunSpec]:
    """Every (method, replication), replication by replication so methods share the machine alike."""
    return [RunSpec(m, r, seed + r) for r in range(replications) for m in methods]


_WARM: set[tuple[str, str]] = set()


def _tiny_drawing() -> Drawing:
    return Drawing(tuple(np.array([[i, 0.0], [i, 1.0 + i]]) for i in range(4)))


def _warm_up(method: str, params: dict[str, Any], return_to_origin: bool) -> None:
    """Run ``method`` once on a tiny drawing so compiled code is loaded before any run is timed."""
    key = (method, repr(sorted(params.items())))
    if key not in _WARM:
        optimize(_tiny_drawing(), method, SolveOptions(return_to_origin=return_to_origin), **params)
        _WARM.add(key)


def run_one(drawing: Drawing, spec: RunSpec, settings: ExperimentSettings) -> RunRecord:
    """Run one replication (after a warm-up in this process) and keep its figures and convergence."""
    params = method_params(spec.method, settings.params)
    _warm_up(spec.method, params, settings.return_to_origin)
    options = SolveOptions(
        return_to_origin=settings.return_to_origin, time_limit_s=settings.time_limit_s, seed=spec.seed
    )
    result = optimize(drawing, spec.method, options, **params)
    details = dict(result.details)
    curve = details.pop("curve", None) or None
    if curve is None:
        curve = {"seconds": [result.seconds], "travel_mm": [result.after.travel_mm]}
    elif result.winner != "search" or params.get("keep_input", True):
        # The orders optimize compares with (the input's and greedy's) are complete routes from the start.
        curve = {"seconds": curve["seconds"], "travel_mm": np.minimum(curve["travel_mm"], result.after.travel_mm)}
    phases = details.pop("phases_s", None) or {spec.method: result.seconds}
    return RunRecord(
        method=spec.method,
        replication=spec.replication,
        seed=spec.seed,
        travel_mm=result.after.travel_mm,
        total_mm=result.after.total_mm,
        seconds=result.seconds,
        phases_s={name: float(value) for name, value in phases.items()},
        curve_seconds=np.asarray(curve["seconds"], dtype=np.float64),
        curve_travel_mm=np.asarray(curve["travel_mm"], dtype=np.float64),
        details=details,
    )


def run_experiment(
    drawing: Drawing,
    settings: ExperimentSettings,
    *,
    workers: int = 1,
    ray_address: str | None = None,
    progress: RunProgress | None = None,
) -> list[RunRecord]:
    """Run every replication of every method; return the records sorted by method (as given) and replication.

    ``workers`` > 1 runs replications in a local process pool; ``ray_address`` (``auto``, ``local`` or a
    cluster address) runs them as Ray tasks instead, one CPU each, on an existing Ray session if one is open.
    """
    if workers < 1:
        raise OptionError(f"workers must be at least 1, got {workers}")
    specs = plan_runs(settings.methods, settings.replications, settings.seed)
    if ray_address is not None:
        records = _run_on_ray(drawing, specs, settings, ray_address, progress)
    elif workers == 1:
        records = []
        for spec in specs:
            records.append(run_one(drawing, spec, settings))
            if progress is not None:
                progress(len(records), len(specs))
    else:
        records = _run_in_pool(drawing, specs, settings, workers, progress)
    rank = {method: i for i, method in enumerate(settings.methods)}
    return sorted(records, key=lambda r: (rank[r.method], r.replication))


def _run_in_pool(
    drawing: Drawing, specs: list[RunSpec], settings: ExperimentSettings, workers: int, progress: RunProgress | None
) -> list[RunRecord]:
    records = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_one, drawing, spec, settings) for spec in specs]
        for future in as_completed(futures):
            records.append(future.result())
            if progress is not None:
                progress(len(records), len(specs))
    return records


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Refuse a ``host:port`` Ray address where nothing listens, before Ray retries it for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as error:
        raise InputError(
            f"Ray address {address}: nothing answers at {host}:{port} ({error.strerror or error}); start the "
            "cluster, or give the address 'local' to start Ray on this machine",
            settings=("ray",),
        ) from None


def _run_on_ray(
    drawing: Drawing, specs: list[RunSpec], settings: ExperimentSettings, address: str, progress: RunProgress | None
) -> list[RunRecord]:
    try:
        import ray
    except ImportError as error:
        raise OptionError("running replications on Ray needs Ray: pip install 'batik-studio[cluster]'") from error
    opened_here = not ray.is_initialized()
    if opened_here:
        _check_reachable(address)
        try:
            ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise InputError(
                f"Ray address {address}: cannot reach the Ray cluster ({first_line})", settings=("ray",)
            ) from None
    try:
        task = ray.remote(num_cpus=1)(run_one)
        drawing_ref = ray.put(drawing)
        pending = [task.remote(drawing_ref, spec, settings) for spec in specs]
        records = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            records.extend(ray.get(done))
            if progress is not None:
                progress(len(records), len(specs))
        return records
    finally:
        if opened_here:
            ray.shutdown()


def best_at(record: RunRecord, seconds: float) -> float:
    """The best travel of a complete route that ``record`` had reached ``seconds`` into its run (NaN: none yet)."""
    reached = np.flatnonzero(record.curve_seconds <= seconds)
    return float(record.curve_travel_mm[reached[-1]]) if len(reached) else math.nan


def describe(values: Sequence[float]) -> dict[str, float]:
    """Max, min, mean and sample standard deviation (n - 1, as the paper's spreadsheet) of ``values``."""
    array = np.asarray(values, dtype=np.float64)
    std = math.sqrt(_variance(array)) if len(array) > 1 else 0.0
    return {"max": float(array.max()), "min": float(array.min()), "mean": float(array.mean()), "std": std}


def compare(a: Sequence[float], b: Sequence[float], *, alpha: float = ALPHA) -> dict[str, Any]:
    """The paper's tests of H0: mean(a) = mean(b): a two-sided F-test of equal variances, then a t-test.

    The t-test (scipy's, from the samples' means and variances, so a constant sample needs no special case) pools
    the variances when the F-test keeps equal variances (p >= ``alpha``) and is Welch's otherwise. Returns the
    statistics, p-values, critical values and the conclusions.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise InputError("each sample needs at least 2 values to compare them")
    var_a, var_b = _variance(a), _variance(b)
    dfn, dfd = len(a) - 1, len(b) - 1
    result: dict[str, Any] = {
        "alpha": alpha,
        "n": [len(a), len(b)],
        "mean": [float(a.mean()), float(b.mean())],
        "variance": [var_a, var_b],
        "f_critical": [float(stats.f.ppf(alpha / 2, dfn, dfd)), float(stats.f.ppf(1 - alpha / 2, dfn, dfd))],
    }
    if var_a == 0 and var_b == 0:
        same = bool(a.mean() == b.mean())
        return result | {
            "f": None,
            "f_p": None,
            "equal_variance": True,
            "t": None,
            "t_p": None,
            "df": None,
            "t_critical": None,
            "significant": not same,
            "note": "both samples are constant: no test needed" if same else "both samples constant, means differ",
        }
    if var_b > 0:
        f_stat = var_a / var_b
        f_p = min(1.0, 2.0 * min(float(stats.f.cdf(f_stat, dfn, dfd)), float(stats.f.sf(f_stat, dfn, dfd))))
    else:
        f_stat, f_p = None, 0.0
    equal_var = f_p >= alpha
    mean_a, mean_b, n_a, n_b = float(a.mean()), float(b.mean()), len(a), len(b)
    test = stats.ttest_ind_from_stats(mean_a, math.sqrt(var_a), n_a, mean_b, math.sqrt(var_b), n_b, equal_var=equal_var)
    if equal_var:
        df = float(n_a + n_b - 2)
    else:
        share_a, share_b = var_a / n_a, var_b / n_b
        df = (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
    return result | {
        "f": f_stat,
        "f_p": f_p,
        "equal_variance": equal_var,
        "t": float(test.statistic),
        "t_p": float(test.pvalue),
        "df": df,
        "t_critical": float(stats.t.ppf(1 - alpha / 2, df)),
        "significant": bool(test.pvalue < alpha),
        "note": "pooled (F-test keeps equal variances)" if equal_var else "Welch (F-test rejects equal variances)",
    }


def _variance(sample: np.ndarray) -> float:
    """Sample variance (n - 1); exactly 0 for a constant sample (a deterministic method), with no rounding noise."""
    return 0.0 if np.ptp(sample) == 0 else float(sample.var(ddof=1))


def summarize(
    drawing: Drawing,
    settings: ExperimentSettings,
    records: Sequence[RunRecord],
    *,
    at_seconds: float | None = None,
    source: str = "",
    workers: int = 1,
    ray_address: str | None = None,
) -> dict[str, Any]:
    """Everything report.json holds: the drawing, the settings, per-method tables, the time-budget comparison."""
    initial = measure(drawing, return_to_origin=settings.return_to_origin)
    by_method = {m: [r for r in records if r.method == m] for m in settings.methods}
    rule = "given"
    if at_seconds is None:
        at_seconds = max(r.seconds for r in by_method[settings.methods[0]])
        rule = f"the slowest {settings.methods[0]} run, the paper's rule"
    methods = {}
    for method, runs in by_method.items():
        travel = [r.travel_mm for r in runs]
        phases = list(dict.fromkeys(name for r in runs for name in r.phases_s))
        at = [best_at(r, at_seconds) for r in runs]
        reached = [value for value in at if not math.isnan(value)]
        methods[method] = {
            "params": method_params(method, settings.params),
            "travel_mm": describe(travel),
            "total_mm": describe([r.total_mm for r in runs]),
            "seconds": describe([r.seconds for r in runs]),
            "phases_s": {name: describe([r.phases_s.get(name, 0.0) for r in runs]) for name in phases},
            "best_replication": runs[int(np.argmin(travel))].replication,
            "reduction_pct": {
                "travel_best": _reduction(initial.travel_mm, min(travel)),
                "travel_mean": _reduction(initial.travel_mm, float(np.mean(travel))),
                "total_best": _reduction(initial.total_mm, min(r.total_mm for r in runs)),
                "total_mean": _reduction(initial.total_mm, float(np.mean([r.total_mm for r in runs]))),
            },
            "at_seconds": {"complete_runs": len(reached), "travel_mm": describe(reached) if reached else None},
        }
    first = settings.methods[0]
    comparisons = []
    for other in settings.methods[1:]:
        a = [best_at(r, at_seconds) for r in by_method[first]]
        b = [best_at(r, at_seconds) for r in by_method[other]]
        a = [v for v in a if not math.isnan(v)]
        b = [v for v in b if not math.isnan(v)]
        entry: dict[str, Any] = {"a": first, "b": other}
        if len(a) >= 2 and len(b) >= 2:
            entry |= compare(a, b)
        else:
            entry["note"] = f"fewer than 2 complete runs by t = {at_seconds:.3g} s: no test"
        comparisons.append(entry)
    return {
        "input": source,
        "drawing": {
            "segments": len(drawing),
            "closed_loops": drawing.closed_loops,
            "draw_mm": initial.draw_mm,
            "initial_travel_mm": initial.travel_mm,
            "initial_total_mm": initial.total_mm,
        },
        "settings": {
            "methods": list(settings.methods),
            "replications": settings.replications,
            "seeds": [settings.seed, settings.seed + settings.replications - 1],
            "return_to_origin": settings.return_to_origin,
            "time_limit_s": settings.time_limit_s,
            "params": settings.params,
            "workers": workers,
            "ray": ray_address,
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        },
        "at_seconds": at_seconds,
        "at_seconds_rule": rule,
        "methods": methods,
        "comparisons": comparisons,
    }


def _reduction(before: float, after: float) -> float:
    return 100.0 * (before - after) / before if before > 0 else 0.0


def _mm(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _s(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def render_markdown(summary: dict[str, Any], figures: Sequence[str] = ()) -> str:
    """report.md: the drawing, one table per method (the paper's Tables 2-3), the time budget (Table 4), tests."""
    d, s = summary["drawing"], summary["settings"]
    lines = [
        f"# Experiment: {Path(summary['input']).name or 'drawing'}",
        "",
        f"- Drawing: {d['segments']:,} segments ({d['closed_loops']:,} closed loops); draw length TS = "
        f"{d['draw_mm']:,.0f} mm; file order: travel TC = {d['initial_travel_mm']:,.0f} mm, "
        f"total TL = {d['initial_total_mm']:,.0f} mm.",
        f"- Runs: {s['replications']} replications per method (seeds {s['seeds'][0]}..{s['seeds'][1]}); "
        f"return to origin: {'yes' if s['return_to_origin'] else 'no'}; time limit: {s['time_limit_s'] or 'none'}; "
        f"parameters: {s['params'] or 'defaults'}.",
        f"- Machine: {summary['machine']['platform']}, {summary['machine']['cpus']} CPUs, "
        f"{s['workers']} worker(s){', Ray ' + s['ray'] if s['ray'] else ''}; finished "
        f"{summary['machine']['finished_utc']} UTC.",
        "",
        "## Per method",
    ]
    for method, m in summary["methods"].items():
        phases = list(m["phases_s"]) if len(m["phases_s"]) > 1 else []
        header = ["", "Travel TC (mm)", "Total TL (mm)", *[f"{p} (s)" for p in phases], "Time (s)"]
        lines += ["", f"### {method}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for key, label in (("max", "Max"), ("min", "Min"), ("mean", "Mean"), ("std", "Std. dev.")):
            row = [label, _mm(m["travel_mm"][key]), _mm(m["total_mm"][key])]
            row += [_s(m["phases_s"][p][key]) for p in phases] + [_s(m["seconds"][key])]
            lines.append("| " + " | ".join(row) + " |")
        r = m["reduction_pct"]
        lines += [
            "",
            f"Reduction from the file order: travel {r['travel_best']:.1f} % (best run, replication "
            f"{m['best_replication']}), {r['travel_mean']:.1f} % (mean); total {r['total_best']:.1f} % (best), "
            f"{r['total_mean']:.1f} % (mean).",
        ]
    t = summary["at_seconds"]
    lines += [
        "",
        f"## Best travel at t = {t:,.2f} s ({summary['at_seconds_rule']})",
        "",
        "| | " + " | ".join(summary["methods"]) + " |",
        "|---|" + "---|" * len(summary["methods"]),
    ]
    for key, label in (("max", "Max"), ("min", "Min"), ("mean", "Mean"), ("std", "Std. dev.")):
        cells = [_mm((m["at_seconds"]["travel_mm"] or {}).get(key)) for m in summary["methods"].values()]
        lines.append(f"| {label} (mm) | " + " | ".join(cells) + " |")
    counts = [str(m["at_seconds"]["complete_runs"]) for m in summary["methods"].values()]
    lines.append("| Runs with a route by t | " + " | ".join(counts) + " |")
    if summary["comparisons"]:
        lines += [
            "",
            f"## Tests at t = {t:,.2f} s (alpha = {ALPHA})",
            "",
            "| a vs b | F | p (F) | F critical | t | df | p (t) | t critical | variance | H0: equal means |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in summary["comparisons"]:
            verdict = "-" if "significant" not in c else ("rejected" if c["significant"] else "kept")
            if c.get("t") is None:
                lines.append(f"| {c['a']} vs {c['b']} | " + " | ".join(["-"] * 7) + f" | {c['note']} | {verdict} |")
                continue
            f_stat = "inf" if c["f"] is None else f"{c['f']:.4g}"
            f_critical = f"{c['f_critical'][0]:.4f}, {c['f_critical'][1]:.4f}"
            cells = [f_stat, f"{c['f_p']:.3g}", f_critical, f"{c['t']:.2f}", f"{c['df']:.1f}", f"{c['t_p']:.3g}"]
            cells += [f"{c['t_critical']:.3f}", c["note"], verdict]
            lines.append(f"| {c['a']} vs {c['b']} | " + " | ".join(cells) + " |")
    if figures:
        lines += ["", "## Figures", ""] + [f"![{name}]({name})" for name in figures]
    return "\n".join(lines) + "\n"


def _sample(count: int, limit: int = JSON_CURVE_POINTS) -> np.ndarray:
    """At most ``limit`` indices spread evenly over ``range(count)``, first and last included."""
    return np.unique(np.linspace(0, count - 1, min(count, limit)).round().astype(int))


def records_json(records: Sequence[RunRecord]) -> list[dict[str, Any]]:
    """Each run as JSON: figures, phases and its travel-vs-seconds curve (at most 200 points)."""
    rows = []
    for r in records:
        keep = _sample(len(r.curve_seconds))
        rows.append(
            {
                "method": r.method,
                "replication": r.replication,
                "seed": r.seed,
                "travel_mm": r.travel_mm,
                "total_mm": r.total_mm,
                "seconds": r.seconds,
                "phases_s": r.phases_s,
                "curve": {
                    "seconds": [round(float(v), 4) for v in r.curve_seconds[keep]],
                    "travel_mm": [round(float(v), 3) for v in r.curve_travel_mm[keep]],
                },
            }
        )
    return rows


def plot_figures(summary: dict[str, Any], records: Sequence[RunRecord], out_dir: Path) -> list[str]:
    """Convergence figures like the paper's 9-11 and travel against seconds for every method; PNG names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []

    def save(fig, name: str) -> None:
        _write_atomic(out_dir / name, lambda path: fig.savefig(path, format="png", dpi=110))
        plt.close(fig)
        names.append(name)

    for method, m in summary["methods"].items():
        runs = [r for r in records if r.method == method]
        best = next(r for r in runs if r.replication == m["best_replication"])
        if "history" in best.details:
            fig, ax = plt.subplots(figsize=(7, 4))
            for r in runs:
                history = r.details["history"]
                ax.plot(history["iteration"], history["travel_mm"], color="0.75", lw=0.7)
            ax.plot(best.details["history"]["iteration"], best.details["history"]["travel_mm"], color="C0", lw=1.5)
            ax.set(xlabel="iteration", ylabel="best travel (mm)", title=f"{method}: convergence ({len(runs)} runs)")
            save(fig, f"{method}_convergence.png")
        if "inter_cluster_history" in best.details:
            fig, ax = plt.subplots(figsize=(7, 4))
            for r in runs:
                ax.plot(r.details["inter_cluster_history"], color="0.75", lw=0.7)
            ax.plot(best.details["inter_cluster_history"], color="C1", lw=1.5)
            ax.set(xlabel="iteration", ylabel="cluster-centre route (mm)", title=f"{method}: inter-cluster GA")
            save(fig, f"{method}_inter_cluster.png")
        if "intra_cluster_histories" in best.details:
            fig, ax = plt.subplots(figsize=(7, 4))
            for rank, history in enumerate(best.details["intra_cluster_histories"]):
                ax.plot(history, lw=0.9, label=str(rank + 1))
            ax.set(
                xlabel="iteration",
                ylabel="best travel in cluster (mm)",
                title=f"{method}: intra-cluster MS-GA, replication {best.replication}",
            )
            ax.legend(title="cluster", fontsize=6, ncol=2, loc="upper right")
            save(fig, f"{method}_intra_cluster.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, method in enumerate(summary["methods"]):
        runs = [r for r in records if r.method == method]
        for j, r in enumerate(runs):
            ax.step(r.curve_seconds, r.curve_travel_mm, where="post", color=f"C{i}", lw=0.7, alpha=0.6)
            label = None if j else method
            ax.plot(r.curve_seconds[-1:], r.curve_travel_mm[-1:], "o", ms=3, color=f"C{i}", label=label)
    ax.axvline(summary["at_seconds"], color="k", ls="--", lw=0.8, label=f"t = {summary['at_seconds']:.3g} s")
    ax.axhline(summary["drawing"]["initial_travel_mm"], color="0.5", ls=":", lw=0.8, label="file order")
    ax.set(xlabel="seconds", ylabel="best travel (mm)", title="Best travel of a complete route against time")
    ax.legend(fontsize=7)
    save(fig, "travel_vs_seconds.png")
    return names


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Let ``write`` fill a temporary file beside ``path``, then rename it over ``path``."""
    with atomic_outputs(path) as (temporary,):
        write(str(temporary))


def write_report(summary: dict[str, Any], records: Sequence[RunRecord], out_dir: Path) -> list[Path]:
    """Write the figures, report.md and report.json into ``out_dir`` (each file atomically); return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = plot_figures(summary, records, out_dir)
    document = summary | {"figures": figures, "runs": records_json(records)}
    markdown = render_markdown(summary, figures)
    _write_atomic(out_dir / "report.json", lambda p: Path(p).write_text(json.dumps(document, indent=1) + "\n"))
    _write_atomic(out_dir / "report.md", lambda p: Path(p).write_text(markdown))
    return [out_dir / "report.md", out_dir / "report.json", *(out_dir / name for name in figures)]


def experiment(
    drawing: Drawing,
    settings: ExperimentSettings,
    out_dir: Path,
    *,
    source: str = "",
    at_seconds: float | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    progress: RunProgress | None = None,
) -> dict[str, Any]:
    """Run, summarise and write the report; return the summary (what report.json holds, less the runs)."""
    if at_seconds is not None and not at_seconds > 0:
        raise OptionError(f"the comparison time must be a positive number of seconds, got {at_seconds}")
    started = time.perf_counter()
    records = run_experiment(drawing, settings, workers=workers, ray_address=ray_address, progress=progress)
    summary = summarize(
        drawing, settings, records, at_seconds=at_seconds, source=source, workers=workers, ray_address=ray_address
    )
    summary["wall_seconds"] = time.perf_counter() - started
    write_report(summary, records, out_dir)
    return summary


__all__ = [
    "ALPHA",
    "ExperimentSettings",
    "RunRecord",
    "RunSpec",
    "best_at",
    "compare",
    "describe",
    "experiment",
    "method_params",
    "plan_runs",
    "render_markdown",
    "run_experiment",
    "run_one",
    "summarize",
    "write_report",
]
