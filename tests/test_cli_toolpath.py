import json
import shutil

import pytest
from typer.testing import CliRunner

from batik_studio.cli import app
from batik_studio.toolpath.io import read_drawing
from batik_studio.toolpath.model import Order, travel_mm
from tests.helpers import DATA, REPO

EXAMPLE = REPO / "src" / "batik_studio" / "toolpath" / "examples" / "megamendung_tile.svg"
runner = CliRunner()


def test_stats_prints_paper_figures():
    """stats prints segments, loops, TS, TC, TL and machining time."""
    result = runner.invoke(app, ["toolpath", "stats", str(DATA / "gcode" / "mach3_arcs.gcode")])
    assert result.exit_code == 0, result.output
    for label in ("segments       3 (1 closed loops)", "draw (TS)", "travel (TC)", "total (TL)", "machining"):
        assert label in result.output


def test_optimize_writes_gcode_report_and_plot(tmp_path):
    """optimize writes G-code, a JSON report with the agreed keys, and a PNG; the report matches the file."""
    out, report, plot = tmp_path / "tile.gcode", tmp_path / "tile.json", tmp_path / "tile.png"
    args = ["toolpath", "optimize", str(EXAMPLE), "-o", str(out), "--report", str(report), "--plot", str(plot)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "travel" in result.output and "best" in result.output and "lower bound" in result.output
    figures = json.loads(report.read_text())
    keys = {
        "segments",
        "closed_loops",
        "draw_mm",
        "travel_before_mm",
        "travel_after_mm",
        "machining_minutes_before",
        "machining_minutes_after",
        "method",
        "seconds",
        "lower_bound_mm",
        "gap_pct",
    }
    assert keys <= figures.keys()
    assert figures["travel_after_mm"] < figures["travel_before_mm"]
    written = read_drawing(out).drawing
    assert len(written) == figures["segments"]
    assert travel_mm(written, Order.identity(len(written))) == pytest.approx(figures["travel_after_mm"], abs=1e-3)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_optimize_options_reach_the_solver(tmp_path):
    """--reloop and --no-return change the result; SVG pen strings are written."""
    out = tmp_path / "out.gcode"
    base = ["toolpath", "optimize", str(EXAMPLE), "-o", str(out), "--report", str(tmp_path / "r.json")]
    assert runner.invoke(app, base).exit_code == 0
    plain = json.loads((tmp_path / "r.json").read_text())["travel_after_mm"]
    looped = runner.invoke(app, [*base, "--reloop", "--no-return", "--pen-down", "M3", "--pen-up", "M5"])
    assert looped.exit_code == 0, looped.output
    assert json.loads((tmp_path / "r.json").read_text())["travel_after_mm"] < plain
    lines = out.read_text().splitlines()
    assert "M3" in lines and "M5" in lines and "G0 X0 Y0" not in lines


def test_gcode_input_with_m3_m5_pen(tmp_path):
    """Pen commands given on the command line are used to read G-code."""
    out = tmp_path / "out.gcode"
    args = ["toolpath", "optimize", str(DATA / "gcode" / "pen_m3_m5.gcode"), "-o", str(out)]
    result = runner.invoke(app, [*args, "--pen-down", "M3", "--pen-up", "M5"])
    assert result.exit_code == 0, result.output
    assert "segments       2" in result.output


@pytest.mark.parametrize("name", ["truncated.gcode", "arc_radius_mismatch.gcode", "binary_junk.gcode", "empty.gcode"])
def test_bad_input_exits_1_and_writes_nothing(tmp_path, name):
    """A broken drawing gives a one-line error naming the file, exit status 1 and no output files."""
    source = tmp_path / name
    shutil.copy(DATA / "gcode" / name, source)
    out, report = tmp_path / "out.gcode", tmp_path / "out.json"
    result = runner.invoke(app, ["toolpath", "optimize", str(source), "-o", str(out), "--report", str(report)])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and name in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_refuses_to_overwrite_input_or_write_into_missing_folder(tmp_path):
    """The output may not replace the input, and its folder must exist."""
    source = tmp_path / "in.gcode"
    shutil.copy(DATA / "gcode" / "mach3_arcs.gcode", source)
    same = runner.invoke(app, ["toolpath", "optimize", str(source), "-o", str(source)])
    assert same.exit_code == 1 and "overwrite the input" in same.output
    missing = runner.invoke(app, ["toolpath", "optimize", str(source), "-o", str(tmp_path / "no" / "out.gcode")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
