"""A machining-time estimate with the machine's acceleration, beside the paper's constant-feed figure.

The paper times a job as length over feed. A real controller speeds up and slows down: every travel move starts
and ends at rest, and inside a stroke the pen slows at corners. This estimate plans each move as a trapezoid
(accelerate at ``accel_mm_s2``, cruise at the feed, decelerate), with the corner speed that grbl's junction
deviation rule allows between two segments of a stroke, speed limits carried forward and backward along the
stroke (so a short segment is not left at full feed), and a fixed time per stroke for lowering and lifting the
pen. It is an estimate: controllers differ in look-ahead, jerk and pen timing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from batik_studio.toolpath.model import Drawing, Order, oriented_path, travel_moves

#: grbl's default junction deviation (mm): how far the path may be rounded at a corner to keep speed.
JUNCTION_DEVIATION_MM = 0.01


def trapezoid_seconds(
    length_mm: np.ndarray, entry_mm_s: np.ndarray, exit_mm_s: np.ndarray, feed_mm_s: float, accel_mm_s2: float
) -> np.ndarray:
    """Time of straight moves that enter and leave at the given speeds, cruising at most at ``feed_mm_s``."""
    d = np.asarray(length_mm, dtype=np.float64)
    u = np.minimum(np.asarray(entry_mm_s, dtype=np.float64), feed_mm_s)
    w = np.minimum(np.asarray(exit_mm_s, dtype=np.float64), feed_mm_s)
    ramps = (2 * feed_mm_s**2 - u**2 - w**2) / (2 * accel_mm_s2)
    cruise = d >= ramps
    peak = np.sqrt(np.maximum((2 * accel_mm_s2 * d + u**2 + w**2) / 2, 0.0))
    top = np.where(cruise, feed_mm_s, np.maximum(peak, np.maximum(u, w)))
    seconds = (2 * top - u - w) / accel_mm_s2 + np.where(cruise, (d - ramps) / feed_mm_s, 0.0)
    return np.where(d > 0, seconds, 0.0)


@njit(cache=True)
def _limit_speeds(caps: np.ndarray, lengths: np.ndarray, joined: np.ndarray, accel_mm_s2: float) -> np.ndarray:
    """Vertex speeds no higher than ``caps`` that the acceleration can reach from both neighbours."""
    speeds = caps.copy()
    for j in range(len(lengths)):
        if joined[j]:
            speeds[j + 1] = min(speeds[j + 1], np.sqrt(speeds[j] ** 2 + 2 * accel_mm_s2 * lengths[j]))
    for j in range(len(lengths) - 1, -1, -1):
        if joined[j]:
            speeds[j] = min(speeds[j], np.sqrt(speeds[j + 1] ** 2 + 2 * accel_mm_s2 * lengths[j]))
    return speeds


def estimate_seconds(
    drawing: Drawing,
    order: Order,
    *,
    accel_mm_s2: float,
    draw_feed_mm_min: float,
    rapid_feed_mm_min: float,
    pen_seconds: float = 0.0,
    return_to_origin: bool = True,
    junction_deviation_mm: float = JUNCTION_DEVIATION_MM,
) -> dict[str, float]:
    """Drawing, travel and pen seconds of ``drawing`` in ``order`` with acceleration, and their sum."""
    if not (accel_mm_s2 > 0 and draw_feed_mm_min > 0 and rapid_feed_mm_min > 0 and pen_seconds >= 0):
        raise ValueError("acceleration and feeds must be positive, pen seconds not negative")
    draw_v, rapid_v = draw_feed_mm_min / 60.0, rapid_feed_mm_min / 60.0
    moves = travel_moves(drawing, order, return_to_origin=return_to_origin)
    hops = np.hypot(*(moves[:, 1] - moves[:, 0]).T)
    travel_s = float(trapezoid_seconds(hops, 0 * hops, 0 * hops, rapid_v, accel_mm_s2).sum())
    draw_s = 0.0
    if len(drawing):
        points = [oriented_path(drawing, order, int(s)) for s in order.sequence]
        every = np.concatenate(points)
        starts = np.cumsum([0] + [len(p) for p in points])
        joined = np.ones(max(len(every) - 1, 0), dtype=np.bool_)
        joined[starts[1:-1] - 1] = False
        steps = np.diff(every, axis=0)
        lengths = np.hypot(*steps.T) * joined
        unit = steps / np.where(lengths > 0, lengths, 1.0)[:, None]
        caps = np.full(len(every), draw_v)
        cos_turn = np.clip(-(unit[:-1] * unit[1:]).sum(axis=1), -1.0, 1.0)
        sin_half = np.sqrt(0.5 * (1.0 - cos_turn))
        corner = np.sqrt(accel_mm_s2 * junction_deviation_mm * sin_half / np.maximum(1.0 - sin_half, 1e-12))
        caps[1:-1] = np.minimum(draw_v, corner)
        caps[starts[:-1]] = 0.0
        caps[starts[1:] - 1] = 0.0
        speeds = _limit_speeds(caps, lengths, joined, float(accel_mm_s2))
        draw_s = float(trapezoid_seconds(lengths, speeds[:-1], speeds[1:], draw_v, accel_mm_s2).sum())
    pen_s = pen_seconds * len(drawing)
    return {
        "draw_seconds": draw_s,
        "travel_seconds": travel_s,
        "pen_seconds": pen_s,
        "total_seconds": draw_s + travel_s + pen_s,
    }


__all__ = ["JUNCTION_DEVIATION_MM", "estimate_seconds", "trapezoid_seconds"]
