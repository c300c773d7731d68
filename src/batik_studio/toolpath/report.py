"""Reports and pictures of an optimisation run: a JSON-ready dict, short text summaries and a before/after plot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from batik_studio.atomic import atomic_outputs
from batik_studio.toolpath.io import Document
from batik_studio.toolpath.model import Drawing, Metrics, Order, travel_moves
from batik_studio.toolpath.solvers.base import OptimizeResult


def result_report(result: OptimizeResult, document: Document) -> dict[str, Any]:
    """The figures of one run as plain JSON types (mm, minutes, seconds)."""
    before, after = result.before, result.after
    saved = 100.0 * (before.travel_mm - after.travel_mm) / before.travel_mm if before.travel_mm > 0 else 0.0
    return {
        "input": str(document.source),
        "kind": document.kind,
        "method": result.method,
        "segments": after.segments,
        "closed_loops": after.closed_loops,
        "draw_mm": after.draw_mm,
        "travel_before_mm": before.travel_mm,
        "travel_after_mm": after.travel_mm,
        "travel_saved_pct": saved,
        "total_before_mm": before.total_mm,
        "total_after_mm": after.total_mm,
        "machining_minutes_before": before.machining_minutes,
        "machining_minutes_after": after.machining_minutes,
        "seconds": result.seconds,
        "lower_bound_mm": result.lower_bound_mm,
        "gap_pct": result.gap_pct,
        "details": result.details,
    }


def metrics_lines(metrics: Metrics) -> list[str]:
    """The paper's figures of a drawing as aligned text lines."""
    return [
        f"segments       {metrics.segments:,} ({metrics.closed_loops:,} closed loops)",
        f"draw (TS)      {metrics.draw_mm:,.1f} mm",
        f"travel (TC)    {metrics.travel_mm:,.1f} mm",
        f"total (TL)     {metrics.total_mm:,.1f} mm",
        f"machining      {metrics.machining_minutes:,.1f} min",
    ]


def report_lines(report: dict[str, Any]) -> list[str]:
    """A short human summary of :func:`result_report`'s dict."""
    lines = [
        f"segments       {report['segments']:,} ({report['closed_loops']:,} closed loops), "
        f"draw {report['draw_mm']:,.1f} mm",
        f"travel         {report['travel_before_mm']:,.1f} mm -> {report['travel_after_mm']:,.1f} mm "
        f"({-report['travel_saved_pct']:+.1f}%) with {report['method']} in {report['seconds']:.2f} s",
        f"machining      {report['machining_minutes_before']:,.1f} min -> {report['machining_minutes_after']:,.1f} min",
    ]
    if report["lower_bound_mm"] is not None:
        gap = "n/a" if report["gap_pct"] is None else f"{report['gap_pct']:.1f}%"
        lines.append(f"lower bound    {report['lower_bound_mm']:,.1f} mm (gap {gap})")
    return lines


def _draw(axes: Any, drawing: Drawing, order: Order, title: str, return_to_origin: bool) -> None:
    from matplotlib.collections import LineCollection

    moves = travel_moves(drawing, order, return_to_origin=return_to_origin)
    travel = float(np.hypot(*(moves[:, 1] - moves[:, 0]).T).sum())
    axes.add_collection(LineCollection(list(drawing.paths), colors="#1f2a44", linewidths=0.6, label="drawing"))
    axes.add_collection(LineCollection(list(moves), colors="#d62728", linewidths=0.5, alpha=0.8, label="pen-up travel"))
    axes.plot(*drawing.origin, marker="o", color="#d62728", markersize=4)
    axes.set_title(f"{title}: travel {travel:,.0f} mm")
    axes.set_aspect("equal")
    axes.autoscale()
    axes.set_xlabel("x (mm)")
    axes.set_ylabel("y (mm)")


def plot_route(
    drawing: Drawing, before: Order, after: Order, path: str | os.PathLike[str], *, return_to_origin: bool = True
) -> Path:
    """Save a PNG with the drawing and its pen-up travel moves, ``before`` on the left and ``after`` on the right.

    Plotted in machine coordinates (y upwards). Written to a temporary file and renamed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    target = Path(path)
    figure = Figure(figsize=(14, 6.5), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    _draw(left, drawing, before, "before", return_to_origin)
    _draw(right, drawing, after, "after", return_to_origin)
    right.legend(loc="upper right", fontsize="small")
    with atomic_outputs(target) as (temporary,):
        figure.savefig(temporary, format="png")
    return target


__all__ = ["metrics_lines", "plot_route", "report_lines", "result_report"]
