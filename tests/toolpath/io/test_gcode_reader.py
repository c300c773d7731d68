import numpy as np
import pytest

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io import PenSettings, gcode_lines, read_drawing
from batik_studio.toolpath.io.gcode import flatten_arc
from batik_studio.toolpath.model import Order, measure
from tests.helpers import DATA

GCODE = DATA / "gcode"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("arc_radius_mismatch.gcode", r"line 5: arc radius is 10\.0000 mm at the start but 12\.0000 mm"),
        ("binary_junk.gcode", r"line 4: binary data"),
        ("truncated.gcode", r"line 8: .*truncated"),
        ("ends_pen_down.gcode", r"line 6: .*pen down.*truncated"),
        ("empty.gcode", r"empty drawing"),
        ("nan_coordinate.gcode", r"line 5: not G-code: cannot read 'X NAN'"),
        ("absurd_coordinate.gcode", r"line 5: X 2\.5e\+06 is absurd"),
        ("not_a_drawing.gcode", r"line 1: not G-code"),
        ("xz_plane.gcode", r"line 1: G18 selects another plane; only XY drawings"),
        ("unsupported_axis.gcode", r"line 5: unsupported word 'A45'"),
    ],
)
def test_bad_input_names_file_and_line(name, message):
    """Each kind of broken file raises DrawingError naming the file and what is wrong."""
    with pytest.raises(DrawingError, match=message) as caught:
        read_drawing(GCODE / name)
    assert name in str(caught.value)


def test_missing_and_zero_byte_files(tmp_path):
    """A missing file and a zero-byte file are refused clearly."""
    with pytest.raises(DrawingError, match="no such file"):
        read_drawing(tmp_path / "absent.gcode")
    (tmp_path / "zero.gcode").write_bytes(b"")
    with pytest.raises(DrawingError, match="empty file"):
        read_drawing(tmp_path / "zero.gcode")


def test_mach3_program_segments_and_verbatim_header_footer():
    """Line numbers, comments, I/J and R arcs are read; header and footer are kept verbatim."""
    document = read_drawing(GCODE / "mach3_arcs.gcode")
    assert document.kind == "gcode"
    assert len(document.drawing) == 3
    assert document.drawing.closed.tolist() == [False, True, False]
    program = document.program
    assert program.header[2] == "N10 G21 G90 G17 (mm, absolute, XY plane)"
    assert "N30 M3 S1000 ; spindle (heater) on" in program.header
    assert all("X10.000 Y10.000" not in line for line in program.header)  # travel replaced by the writer
    assert program.footer[-3:] == ("N230 G0 X0 Y0", "N240 M30", "%")
    assert program.strokes[2].pen_down == ("G1 Z-1.000 F300", "G4 P0.2 (let the wax flow)")
    circle = document.drawing.paths[1]
    assert np.allclose(np.hypot(*(circle - [85.0, 80.0]).T), 5.0)
    assert document.drawing.lengths_mm[1] == pytest.approx(2 * np.pi * 5, rel=0.01)


def test_r_form_matches_ij_form(tmp_path):
    """An arc written with R draws the same points as the same arc written with I/J, also beyond 180 degrees."""
    body = "G21 G90\nG0 Z5\nG0 X0 Y0\nG1 Z-1\n{}\nG0 Z5\n"
    for ij, r in [
        ("G2 X10 Y10 I10 J0", "G2 X10 Y10 R10"),
        ("G3 X20 Y0 I10 J0", "G3 X20 Y0 R10"),
        ("G3 X10 Y10 I10 J0", "G3 X10 Y10 R-10"),
    ]:
        (tmp_path / "ij.gcode").write_text(body.format(ij))
        (tmp_path / "r.gcode").write_text(body.format(r))
        a = read_drawing(tmp_path / "ij.gcode").drawing.paths[0]
        b = read_drawing(tmp_path / "r.gcode").drawing.paths[0]
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-9), (ij, r)


def test_arc_flattening_within_tolerance():
    """Every chord of a flattened arc stays within the tolerance of the circle, and the sweep direction holds."""
    start, end, center = np.array([10.0, 0.0]), np.array([0.0, 10.0]), np.zeros(2)
    ccw = flatten_arc(start, end, center, clockwise=False, tolerance_mm=0.01)
    cw = flatten_arc(start, end, center, clockwise=True, tolerance_mm=0.01)
    for points in (ccw, cw):
        chain = np.vstack([start, points])
        mids = (chain[1:] + chain[:-1]) / 2
        assert (10.0 - np.hypot(*mids.T)).max() <= 0.01
    assert np.hypot(*np.diff(np.vstack([start, ccw]), axis=0).T).sum() == pytest.approx(np.pi * 5, rel=1e-3)
    assert np.hypot(*np.diff(np.vstack([start, cw]), axis=0).T).sum() == pytest.approx(np.pi * 15, rel=1e-3)


def test_reversed_arcs_swap_direction_and_recompute_offsets():
    """Drawn backwards, G2 becomes G3 with I/J from the new start, and R keeps its value."""
    document = read_drawing(GCODE / "mach3_arcs.gcode")
    order = Order(np.array([0, 1, 2]), np.array([True, False, False]))
    body = gcode_lines(document, order)
    start = body.index("G0 X10 Y50")
    assert body[start + 2 : start + 7] == [
        "G1 X50 Y50 F500",
        "G2 X50 Y30 R-15",
        "G3 X40 Y20 R10",
        "G2 X30 Y10 I-10 J0",
        "G1 X10 Y10",
    ]


def test_inch_input_is_read_in_mm_and_written_in_inches():
    """G20 coordinates become millimetres inside, and the output stays in inches."""
    document = read_drawing(GCODE / "inch_units.gcode")
    assert document.program.units == "inch"
    assert np.allclose(document.drawing.starts, [[25.4, 25.4], [12.7, 76.2]])
    assert document.drawing.lengths_mm[1] == pytest.approx(25.4)
    lines = gcode_lines(document, Order(np.array([1, 0]), np.array([False, False])))
    assert "G0 X0.5 Y3" in lines and "G1 X0.5 Y4 F30" in lines


def test_relative_input_tracks_position_and_is_written_absolute():
    """G91 moves accumulate; the body is written in G90 and G91 is restored for the footer."""
    document = read_drawing(GCODE / "relative_moves.gcode")
    paths = document.drawing.paths
    assert paths[0][0].tolist() == [10.0, 10.0]
    assert paths[0][-1].tolist() == [30.0, 10.0]
    assert paths[1].tolist() == [[0.0, 30.0], [5.0, 35.0]]
    lines = gcode_lines(document, Order.identity(2))
    assert lines.index("G90 (absolute coordinates for the re-ordered strokes)") < lines.index("G0 X10 Y10")
    assert lines[-5] == "G91 (relative coordinates again, as in the input)"
    assert "G1 Z-1 F300" in lines


def test_pen_by_m3_m5_commands():
    """With pen commands, M3 lowers and M5 lifts the pen, whatever Z says."""
    pen = PenSettings(down_command="M3", up_command="M5")
    document = read_drawing(GCODE / "pen_m3_m5.gcode", pen=pen)
    assert [p.tolist() for p in document.drawing.paths] == [[[5, 5], [25, 5], [25, 25]], [[40, 0], [40, 20]]]
    assert document.program.strokes[0].pen_down == ("M3", "G4 P0.3")
    with pytest.raises(DrawingError, match="empty drawing"):
        read_drawing(GCODE / "pen_m3_m5.gcode")


def test_pen_by_z_threshold(tmp_path):
    """The Z threshold decides what counts as pen down."""
    (tmp_path / "z.gcode").write_text("G21\nG0 Z5\nG0 X0 Y0\nG1 Z2\nG1 X5 Y0\nG1 Z-1\nG1 X9 Y0\nG0 Z5\n")
    assert measure(read_drawing(tmp_path / "z.gcode").drawing).draw_mm == pytest.approx(4)
    high = read_drawing(tmp_path / "z.gcode", pen=PenSettings(z_threshold_mm=3.0))
    assert len(high.drawing) == 1 and high.drawing.draw_mm == pytest.approx(9)


def test_pen_settings_validated():
    """Pen commands come in pairs and must differ."""
    with pytest.raises(DrawingError):
        PenSettings(down_command="M3")
    with pytest.raises(DrawingError):
        PenSettings(down_command="M3", up_command="m3")


def test_dot_is_a_one_point_segment(tmp_path):
    """Lowering and lifting the pen without moving draws a dot."""
    (tmp_path / "dot.gcode").write_text("G21\nG0 Z5\nG0 X3 Y4\nG1 Z-1\nG0 Z5\n")
    drawing = read_drawing(tmp_path / "dot.gcode").drawing
    assert [p.tolist() for p in drawing.paths] == [[[3.0, 4.0]]]
    assert drawing.draw_mm == 0.0


def test_comment_forms_and_lowercase(tmp_path):
    """Nested and trailing comments, lowercase words and words without spaces are read."""
    text = "g21 (mm (metric))\nG0Z5;up\nG0 X1 Y1\ng1z-1 F100 ( down )\nG1X4Y5\nG0 Z5\n"
    (tmp_path / "forms.gcode").write_text(text)
    assert read_drawing(tmp_path / "forms.gcode").drawing.paths[0].tolist() == [[1.0, 1.0], [4.0, 5.0]]


def test_header_keeps_modal_words_on_travel_lines(tmp_path):
    """A header travel line that also sets a mode is kept; a plain travel line is left to the writer."""
    text = "G90 G0 X0 Y0\nG0 X5 Y5\nG1 X10 Y10 Z-1 F100\nG1 X20 Y10\nG0 Z5\n"
    (tmp_path / "modal.gcode").write_text(text)
    document = read_drawing(tmp_path / "modal.gcode")
    assert document.program.header == ("G90 G0 X0 Y0",)
    assert document.drawing.paths[0].tolist() == [[5.0, 5.0], [10.0, 10.0], [20.0, 10.0]]
    assert document.program.strokes[0].pen_down == ("G1 Z-1 F100",)
