"""The toolpath use case, once for the command line and the app: read a drawing, order it group by group, write it.

:func:`optimise_file` reads G-code, SVG or DXF, optionally joins touching strokes and drops retraced ones, orders
each group on its own (groups stay in their sequence, so tool changes and pauses keep their place), proves a
lower bound per group, and writes the new G-code or SVG, the JSON report and the route plot, each atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from batik_studio.atomic import atomic_outputs, check_outputs
from batik_studio.errors import DrawingError
from batik_studio.toolpath.io import Document, GcodeSettings, PenSettings, Placement, read_drawing, write_drawing
from batik_studio.toolpath.model import (
    DEFAULT_DRAW_FEED_MM_MIN,
    DEFAULT_RAPID_FEED_MM_MIN,
    Drawing,
    Order,
    combine_group_orders,
    entry_exit_points,
    measure,
    travel_mm,
)
from batik_studio.toolpath.report import plot_route, result_report
from batik_studio.toolpath.solvers import OptimizeResult, SolveOptions, optimize
from batik_studio.toolpath.solvers.params import default_time_limit_s

#: Share of a grouped drawing's time limits spent on the groups; the rest proves the whole drawing's bound.
_GROUPS_SHARE = 0.9


@dataclass(frozen=True)
class PipelineSettings:
    """Everything :func:`optimise_file` needs besides the file: reading, cleaning, ordering, timing, writing.

    ``gcode`` says how SVG and DXF strokes are written as G-code (G-code input keeps its own pen lines).
    ``merge_tolerance_mm`` joins strokes whose ends meet within it and ``dedupe_mm`` drops strokes that retrace
    another within it; both are off (``None``) unless asked, since they change what is drawn. ``accel_mm_s2``
    adds a machining-time estimate with acceleration; ``pen_seconds`` is the pen-up plus pen-down time per stroke.
    """

    method: str = "best"
    method_params: dict[str, Any] = field(default_factory=dict)
    options: SolveOptions = field(default_factory=SolveOptions)
    bound: bool = True
    bound_time_limit_s: float | None = None
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN
    pen: PenSettings = field(default_factory=PenSettings)
    tolerance_mm: float = 0.05
    placement: Placement = field(default_factory=Placement)
    merge_groups: bool = False
    merge_tolerance_mm: float | None = None
    dedupe_mm: float | None = None
    accel_mm_s2: float | None = None
    pen_seconds: float = 0.0
    gcode: GcodeSettings = field(default_factory=GcodeSettings)

    def __post_init__(self) -> None:
        if not (self.draw_feed_mm_min > 0 and self.rapid_feed_mm_min > 0):
            raise DrawingError("feeds must be positive (mm/min)")
        if self.options.time_limit_s is not None and not self.options.time_limit_s > 0:
            raise DrawingError(f"the time limit must be positive, got {self.options.time_limit_s} s")
        if self.bound_time_limit_s is not None and not self.bound_time_limit_s > 0:
            raise DrawingError(f"the bound's time limit must be positive, got {self.bound_time_limit_s} s")
        for name in ("merge_tolerance_mm", "dedupe_mm", "accel_mm_s2"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise DrawingError(f"{name.replace('_', ' ')} must be positive, got {value}")
        if not self.pen_seconds >= 0:
            raise DrawingError(f"pen seconds must not be negative, got {self.pen_seconds}")


@dataclass(frozen=True, eq=False)
class Outcome:
    """One run: the document as ordered (after any merge or dedupe), the result, the report and what was written."""

    document: Document
    result: OptimizeResult
    report: dict[str, Any]
    written: tuple[Path, ...]


def _exit_radius_mm(drawing: Drawing, point: np.ndarray, reloop: bool) -> float:
    """The farthest any order of ``drawing`` can end from ``point``: a stroke end, or any loop vertex if re-looped."""
    candidates = [drawing.starts, drawing.ends]
    if reloop:
        candidates += [drawing.paths[i] for i in np.flatnonzero(drawing.closed)]
    every = np.concatenate(candidates)
    return float(np.hypot(*(every - point).T).max())


def _never_worse(drawing: Drawing, orders: list[Order], return_to_origin: bool) -> Order:
    """The groups' orders combined, each group falling back to its file order where that travels less overall.

    Each group was ordered from where the one before ended, without knowing where the next one starts or (for
    the last) that the job returns to the origin; so, starting from the file order, each group takes its new
    order only where the whole job then travels less, and the result never travels more than the file order.
    """
    combined = combine_group_orders(drawing, orders)
    best = travel_mm(drawing, combined, return_to_origin=return_to_origin)
    identity = [Order.identity(len(span)) for span in drawing.group_ranges()]
    if best <= travel_mm(drawing, combine_group_orders(drawing, identity), return_to_origin=return_to_origin):
        return combined
    chosen = list(identity)
    best = travel_mm(drawing, combine_group_orders(drawing, chosen), return_to_origin=return_to_origin)
    for g, order in enumerate(orders):
        trial = [*chosen[:g], order, *chosen[g + 1 :]]
        travel = travel_mm(drawing, combine_group_orders(drawing, trial), return_to_origin=return_to_origin)
        if travel < best:
            chosen, best = trial, travel
    return combine_group_orders(drawing, chosen)


def order_groups(
    drawing: Drawing,
    settings: PipelineSettings,
    progress: Callable[[float], None] | None = None,
    on_search_start: Callable[[], None] | None = None,
) -> OptimizeResult:
    """Order each group of ``drawing`` alone, in sequence, each starting where the one before ended.

    ``on_search_start`` is called as each group's search starts (see :func:`~.solvers.optimize`).

    One group is ordered exactly as :func:`~batik_studio.toolpath.solvers.optimize` orders a drawing. With
    several, the time limits are shared out by the groups' sizes (a tenth kept for the whole drawing's bound);
    each group's bound is lowered by how far the group before could end from where this order ended it (so their
    sum holds for every order that keeps the groups in sequence), and the bound reported is the larger of that sum
    and the bound of the whole drawing ordered freely (which no grouped order can beat either).
    """
    feeds = {"draw_feed_mm_min": settings.draw_feed_mm_min, "rapid_feed_mm_min": settings.rapid_feed_mm_min}
    if len(drawing.group_sizes) <= 1:
        return optimize(
            drawing,
            settings.method,
            settings.options,
            progress=progress,
            bound=settings.bound,
            bound_time_limit_s=settings.bound_time_limit_s,
            on_search_start=on_search_start,
            **feeds,
            **settings.method_params,
        )
    ranges = drawing.group_ranges()
    search_s, bound_s = settings.options.time_limit_s, settings.bound_time_limit_s or settings.options.time_limit_s
    start = np.asarray(drawing.origin, dtype=np.float64)
    orders: list[Order] = []
    bounds: list[float | None] = []
    seconds = 0.0
    details: dict[str, Any] = {"groups": []}
    for g, span in enumerate(ranges):
        part = drawing.group(g, origin=(float(start[0]), float(start[1])))
        done = len(orders) / len(ranges)
        report = None if progress is None else (lambda f, d=done: progress(d + f / len(ranges)))
        share = _GROUPS_SHARE * len(span) / len(drawing)
        options = SolveOptions(
            return_to_origin=False,
            reloop=settings.options.reloop,
            time_limit_s=None if search_s is None else share * search_s,
            seed=settings.options.seed,
        )
        result = optimize(
            part,
            settings.method,
            options,
            progress=report,
            bound=settings.bound,
            bound_time_limit_s=None if bound_s is None else share * bound_s,
            on_search_start=on_search_start,
            **feeds,
            **settings.method_params,
        )
        orders.append(result.order)
        seconds += result.seconds
        lower = result.lower_bound_mm
        if lower is not None and g > 0:
            previous = drawing.group(g - 1)
            lower = max(0.0, lower - _exit_radius_mm(previous, start, settings.options.reloop))
        bounds.append(lower)
        details["groups"].append({"name": drawing.group_names[g], "segments": len(span), **result.details})
        _, exits = entry_exit_points(part, result.order)
        start = exits[-1]
    return_to_origin = settings.options.return_to_origin
    order = _never_worse(drawing, orders, return_to_origin)
    before = measure(drawing, return_to_origin=return_to_origin, **feeds)
    after = measure(drawing, order, return_to_origin=return_to_origin, **feeds)
    total_bound = None if any(b is None for b in bounds) else float(sum(bounds))
    details["group_lower_bounds_mm"] = bounds
    if total_bound is not None:
        from batik_studio.toolpath.bounds import lower_bound

        whole = lower_bound(
            drawing.merged(),
            return_to_origin=return_to_origin,
            reloop=settings.options.reloop,
            time_limit_s=(1 - _GROUPS_SHARE) * (bound_s or default_time_limit_s(2 * len(drawing))),
            upper_bound_mm=after.travel_mm,
        ).value_mm
        details["whole_drawing_lower_bound_mm"] = whole
        details["lower_bound_of"] = "groups" if total_bound >= whole else "whole drawing"
        total_bound = max(total_bound, whole)
    return OptimizeResult(settings.method, order, before, after, seconds, total_bound, details)


def describe_drawing(
    document: Document,
    *,
    return_to_origin: bool = True,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
    accel_mm_s2: float | None = None,
    pen_seconds: float = 0.0,
) -> list[str]:
    """Text lines on a drawing as it is: the paper's figures, its groups, touching and retraced strokes, timing."""
    from batik_studio.toolpath.cleanup import check_strokes
    from batik_studio.toolpath.report import cleaning_lines, group_figures, group_hint_lines, metrics_lines
    from batik_studio.toolpath.timing import estimate_seconds

    drawing = document.drawing
    feeds = {"draw_feed_mm_min": draw_feed_mm_min, "rapid_feed_mm_min": rapid_feed_mm_min}
    lines = metrics_lines(measure(drawing, return_to_origin=return_to_origin, **feeds))
    identity = Order.identity(len(drawing))
    if accel_mm_s2 is not None:
        seconds = estimate_seconds(
            drawing,
            identity,
            accel_mm_s2=accel_mm_s2,
            pen_seconds=pen_seconds,
            return_to_origin=return_to_origin,
            **feeds,
        )
        lines.append(
            f"estimate       {seconds['total_seconds'] / 60:,.2f} min with acceleration {accel_mm_s2:g} mm/s2 and "
            f"{pen_seconds:g} s pen time per stroke (an estimate; length over feed gives the line above)"
        )
    groups = group_figures(drawing, identity, identity, return_to_origin=return_to_origin)
    lines += group_hint_lines(groups)
    if len(groups) > 1:
        for g, group in enumerate(groups):
            lines.append(
                f"group {g + 1:<8} {group['name'][:40]!r}: {group['segments']:,} strokes, draw "
                f"{group['draw_mm']:,.1f} mm, travel {group['travel_before_mm']:,.1f} mm"
            )
    checks = check_strokes(drawing)
    lines += cleaning_lines({f"input_{k}": v for k, v in asdict(checks).items()})
    return lines


def prepare(document: Document, settings: PipelineSettings) -> tuple[Document, dict[str, Any]]:
    """The document to order: groups merged, touching strokes joined and retraced ones dropped, as asked."""
    from batik_studio.toolpath.cleanup import clean_document

    if settings.merge_groups:
        document = document.merge_groups()
    return clean_document(document, merge_tolerance_mm=settings.merge_tolerance_mm, dedupe_mm=settings.dedupe_mm)


def _order_checking(document: Document, settings: PipelineSettings, progress) -> tuple[OptimizeResult, Any]:
    """Order ``document``'s drawing while its touching and retraced strokes are counted beside the search.

    The counts change nothing that is ordered (no merge or dedupe is asked), so they are taken on another thread
    from the moment the compiled search starts, on the core the search leaves to the bound, instead of before it.
    """
    from batik_studio.toolpath.cleanup import check_strokes

    with ThreadPoolExecutor(max_workers=1) as pool:
        checking: list[Future] = []

        def start() -> None:
            if not checking:
                checking.append(pool.submit(check_strokes, document.drawing))

        result = order_groups(document.drawing, settings, progress, on_search_start=start)
        start()
        return result, checking[0].result()


def optimise_file(
    path: str | os.PathLike[str],
    settings: PipelineSettings,
    *,
    output: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    plot: str | os.PathLike[str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> Outcome:
    """Read ``path``, order it group by group and write the result (G-code, or SVG for an ``.svg`` output).

    The report (JSON) and the plot (PNG, the route before and after, drawn as the user drew it) are written
    when their paths are given: all of them, each to a temporary file renamed at the end, or none.
    """
    source = Path(path)
    check_outputs([output, report, plot], inputs=[source])
    document = read_drawing(source, pen=settings.pen, tolerance_mm=settings.tolerance_mm, placement=settings.placement)
    if settings.merge_tolerance_mm is None and settings.dedupe_mm is None:
        from batik_studio.toolpath.cleanup import clean_document

        if settings.merge_groups:
            document = document.merge_groups()
        result, checks = _order_checking(document, settings, progress)
        document, cleaning = clean_document(document, merge_tolerance_mm=None, dedupe_mm=None, checks=checks)
    else:
        document, cleaning = prepare(document, settings)
        result = order_groups(document.drawing, settings, progress)
    figures = result_report(
        result,
        document,
        cleaning=cleaning,
        accel_mm_s2=settings.accel_mm_s2,
        pen_seconds=settings.pen_seconds,
        return_to_origin=settings.options.return_to_origin,
        draw_feed_mm_min=settings.draw_feed_mm_min,
        rapid_feed_mm_min=settings.rapid_feed_mm_min,
    )
    gcode = settings.gcode
    if document.kind == "gcode":
        gcode = replace(gcode, pen_up=None, pen_down=None)
    # Every output is made in full before any is renamed into place: a failure leaves all of them as they were.
    with atomic_outputs(output, report, plot, inputs=[source]) as (output_file, report_file, plot_file):
        if output_file is not None:
            write_drawing(document, result.order, output_file, settings=gcode)
        if report_file is not None:
            report_file.write_text(json.dumps(figures, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        if plot_file is not None:
            before = Order.identity(len(document.drawing))
            plot_route(
                document.drawing,
                before,
                result.order,
                plot_file,
                return_to_origin=settings.options.return_to_origin,
                y_down=document.y_down,
            )
    written = tuple(Path(p) for p in (output, report, plot) if p is not None)
    return Outcome(document, result, figures, written)


__all__ = ["Outcome", "PipelineSettings", "describe_drawing", "optimise_file", "order_groups", "prepare"]
