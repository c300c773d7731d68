from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batik_studio.toolpath.io import Document, GcodeSettings, PenSettings, read_drawing, write_gcode
from batik_studio.toolpath.model import Drawing, Order, oriented_path, travel_mm
from batik_studio.toolpath.pipeline import PipelineSettings, order_groups
from batik_studio.toolpath.solvers import SolveOptions, optimize
from tests.helpers import DATA, shared_files

OWN_FIXTURES = ["mach3_arcs.gcode", "inch_units.gcode", "relative_moves.gcode", "pen_m3_m5.gcode"]
SHARED = shared_files("gcode", "svg", "batik", suffix=".gcode") + shared_files("gcode", "svg", "batik", suffix=".svg")


def pen_for(path: Path) -> PenSettings:
    return PenSettings(down_command="M3", up_command="M5") if "m3_m5" in path.name else PenSettings()


def assert_same_strokes(document: Document, order: Order, again: Document) -> None:
    """The re-read file draws segment ``order.sequence[k]`` as its k-th stroke, oriented as ordered."""
    assert len(again.drawing) == len(document.drawing)
    for k, segment in enumerate(order.sequence):
        expected = oriented_path(document.drawing, order, int(segment))
        got = again.drawing.paths[k]
        assert got.shape == expected.shape, f"stroke {k} (segment {segment})"
        assert np.abs(got - expected).max() <= 1e-6, f"stroke {k} (segment {segment})"


def round_trip(path: Path, tmp_path: Path) -> None:
    document = read_drawing(path, pen=pen_for(path))
    result = order_groups(document.drawing, PipelineSettings(method="greedy", bound=False))
    written = write_gcode(document, result.order, tmp_path / "out.gcode")
    again = read_drawing(written, pen=pen_for(path))
    assert_same_strokes(document, result.order, again)
    # each written point is within 5e-7 mm of the original, so each edge within 1e-6 mm of its length
    points = sum(len(p) for p in document.drawing.paths)
    assert again.drawing.draw_mm == pytest.approx(document.drawing.draw_mm, rel=0, abs=1e-6 * points)
    written_travel = travel_mm(again.drawing, Order.identity(len(again.drawing)))
    assert written_travel == pytest.approx(result.after.travel_mm, rel=0, abs=2e-6 * (len(again.drawing) + 1))
    assert result.after.travel_mm <= result.before.travel_mm + 1e-9


@pytest.mark.parametrize("name", OWN_FIXTURES)
def test_round_trip_own_fixtures(name, tmp_path):
    """Own G-code fixtures survive read, greedy re-order, write, read with the same strokes and figures."""
    round_trip(DATA / "gcode" / name, tmp_path)


@pytest.mark.parametrize("path", SHARED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_round_trip_real_drawings(path, tmp_path):
    """Every real drawing survives read, greedy re-order, write, read with the same strokes and figures."""
    round_trip(path, tmp_path)


def test_real_drawings_present_or_skipped():
    """The real-drawing round trip runs when the data folder is there; say so when it is not."""
    if not SHARED:
        pytest.skip("real drawings not found (set BATIK_TOOLPATH_DATA to the toolpath data folder)")
    assert {p.suffix for p in SHARED} == {".gcode", ".svg"}


def test_output_is_written_atomically(tmp_path):
    """A failed write leaves neither a partial output nor a temporary file behind."""
    document = read_drawing(DATA / "gcode" / "mach3_arcs.gcode")
    with pytest.raises(ValueError):
        write_gcode(document, Order.identity(2), tmp_path / "out.gcode")
    assert list(tmp_path.iterdir()) == []


def test_reloop_rotates_closed_loops(tmp_path):
    """A closed loop entered at a middle vertex is drawn from there, whole, arcs split where needed."""
    document = read_drawing(DATA / "gcode" / "mach3_arcs.gcode")
    order = Order(np.array([1, 0, 2]), np.array([False, True, False]), entry_vertex=np.array([0, 7, 0]))
    again = read_drawing(write_gcode(document, order, tmp_path / "out.gcode"))
    loop = again.drawing.paths[0]
    assert np.allclose(loop[0], document.drawing.paths[1][7]) and np.allclose(loop[-1], loop[0])
    assert again.drawing.lengths_mm[0] == pytest.approx(document.drawing.lengths_mm[1], rel=1e-4)
    assert travel_mm(again.drawing, Order.identity(3)) == pytest.approx(travel_mm(document.drawing, order))


def test_reloop_on_straight_loops_is_exact(tmp_path):
    """Greedy with reloop on straight-edged loops writes exactly the rotated loops."""
    squares = tuple(
        np.array([[x, y], [x + 4, y], [x + 4, y + 4], [x, y + 4], [x, y]], float)
        for x, y in [(10, 10), (30, 5), (20, 40)]
    )
    document = Document(Drawing(squares), Path("squares.svg"), "svg")
    result = optimize(document.drawing, "greedy", SolveOptions(reloop=True))
    assert result.order.entry_vertex.any()
    again = read_drawing(write_gcode(document, result.order, tmp_path / "out.gcode"))
    assert_same_strokes(document, result.order, again)


polyline = st.lists(
    st.tuples(st.floats(-500, 500, allow_nan=False), st.floats(-500, 500, allow_nan=False)), min_size=1, max_size=8
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=st.lists(polyline, min_size=1, max_size=12), seed=st.integers(0, 2**16), close=st.booleans())
def test_random_polyline_drawings_survive(paths, seed, close, tmp_path):
    """Random polyline drawings in a random order, direction and loop entry come back as the same strokes."""
    arrays = [np.array(p, float) for p in paths]
    if close:
        arrays = [np.vstack([a, a[:1]]) if len(a) >= 2 else a for a in arrays]
    document = Document(Drawing(tuple(arrays)), Path("random.svg"), "svg")
    rng = np.random.default_rng(seed)
    sizes = np.array([len(a) for a in arrays])
    entry = np.where(document.drawing.closed, rng.integers(0, np.maximum(sizes - 1, 1)), 0)
    order = Order(rng.permutation(len(arrays)), rng.random(len(arrays)) < 0.5, entry_vertex=entry)
    again = read_drawing(write_gcode(document, order, tmp_path / "random.gcode"))
    assert_same_strokes(document, order, again)


arc_move = st.tuples(st.sampled_from(["G1", "G2", "G3"]), st.integers(-40, 40), st.integers(-40, 40), st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strokes=st.lists(st.lists(arc_move, min_size=1, max_size=6), min_size=1, max_size=5), seed=st.integers(0, 999))
def test_random_arc_programs_survive(strokes, seed, tmp_path):
    """Random G-code with lines and arcs (I/J or R form) reversed and shuffled draws the same strokes."""
    lines = ["G21 G90", "G0 Z5"]
    for k, moves in enumerate(strokes):
        x, y = 100.0 * k, 0.0
        lines += [f"G0 X{x:g} Y{y:g}", "G1 Z-1 F300"]
        for word, dx, dy, r_form in moves:
            if (dx, dy) == (0, 0):
                dx = 1
            nx, ny = x + dx, y + dy
            if word == "G1":
                lines.append(f"G1 X{nx:g} Y{ny:g}")
            elif r_form:
                radius = np.hypot(dx, dy) * 0.75 * (1 if (dx + dy) % 2 else -1)
                lines.append(f"{word} X{nx:g} Y{ny:g} R{radius:.6f}")
            else:
                lines.append(f"{word} X{nx:g} Y{ny:g} I{-dy / 2 + dx / 2:g} J{dx / 2 + dy / 2:g}")
            x, y = nx, ny
        lines.append("G0 Z5")
    (tmp_path / "in.gcode").write_text("\n".join(lines) + "\n")
    document = read_drawing(tmp_path / "in.gcode")
    rng = np.random.default_rng(seed)
    n = len(document.drawing)
    order = Order(rng.permutation(n), rng.random(n) < 0.5)
    again = read_drawing(write_gcode(document, order, tmp_path / "out.gcode"))
    assert_same_strokes(document, order, again)


def test_pen_lines_can_be_replaced(tmp_path):
    """GcodeSettings pen lines replace the input's own, and the result reads back with those pen commands."""
    document = read_drawing(DATA / "gcode" / "inch_units.gcode")
    order = Order(np.array([1, 0]), np.array([True, False]))
    settings = GcodeSettings(pen_up="M5 (lift)", pen_down="M3 (lower)")
    written = write_gcode(document, order, tmp_path / "out.gcode", settings=settings)
    lines = written.read_text().splitlines()
    assert lines.count("M3 (lower)") == 2 and lines.count("M5 (lift)") == 3
    again = read_drawing(written, pen=PenSettings(down_command="M3", up_command="M5"))
    assert_same_strokes(document, order, again)


def test_moves_are_written_as_each_number_alone_would_be():
    """The G1 lines trimmed at once hold exactly the numbers the one-number formatter writes."""
    from batik_studio.toolpath.io.gcode import _fmt, _moves_text

    rng = np.random.default_rng(0)
    special = [0.0, -0.0, -1e-9, 1e-7, -5e-7, 4.9999999e-7, 10.0, -10.0, 100.5, -0.5, 1e6, 123456.0000004, -0.1000004]
    values = np.concatenate([rng.normal(0, 1e3, 400), rng.normal(0, 1e-6, 400), special, [0.0]]).reshape(-1, 2)
    assert _moves_text(values) == "\n".join(f"G1 X{_fmt(x)} Y{_fmt(y)}" for x, y in values)
