"""Reports and pictures of an optimisation run: a JSON-ready dict, short text summaries and a before/after plot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from batik_studio.atomic import atomic_outputs
from batik_studio.toolpath.io import Document
from batik_studio.toolpath.model import (
    DEFAULT_DRAW_FEED_MM_MIN,
    DEFAULT_RAPID_FEED_MM_MIN,
    Drawing,
    Metrics,
    Order,
    travel_by_group_mm,
    travel_moves,
)
from batik_studio.toolpath.solvers.base import OptimizeResult


def group_figures(drawing: Drawing, before: Order, after: Order, *, return_to_origin: bool = True) -> list[dict]:
    """Per group, in sequence: its name, strokes, draw length and travel before and after (mm)."""
    travel_before = travel_by_group_mm(drawing, before, return_to_origin=return_to_origin)
    travel_after = travel_by_group_mm(drawing, after, return_to_origin=return_to_origin)
    return [
        {
            "name": drawing.group_names[g],
            "segments": len(span),
            "draw_mm": float(drawing.lengths_mm[span.start : span.stop].sum()),
            "travel_before_mm": travel_before[g],
            "travel_after_mm": travel_after[g],
        }
        for g, span in enumerate(drawing.group_ranges())
    ]


def result_report(
    result: OptimizeResult,
    document: Document,
    *,
    cleaning: dict[str, Any] | None = None,
    accel_mm_s2: float | None = None,
    pen_seconds: float = 0.0,
    return_to_origin: bool = True,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
) -> dict[str, Any]:
    """The figures of one run as plain JSON types (mm, minutes, seconds).

    ``groups`` gives travel per group (the moves into its strokes; the last also carries the way home) and,
    when bounds were proved group by group, each group's bound. ``cleaning`` is what
    :func:`~batik_studio.toolpath.cleanup.clean_document` reported (touching and retraced counts). With
    ``accel_mm_s2``, ``estimate`` holds the machining time planned with acceleration (an estimate, see
    :mod:`batik_studio.toolpath.timing`).
    """
    before, after = result.before, result.after
    saved = 100.0 * (before.travel_mm - after.travel_mm) / before.travel_mm if before.travel_mm > 0 else 0.0
    drawing = document.drawing
    identity = Order.identity(len(drawing))
    groups = group_figures(drawing, identity, result.order, return_to_origin=return_to_origin)
    for group, bound in zip(groups, result.details.get("group_lower_bounds_mm", []), strict=False):
        group["lower_bound_mm"] = bound
    estimate = None
    if accel_mm_s2 is not None:
        from batik_studio.toolpath.timing import estimate_seconds

        timing = {
            "accel_mm_s2": accel_mm_s2,
            "draw_feed_mm_min": draw_feed_mm_min,
            "rapid_feed_mm_min": rapid_feed_mm_min,
            "pen_seconds": pen_seconds,
            "return_to_origin": return_to_origin,
        }
        estimate = {
            "accel_mm_s2": accel_mm_s2,
            "pen_seconds_per_stroke": pen_seconds,
            "before": estimate_seconds(drawing, identity, **timing),
            "after": estimate_seconds(drawing, result.order, **timing),
        }
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
        "groups": groups,
        "cleaning": cleaning,
        "estimate": estimate,
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


def cleaning_lines(cleaning: dict[str, Any] | None) -> list[str]:
    """What the touching and retraced checks found, and what merging and deduplication did."""
    if not cleaning:
        return []
    tolerance = cleaning["input_tolerance_mm"]
    lines = [
        f"touching       {cleaning['input_touching_strokes']:,} strokes meet another end to end within {tolerance:g} mm"
        + ("" if "merge_tolerance_mm" in cleaning else " (--merge-tolerance joins them)"),
        f"retraced       {cleaning['input_retraced_strokes']:,} strokes ({cleaning['input_retraced_mm']:,.1f} mm) "
        f"retrace another within {tolerance:g} mm" + ("" if "dedupe_mm" in cleaning else " (--dedupe drops them)")
        if cleaning["input_retraced_strokes"] is not None
        else "retraced       not counted: the drawing is too large to search for retraced strokes",
    ]
    if "dedupe_mm" in cleaning:
        lines.append(
            f"dedupe         dropped {cleaning['strokes_dropped']:,} strokes ({cleaning['dropped_mm']:,.1f} mm) "
            f"within {cleaning['dedupe_mm']:g} mm"
        )
    if "merge_tolerance_mm" in cleaning:
        lines.append(
            f"merge          joined into {cleaning['strokes']:,} strokes ({cleaning['strokes_joined']:,} fewer) "
            f"within {cleaning['merge_tolerance_mm']:g} mm"
        )
    return lines


def estimate_lines(estimate: dict[str, Any] | None) -> list[str]:
    """The machining-time estimate with acceleration, stated as an estimate."""
    if not estimate:
        return []
    before, after = estimate["before"], estimate["after"]
    return [
        f"estimate       {before['total_seconds'] / 60:,.1f} min -> {after['total_seconds'] / 60:,.1f} min with "
        f"acceleration {estimate['accel_mm_s2']:g} mm/s2 and {estimate['pen_seconds_per_stroke']:g} s pen time "
        f"per stroke (estimate: draw {after['draw_seconds'] / 60:,.1f}, travel {after['travel_seconds'] / 60:,.1f}, "
        f"pen {after['pen_seconds'] / 60:,.1f} min)"
    ]


def group_hint_lines(groups: list[dict[str, Any]]) -> list[str]:
    """A hint when machine commands stand between every two strokes, so nothing can be re-ordered."""
    if len(groups) < 2 or any(group["segments"] > 1 for group in groups):
        return []
    return [
        f"note           commands stand between all {len(groups)} strokes, so each is a group of its own and the "
        "order cannot change; if they lift and lower the pen (M3/M5), give them as --pen-down and --pen-up"
    ]


def report_lines(report: dict[str, Any]) -> list[str]:
    """A short human summary of :func:`result_report`'s dict."""
    lines = [
        f"segments       {report['segments']:,} ({report['closed_loops']:,} closed loops), "
        f"draw {report['draw_mm']:,.1f} mm",
        f"travel         {report['travel_before_mm']:,.1f} mm -> {report['travel_after_mm']:,.1f} mm "
        f"({-report['travel_saved_pct']:+.1f}%) with {report['method']} in {report['seconds']:.2f} s",
        f"machining      {report['machining_minutes_before']:,.1f} min -> {report['machining_minutes_after']:,.1f} min"
        " (length over feed)",
    ]
    lines += estimate_lines(report.get("estimate"))
    details = report.get("details") or {}
    if details.get("winner") in ("input", "greedy") and details.get("search_travel_mm") is not None:
        lines.append(
            f"kept           the {'file' if details['winner'] == 'input' else 'greedy'} order: shorter than "
            f"{report['method']}'s own {details['search_travel_mm']:,.1f} mm"
        )
    if report["lower_bound_mm"] is not None:
        gap = "n/a" if report["gap_pct"] is None else f"{report['gap_pct']:.1f}%"
        of = (report.get("details") or {}).get("lower_bound_of")
        what = {"groups": " (sum over groups)", "whole drawing": " (whole drawing, groups aside)"}.get(of, "")
        lines.append(f"lower bound    {report['lower_bound_mm']:,.1f} mm (gap {gap}){what}")
    groups = report.get("groups") or []
    if len(groups) > 1:
        for g, group in enumerate(groups):
            bound = group.get("lower_bound_mm")
            bound_text = "" if bound is None else f", bound {bound:,.1f} mm"
            lines.append(
                f"group {g + 1:<8} {group['name'][:40]!r}: {group['segments']:,} strokes, travel "
                f"{group['travel_before_mm']:,.1f} -> {group['travel_after_mm']:,.1f} mm{bound_text}"
            )
    lines += group_hint_lines(groups)
    lines += cleaning_lines(report.get("cleaning"))
    return lines


def _draw(axes: Any, drawing: Drawing, order: Order, title: str, return_to_origin: bool, y_down: bool) -> None:
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
    axes.set_ylabel("y (mm, downwards)" if y_down else "y (mm)")
    if y_down and not axes.yaxis_inverted():
        axes.invert_yaxis()


def route_step_figure(drawing: Drawing, order: Order, strokes: int, *, y_down: bool = False) -> Any:
    """A figure of the route after its first ``strokes`` strokes, to step through the order before waxing.

    Strokes drawn so far are dark, the pen-up travel so far red, the next stroke (if any) blue and dashed and
    the rest of the drawing faint grey. Shown as drawn (y downwards for ``y_down`` drawings).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from batik_studio.toolpath.model import oriented_path

    strokes = max(0, min(int(strokes), len(drawing)))
    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    paths = [oriented_path(drawing, order, int(s)) for s in order.sequence]
    moves = travel_moves(drawing, order, return_to_origin=True)
    axes.add_collection(LineCollection(list(drawing.paths), colors="#d0d0d0", linewidths=0.5))
    if strokes:
        axes.add_collection(LineCollection(paths[:strokes], colors="#1f2a44", linewidths=0.9, label="drawn"))
    shown = moves[: strokes + 1] if strokes < len(drawing) else moves
    axes.add_collection(LineCollection(list(shown), colors="#d62728", linewidths=0.6, label="pen-up travel"))
    if strokes < len(drawing):
        axes.add_collection(
            LineCollection([paths[strokes]], colors="#1f77b4", linewidths=1.6, linestyles="dashed", label="next")
        )
    axes.plot(*drawing.origin, marker="o", color="#d62728", markersize=4)
    travelled = float(np.hypot(*(shown[:, 1] - shown[:, 0]).T).sum()) if len(shown) else 0.0
    axes.set_title(f"{strokes:,} of {len(drawing):,} strokes drawn, travel so far {travelled:,.0f} mm")
    axes.set_aspect("equal")
    axes.autoscale()
    if y_down:
        axes.invert_yaxis()
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=3, fontsize="small", frameon=False)
    return figure


def plot_route(
    drawing: Drawing,
    before: Order,
    after: Order,
    path: str | os.PathLike[str],
    *,
    return_to_origin: bool = True,
    y_down: bool = False,
) -> Path:
    """Save a PNG with the drawing and its pen-up travel moves, ``before`` on the left and ``after`` on the right.

    Plotted in machine coordinates, y upwards, or downwards for drawings kept in SVG coordinates (``y_down``),
    so the picture always shows the drawing as it was drawn. Written to a temporary file and renamed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    target = Path(path)
    figure = Figure(figsize=(14, 6.5), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    _draw(left, drawing, before, "before", return_to_origin, y_down)
    _draw(right, drawing, after, "after", return_to_origin, y_down)
    right.legend(loc="upper right", fontsize="small")
    with atomic_outputs(target) as (temporary,):
        figure.savefig(temporary, format="png")
    return target


__all__ = [
    "cleaning_lines",
    "estimate_lines",
    "group_figures",
    "group_hint_lines",
    "metrics_lines",
    "plot_route",
    "report_lines",
    "result_report",
    "route_step_figure",
]
