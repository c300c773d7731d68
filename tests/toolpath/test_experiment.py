import json
import math

import numpy as np
import pytest
from scipy import stats

from batik_studio.errors import InputError
from batik_studio.toolpath.experiment import (
    ExperimentSettings,
    RunRecord,
    best_at,
    compare,
    describe,
    experiment,
    method_params,
    plan_runs,
    run_experiment,
)
from batik_studio.toolpath.model import Drawing

TINY_GA = {"iterations": 60, "clusters": 3, "cluster_iterations": 20, "intra_iterations": 30, "population": 10}


def strokes(n: int = 24) -> Drawing:
    rng = np.random.default_rng(5)
    starts = rng.random((n, 2)) * 200
    return Drawing(tuple(np.array([s, s + [4.0, 1.0]]) for s in starts))


def record(seconds, travel) -> RunRecord:
    return RunRecord("m", 0, 0, travel[-1], travel[-1], seconds[-1], {}, np.array(seconds), np.array(travel), {})


def test_describe_uses_the_sample_standard_deviation():
    """Max, min, mean and the n-1 standard deviation, as the paper's tables."""
    assert describe([1.0, 2.0, 3.0, 4.0]) == pytest.approx(
        {"max": 4.0, "min": 1.0, "mean": 2.5, "std": float(np.std([1, 2, 3, 4], ddof=1))}
    )


def test_f_test_matches_the_closed_form():
    """F(4, 4) = 0.25 has two-sided p = 2 * I_0.2(2, 2) = 2 * (3 * 0.2**2 - 2 * 0.2**3) = 0.208."""
    result = compare([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert result["f"] == pytest.approx(0.25)
    assert result["f_p"] == pytest.approx(0.208)
    assert result["equal_variance"] is True
    assert result["f_critical"] == pytest.approx([stats.f.ppf(0.025, 4, 4), stats.f.ppf(0.975, 4, 4)])


def test_equal_variances_give_the_pooled_t_test():
    """When the F-test keeps equal variances the t-test is scipy's pooled one."""
    a, b = [10.1, 9.8, 10.4, 10.0, 9.7, 10.3], [10.9, 11.2, 10.6, 11.0, 11.4, 10.8]
    result = compare(a, b)
    expected = stats.ttest_ind(a, b, equal_var=True)
    assert result["equal_variance"] is True
    assert result["t"] == pytest.approx(expected.statistic)
    assert result["t_p"] == pytest.approx(expected.pvalue)
    assert result["df"] == pytest.approx(10)
    assert result["t_critical"] == pytest.approx(stats.t.ppf(0.975, 10))
    assert result["significant"] is True


def test_unequal_variances_give_welch():
    """When the F-test rejects equal variances the t-test is Welch's, with its fractional df."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(100, 1, 30), rng.normal(101, 20, 30)
    result = compare(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False)
    assert result["equal_variance"] is False
    assert result["f_p"] < 0.05
    assert result["t"] == pytest.approx(expected.statistic)
    assert result["df"] == pytest.approx(expected.df)


def test_constant_samples_need_no_test():
    """Two deterministic methods with different results differ without a t statistic."""
    result = compare([5.0, 5.0, 5.0], [7.0, 7.0, 7.0])
    assert result["t"] is None and result["significant"] is True


def test_compare_needs_two_values_per_sample():
    """One value per sample has no variance to test."""
    with pytest.raises(InputError, match="at least 2"):
        compare([1.0], [2.0, 3.0])


def test_best_at_reads_the_step_curve():
    """The best travel at time t is the last value reached by t; before the first route there is none."""
    run = record([0.5, 1.0, 2.0], [90.0, 80.0, 70.0])
    assert math.isnan(best_at(run, 0.4))
    assert best_at(run, 0.5) == 90.0
    assert best_at(run, 1.9) == 80.0
    assert best_at(run, 100.0) == 70.0


def test_runs_share_seeds_across_methods():
    """Replication r of every method uses seed + r."""
    specs = plan_runs(["a", "b"], 3, 10)
    assert [(s.method, s.seed) for s in specs] == [("a", 10), ("b", 10), ("a", 11), ("b", 11), ("a", 12), ("b", 12)]


def test_ga_options_only_reach_methods_that_take_them():
    """`iterations` goes to msga, `clusters` to kmeans-msga, `population` to both."""
    assert method_params("msga", TINY_GA) == {"iterations": 60, "population": 10}
    assert "iterations" not in method_params("kmeans-msga", TINY_GA)
    assert method_params("kmeans-msga", TINY_GA)["clusters"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": ("simulated-annealing",)}, "unknown method"),
        ({"methods": ("msga", "msga")}, "each method once"),
        ({"methods": ("msga",), "replications": 0}, "at least 1"),
        ({"methods": ("msga",), "params": {"clusters": 5}}, "applies to none"),
    ],
)
def test_bad_experiment_settings_are_refused(kwargs, message):
    """Unknown methods, repeats, zero replications and stray parameters are refused."""
    with pytest.raises(InputError, match=message):
        ExperimentSettings(**kwargs)


def test_tiny_experiment_end_to_end(tmp_path):
    """Two methods, three replications: report.md, report.json and the figures, with the paper's tables."""
    settings = ExperimentSettings(("kmeans-msga", "msga"), replications=3, seed=4, params=TINY_GA)
    calls = []
    summary = experiment(
        strokes(), settings, tmp_path, source="strokes.svg", progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (6, 6)
    document = json.loads((tmp_path / "report.json").read_text())
    assert [r["seed"] for r in document["runs"]] == [4, 5, 6, 4, 5, 6]
    kmeans = document["methods"]["kmeans-msga"]
    assert set(kmeans["phases_s"]) == {"clustering", "inter_cluster", "intra_cluster"}
    travel = [r["travel_mm"] for r in document["runs"] if r["method"] == "msga"]
    assert document["methods"]["msga"]["travel_mm"]["min"] == pytest.approx(min(travel))
    assert document["at_seconds"] == pytest.approx(max(r["seconds"] for r in document["runs"][:3]))
    assert document["comparisons"][0]["a"] == "kmeans-msga" and "t" in document["comparisons"][0]
    assert summary["drawing"]["segments"] == 24
    markdown = (tmp_path / "report.md").read_text()
    assert "### kmeans-msga" in markdown and "| Std. dev. |" in markdown and "Tests at t" in markdown
    for name in document["figures"]:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"msga_convergence.png", "kmeans-msga_intra_cluster.png", "travel_vs_seconds.png"} <= set(
        document["figures"]
    )
    assert not list(tmp_path.glob(".*tmp"))


def test_local_process_pool_gives_the_same_travel_as_in_process():
    """Two worker processes give run for run the travel of a single process (seeded runs)."""
    settings = ExperimentSettings(("msga",), replications=2, params={"iterations": 40})
    alone = run_experiment(strokes(), settings)
    pooled = run_experiment(strokes(), settings, workers=2)
    assert [r.travel_mm for r in pooled] == [r.travel_mm for r in alone]


@pytest.mark.slow
def test_tiny_experiment_on_a_local_ray():
    """Replications run as Ray tasks on a local one-CPU Ray give the in-process results."""
    ray = pytest.importorskip("ray")
    settings = ExperimentSettings(("kmeans-msga", "msga"), replications=2, params=TINY_GA)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_experiment(strokes(), settings, ray_address="auto")
    finally:
        ray.shutdown()
    local = run_experiment(strokes(), settings)
    assert [(r.method, r.replication, r.travel_mm) for r in remote] == [
        (r.method, r.replication, r.travel_mm) for r in local
    ]


def test_a_constant_sample_is_compared_with_welch():
    """A deterministic method (constant travel) against a varying one: Welch's t with df = n - 1, no noise."""
    varying = [10.0, 12.0, 11.0, 13.0]
    result = compare(varying, [7832.123456789] * 4)
    assert result["equal_variance"] is False and result["f"] is None
    assert result["df"] == pytest.approx(3)
    expected = stats.ttest_1samp(varying, 7832.123456789)
    assert result["t"] == pytest.approx(expected.statistic)
