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


def test_optimize_mach3_to_svg_with_cleaning_and_estimate(tmp_path):
    """Groups, touching/retraced counts and the acceleration estimate are printed; the SVG keeps the groups."""
    from tests.toolpath.io.machine_fixtures import write_mach3

    source = write_mach3(tmp_path)
    out, report = tmp_path / "route.svg", tmp_path / "r.json"
    args = ["toolpath", "optimize", str(source), "-o", str(out), "--report", str(report), "-m", "greedy"]
    args += ["--dedupe", "--dedupe-tolerance", "0.1", "--merge-tolerance", "0.1", "--accel-mm-s2", "200"]
    result = runner.invoke(app, [*args, "--pen-seconds", "0.4"])
    assert result.exit_code == 0, result.output
    for text in ("'M0 (refill wax)'", "'T2 M6 (second canting)'", "touching", "retraced", "dedupe", "merge"):
        assert text in result.output
    assert "estimate" in result.output and "(estimate:" in result.output
    figures = json.loads(report.read_text())
    assert [g["segments"] for g in figures["groups"]] == [3, 2, 2]
    assert figures["estimate"]["after"]["pen_seconds"] == pytest.approx(7 * 0.4)
    assert sum(g["travel_after_mm"] for g in figures["groups"]) == pytest.approx(figures["travel_after_mm"])
    assert read_drawing(out).drawing.group_sizes == (3, 2, 2)


def test_merge_groups_across_a_tool_change_is_one_error_line(tmp_path):
    """--merge-groups on a file with a pause between groups exits 1 naming the line, and writes nothing."""
    from tests.toolpath.io.machine_fixtures import write_mach3

    out = tmp_path / "o.gcode"
    result = runner.invoke(app, ["toolpath", "optimize", str(write_mach3(tmp_path)), "-o", str(out), "--merge-groups"])
    assert result.exit_code == 1
    assert "line 23: 'M0 (refill wax)'" in result.output and not out.exists()


def test_stats_on_dxf_lists_groups_and_placement_errors(tmp_path):
    """stats reads DXF layers as groups; a bad --origin and --y-down on G-code are one-line errors."""
    from tests.toolpath.io.machine_fixtures import write_librecad_dxf, write_mach3

    dxf = write_librecad_dxf(tmp_path)
    result = runner.invoke(app, ["toolpath", "stats", str(dxf), "--origin", "100,100", "--accel-mm-s2", "500"])
    assert result.exit_code == 0, result.output
    assert "'outline': 3 strokes" in result.output and "'blok': 2 strokes" in result.output
    assert "estimate" in result.output
    bad = runner.invoke(app, ["toolpath", "stats", str(dxf), "--origin", "left"])
    assert bad.exit_code == 1 and "--origin 'left'" in bad.output
    moved = runner.invoke(app, ["toolpath", "stats", str(write_mach3(tmp_path)), "--y-down"])
    assert moved.exit_code == 1 and "G-code is drawn where it is" in moved.output
    assert "(options: --y-down, --origin)" in moved.output
