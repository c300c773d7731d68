"""The machining-time estimate with acceleration."""

import numpy as np
import pytest

from batik_studio.toolpath.model import Drawing, Order, measure
from batik_studio.toolpath.timing import estimate_seconds, trapezoid_seconds


def test_trapezoid_cruises_or_peaks():
    """A long move cruises (d/v + v/a); a short one never reaches the feed (2 sqrt(d/a))."""
    seconds = trapezoid_seconds(np.array([100.0, 1.0]), np.zeros(2), np.zeros(2), 10.0, 100.0)
    assert seconds[0] == pytest.approx(100 / 10 + 10 / 100)
    assert seconds[1] == pytest.approx(2 * np.sqrt(1 / 100))


def test_estimate_is_slower_than_constant_feed_and_counts_pen_time():
    """Acceleration and corners only add time; pen time adds per stroke; a straight polyline keeps speed."""
    zigzag = np.array([[x, (x % 2) * 5.0] for x in range(0, 40, 1)], dtype=float)
    straight = np.column_stack([np.linspace(0, 100, 51), np.zeros(51)])
    drawing = Drawing((zigzag, straight + [0, 20]))
    order = Order.identity(2)
    feeds = {"draw_feed_mm_min": 600.0, "rapid_feed_mm_min": 600.0}
    paper = measure(drawing, order, **feeds).machining_minutes * 60
    slow = estimate_seconds(drawing, order, accel_mm_s2=50.0, **feeds)
    fast = estimate_seconds(drawing, order, accel_mm_s2=1e7, **feeds)
    assert slow["total_seconds"] > fast["total_seconds"] >= paper * (1 - 1e-9)
    assert fast["total_seconds"] == pytest.approx(paper, rel=1e-3)
    pens = estimate_seconds(drawing, order, accel_mm_s2=50.0, pen_seconds=0.5, **feeds)
    assert pens["total_seconds"] == pytest.approx(slow["total_seconds"] + 1.0)
    line = Drawing((straight,))
    one = estimate_seconds(line, Order.identity(1), accel_mm_s2=100.0, return_to_origin=False, **feeds)
    assert one["draw_seconds"] == pytest.approx(100 / 10 + 10 / 100)
