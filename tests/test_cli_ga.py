import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from batik_studio.cli import app
from batik_studio.toolpath.solvers.params import METHODS
from tests.helpers import REPO

EXAMPLE = REPO / "src" / "batik_studio" / "toolpath" / "examples" / "megamendung_tile.svg"
runner = CliRunner()


def test_optimize_with_msga_options(tmp_path):
    """The GA options reach the solver: a short msga run writes G-code and reports the method."""
    out = tmp_path / "tile.gcode"
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(out), "-m", "msga", "--iterations", "50"]
    result = runner.invoke(app, [*args, "--population", "20", "--scheme", "probabilities", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "msga" in result.output and out.stat().st_size > 0


def test_ga_option_refused_for_another_method(tmp_path):
    """A GA option with a method that does not take it is an error naming both."""
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(tmp_path / "x.gcode"), "--clusters", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--clusters applies to kmeans-msga only, not to best" in result.output


def test_bad_ga_value_is_a_message_not_a_traceback(tmp_path):
    """A population of 1 is refused with the value and what is allowed."""
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(tmp_path / "x.gcode"), "-m", "msga", "--population", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "population must be at least 2, got 1" in result.output
    assert "Traceback" not in result.output


def test_experiment_command_writes_the_report(tmp_path):
    """experiment runs every method R times and writes report.md, report.json and figures."""
    args = ["toolpath", "experiment", str(EXAMPLE), "--methods", "kmeans-msga,greedy", "--replications", "2"]
    args += ["--out", str(tmp_path / "run"), "--clusters", "4", "--intra-iterations", "40", "--at-seconds", "60"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "kmeans-msga: travel min" in result.output
    document = json.loads((tmp_path / "run" / "report.json").read_text())
    assert document["at_seconds"] == 60 and document["settings"]["params"] == {"clusters": 4, "intra_iterations": 40}
    assert document["methods"]["greedy"]["at_seconds"]["complete_runs"] == 2
    assert (tmp_path / "run" / "report.md").read_text().startswith("# Experiment: megamendung_tile.svg")


def test_experiment_rejects_an_unknown_method(tmp_path):
    """An unknown method name is an error listing the choices."""
    args = ["toolpath", "experiment", str(EXAMPLE), "--methods", "msga,annealing", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "unknown method 'annealing'" in result.output


def test_threads_reach_best_and_are_refused_elsewhere(tmp_path, monkeypatch):
    """--threads sets best's thread count; with a method that has no threads it is an error naming both."""
    from batik_studio.toolpath.solvers import best
    from batik_studio.toolpath.solvers.run import load_compiled_code

    load_compiled_code("best")  # the one-time warm-up solve, so the spy sees only the run itself
    seen = []
    solve = best.BestSolver.solve

    def spy(self, *args, **kwargs):
        seen.append(self.threads)
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(best.BestSolver, "solve", spy)
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(tmp_path / "x.gcode"), "--threads", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen and set(seen) == {1}  # once per group of the drawing
    result = runner.invoke(app, [*args, "-m", "greedy"])
    assert result.exit_code == 1
    assert "--threads applies to best only, not to greedy" in result.output


@pytest.mark.parametrize("method", METHODS)
def test_report_and_plot_for_every_method(tmp_path, method):
    """--report writes JSON and --plot a PNG for every registered method (the GA details used to break JSON)."""
    out, report, plot = tmp_path / "tile.gcode", tmp_path / "r.json", tmp_path / "r.png"
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(out), "-m", method, "--report", str(report)]
    args += ["--plot", str(plot), "--time-limit", "1", "--bound-time-limit", "1"]
    args += {"msga": ["--iterations", "30"], "kmeans-msga": ["--clusters", "3", "--intra-iterations", "20"]}.get(
        method, []
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["method"] == method
    assert figures["details"]["winner"] in {"search", "input", "greedy"}
    assert figures["travel_after_mm"] <= figures["travel_before_mm"] + 1e-9
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_param_and_config_reach_the_solver(tmp_path):
    """--config file.toml and --param name=value set method parameters; a named option wins over both."""
    config = tmp_path / "ga.toml"
    config.write_text("population = 12\niterations = 40\n")
    report = tmp_path / "r.json"
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(tmp_path / "x.gcode"), "-m", "msga", "--report"]
    args += [str(report), "--config", str(config), "--param", "iterations=30", "--no-keep-input"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    details = json.loads(report.read_text())["details"]
    assert details["iterations"] == 30 and details["winner"] == "search"


def test_bad_param_is_one_line(tmp_path):
    """A --param that is not name=value is refused in one line."""
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(tmp_path / "x.gcode"), "--param", "population"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "expected name=value, got 'population'" in result.output


def test_cli_starts_without_numba():
    """Building the command line (as --help and --version do) imports neither numba, SciPy nor numpy."""
    code = "import sys, batik_studio.cli; print(sorted(m for m in ('numba', 'scipy', 'numpy') if m in sys.modules))"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
