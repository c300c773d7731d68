import json
from pathlib import Path

import numpy as np
import pytest

from batik_studio.toolpath.io import Document
from batik_studio.toolpath.model import Drawing, Order
from batik_studio.toolpath.report import metrics_lines, plot_route, report_lines, result_report
from batik_studio.toolpath.solvers import optimize


def small_document() -> Document:
    paths = (np.array([[20.0, 0.0], [30.0, 0.0]]), np.array([[1.0, 0.0], [5.0, 0.0]]))
    return Document(Drawing(paths), Path("two.svg"), "svg")


def test_report_holds_the_agreed_keys_and_json_types():
    """The report is JSON-serialisable and its figures agree with the run."""
    document = small_document()
    result = optimize(document.drawing, "greedy")
    report = result_report(result, document)
    assert json.loads(json.dumps(report)) == report
    assert report["segments"] == 2 and report["closed_loops"] == 0
    assert report["draw_mm"] == pytest.approx(14)
    assert report["travel_before_mm"] == pytest.approx(20 + 29 + 5)
    assert report["travel_after_mm"] == pytest.approx(1 + 15 + 30)
    assert report["machining_minutes_after"] == pytest.approx((14 + 46) / 500)
    assert report["method"] == "greedy" and report["lower_bound_mm"] is None and report["gap_pct"] is None


def test_text_summaries_name_the_figures():
    """The text summaries mention travel before and after and the drawing figures."""
    document = small_document()
    result = optimize(document.drawing, "greedy")
    assert "54.0 mm -> 46.0 mm (-14.8%)" in "\n".join(report_lines(result_report(result, document)))
    assert any(line.startswith("draw (TS)      14.0 mm") for line in metrics_lines(result.before))


def test_the_summary_says_when_the_file_order_was_kept():
    """A method whose own order travels more than the file's hands back the file's order, and the text says so."""
    paths = tuple(np.array([[10.0 * k, 0.0], [10.0 * k + 5, 0.0]]) for k in range(6))
    document = Document(Drawing(paths), Path("row.svg"), "svg")
    result = optimize(document.drawing, "msga", population=4, iterations=1)
    report = result_report(result, document)
    assert result.winner == "input"
    kept = [line for line in report_lines(report) if line.startswith("kept")]
    own_mm = report["details"]["search_travel_mm"]
    assert kept == [f"kept           the file order: shorter than msga's own {own_mm:,.1f} mm"]


def test_plot_route_writes_png(tmp_path):
    """plot_route writes a PNG and nothing else."""
    document = small_document()
    target = plot_route(document.drawing, Order.identity(2), Order.identity(2), tmp_path / "route.png")
    assert target.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["route.png"]


def test_report_gives_groups_cleaning_and_estimate():
    """Travel per group adds up; the estimate is stated per phase; the cleaning figures are carried."""
    from batik_studio.toolpath.cleanup import clean_document
    from batik_studio.toolpath.pipeline import PipelineSettings, order_groups

    paths = (np.array([[20.0, 0.0], [30.0, 0.0]]), np.array([[1.0, 0.0], [5.0, 0.0]]), np.array([[1.0, 0.0], [5.0, 0]]))
    document = Document(Drawing(paths, group_sizes=(1, 2), group_names=("a", "b")), Path("g.svg"), "svg")
    document, cleaning = clean_document(document, merge_tolerance_mm=None, dedupe_mm=None)
    result = order_groups(document.drawing, PipelineSettings(method="greedy", bound=True))
    report = result_report(result, document, cleaning=cleaning, accel_mm_s2=100.0, pen_seconds=1.0)
    assert json.loads(json.dumps(report)) == report
    assert [g["name"] for g in report["groups"]] == ["a", "b"]
    assert sum(g["travel_after_mm"] for g in report["groups"]) == pytest.approx(report["travel_after_mm"])
    groups_bound = sum(g["lower_bound_mm"] for g in report["groups"])
    assert groups_bound - 1e-9 <= report["lower_bound_mm"] <= report["travel_after_mm"] + 1e-9
    assert report["cleaning"]["input_retraced_strokes"] == 1
    after = report["estimate"]["after"]
    assert after["total_seconds"] == pytest.approx(after["draw_seconds"] + after["travel_seconds"] + 3.0)
    text = "\n".join(report_lines(report))
    assert "group 2" in text and "estimate" in text and "(--dedupe drops them)" in text


def test_route_step_figure_shows_progress():
    """The step picture names how many strokes are drawn and how far the pen travelled so far."""
    from batik_studio.toolpath.report import route_step_figure

    document = small_document()
    figure = route_step_figure(document.drawing, Order.identity(2), 1)
    assert figure.axes[0].get_title() == "1 of 2 strokes drawn, travel so far 49 mm"
