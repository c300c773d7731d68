"""Round trips that a real machine depends on: groups, machine commands, layers, orientation, DXF in, SVG out."""

from collections import Counter
from pathlib import Path

import ezdxf
import numpy as np
import pytest

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io import Placement, read_drawing
from batik_studio.toolpath.model import Order, oriented_path, travel_mm
from batik_studio.toolpath.pipeline import PipelineSettings, optimise_file
from tests.toolpath.io.machine_fixtures import MACH3, write_inkscape, write_librecad_dxf, write_mach3

COMMANDS = ("M0", "M3", "M5", "M6", "M8", "M30", "G4", "T2")


def command_counts(path: Path) -> Counter:
    """How often each machine command word stands in a G-code file (comments left out)."""
    counts: Counter = Counter()
    for line in path.read_text().splitlines():
        code = line.split("(")[0].split(";")[0].upper().split()
        counts.update(word for word in code if word in COMMANDS)
    return counts


def assert_round_trip(outcome, again, placement_y_down: bool = False) -> None:
    """The re-read file draws the k-th ordered stroke as its k-th, in the same groups, with the reported travel."""
    document, order = outcome.document, outcome.result.order
    assert len(again.drawing) == len(document.drawing)
    for k, segment in enumerate(order.sequence):
        expected = oriented_path(document.drawing, order, int(segment))
        got = again.drawing.paths[k]
        assert got.shape == expected.shape, f"stroke {k}"
        assert np.abs(got - expected).max() <= 1e-6, f"stroke {k}"
    assert again.drawing.group_sizes == document.drawing.group_sizes
    assert again.drawing.group_names == document.drawing.group_names
    written = travel_mm(again.drawing, Order.identity(len(again.drawing)))
    assert written == pytest.approx(outcome.report["travel_after_mm"], abs=1e-5)


def test_mach3_tool_changes_and_pauses_keep_their_place(tmp_path):
    """Strokes are ordered within the groups a pause and a tool change make; every command is written again."""
    source = write_mach3(tmp_path)
    outcome = optimise_file(source, PipelineSettings(method="greedy"), output=tmp_path / "out.tap")
    assert outcome.document.drawing.group_sizes == (3, 2, 2)
    assert outcome.document.drawing.group_names[1:] == ("M0 (refill wax)", "T2 M6 (second canting)")
    again = read_drawing(tmp_path / "out.tap")
    assert_round_trip(outcome, again)
    assert command_counts(tmp_path / "out.tap") == command_counts(source)
    text = (tmp_path / "out.tap").read_text()
    assert text.index("M0 (refill wax)") < text.index("T2 M6 (second canting)")


def test_commands_inside_a_stroke_stay_at_their_vertex_when_reversed(tmp_path):
    """A valve word after the first move of a stroke is written at the same point when the stroke is reversed."""
    source = write_mach3(tmp_path)
    document = read_drawing(source)
    from batik_studio.toolpath.io import gcode_lines

    n = len(document.drawing)
    lines = gcode_lines(document, Order(np.arange(n), np.ones(n, dtype=bool)))
    at = lines.index("M8")
    assert lines[at - 1].startswith("G1 X20 Y10") and lines[at + 1].startswith("G1 X10 Y10")


def test_merge_groups_is_refused_across_machine_commands(tmp_path):
    """--merge-groups would move the pause and the tool change, so it is refused naming the line."""
    with pytest.raises(DrawingError, match=r"line 23: 'M0 \(refill wax\)'"):
        optimise_file(write_mach3(tmp_path), PipelineSettings(method="greedy", merge_groups=True))


def test_unknown_axis_between_strokes_is_refused_naming_the_line(tmp_path):
    """A word the reader cannot place (an A axis) is an error naming the line, never dropped."""
    path = tmp_path / "bad.tap"
    path.write_text(MACH3.replace("M0 (refill wax)", "G0 A90"))
    with pytest.raises(DrawingError, match=r"bad.tap: line 23: unsupported word 'A90'"):
        read_drawing(path)


@pytest.mark.parametrize("suffix", [".gcode", ".svg"])
def test_mach3_round_trip_to_either_output(tmp_path, suffix):
    """G-code in, G-code or SVG out, read back: same strokes, groups and travel."""
    outcome = optimise_file(write_mach3(tmp_path), PipelineSettings(method="greedy"), output=tmp_path / f"o{suffix}")
    assert_round_trip(outcome, read_drawing(tmp_path / f"o{suffix}"))


@pytest.mark.parametrize("suffix", [".gcode", ".svg"])
def test_inkscape_three_layers_round_trip(tmp_path, suffix):
    """Each Inkscape layer is a group, ordered alone and written in sequence (G-code comments or SVG layers)."""
    outcome = optimise_file(write_inkscape(tmp_path), PipelineSettings(method="greedy"), output=tmp_path / f"o{suffix}")
    assert outcome.document.drawing.group_names == ("Outline", "Isen-isen", "Blocking")
    assert outcome.document.drawing.group_sizes == (3, 3, 2)
    assert_round_trip(outcome, read_drawing(tmp_path / f"o{suffix}"))


def test_inkscape_y_up_from_the_page_lower_left(tmp_path):
    """The blocking line at SVG y 75 of an 80 mm page lies at machine y 5; with --y-down it stays at 75."""
    up = read_drawing(write_inkscape(tmp_path)).drawing
    down = read_drawing(write_inkscape(tmp_path), placement=Placement(y_down=True)).drawing
    assert np.allclose(up.paths[-2][:, 1], 5.0) and np.allclose(down.paths[-2][:, 1], 75.0)


def test_y_down_svg_round_trip(tmp_path):
    """With --y-down the SVG written keeps SVG coordinates, and reads back the same with --y-down."""
    settings = PipelineSettings(method="greedy", placement=Placement(y_down=True))
    outcome = optimise_file(write_inkscape(tmp_path), settings, output=tmp_path / "o.svg")
    assert_round_trip(outcome, read_drawing(tmp_path / "o.svg", placement=Placement(y_down=True)))


@pytest.mark.parametrize("suffix", [".gcode", ".svg"])
def test_librecad_dxf_round_trip(tmp_path, suffix):
    """DXF layers are groups in order of appearance; every entity kind is drawn; G-code or SVG out reads back."""
    outcome = optimise_file(
        write_librecad_dxf(tmp_path), PipelineSettings(method="greedy"), output=tmp_path / f"o{suffix}"
    )
    assert outcome.document.drawing.group_names == ("outline", "isen", "blok")
    assert outcome.document.drawing.group_sizes == (3, 3, 2)
    assert_round_trip(outcome, read_drawing(tmp_path / f"o{suffix}"))


def test_dxf_geometry_units_and_block_transform(tmp_path):
    """Bulges, circles and INSERT transforms land where CAD draws them; inches become millimetres."""
    drawing = read_drawing(write_librecad_dxf(tmp_path), tolerance_mm=0.01).drawing
    circle = drawing.paths[3]
    assert np.allclose(np.hypot(*(circle - [10, 40]).T), 4, atol=0.011)
    block_circle = drawing.paths[6]
    assert np.allclose(np.hypot(*(block_circle - [80, 40]).T), 4, atol=0.011)
    block_line = drawing.paths[7]
    assert np.allclose(block_line[[0, -1]], [[80, 40], [80, 46]], atol=1e-9)
    inches = read_drawing(write_librecad_dxf(tmp_path, units=1)).drawing
    assert inches.paths[1][-1] == pytest.approx([40 * 25.4, 5 * 25.4])


def test_dxf_unsupported_entity_names_handle_and_layer(tmp_path):
    """A text entity is refused with its handle and layer, not silently left out."""
    path = write_librecad_dxf(tmp_path)
    document = ezdxf.readfile(path)
    text = document.modelspace().add_text("motif", dxfattribs={"layer": "isen"})
    document.saveas(path)
    with pytest.raises(DrawingError, match=rf"TEXT \(handle {text.dxf.handle}, layer 'isen'\): unsupported"):
        read_drawing(path)


def test_svg_output_keeps_the_page_and_reads_in_vpype(tmp_path):
    """The written SVG keeps the input's page and coordinates; vpype reads the same layers and strokes."""
    outcome = optimise_file(write_inkscape(tmp_path), PipelineSettings(method="greedy"), output=tmp_path / "o.svg")
    text = (tmp_path / "o.svg").read_text()
    assert 'width="120mm" height="80mm" viewBox="0 0 120 80"' in text and text.count("<path ") == 8
    vpype = pytest.importorskip("vpype")
    document = vpype.read_multilayer_svg(str(tmp_path / "o.svg"), 0.01)
    names = [layer.property(vpype.METADATA_FIELD_NAME) for layer in document.layers.values()]
    assert names == ["Outline", "Isen-isen", "Blocking"]
    lines = [line for layer in document.layers.values() for line in layer.lines]
    drawing, order = outcome.document.drawing, outcome.result.order
    for line, segment in zip(lines, order.sequence, strict=True):
        expected = oriented_path(drawing, order, int(segment))
        got = np.column_stack([line.real, line.imag]) * 25.4 / 96  # vpype works in CSS pixels
        assert np.allclose(got[:, 0], expected[:, 0], rtol=1e-5, atol=1e-4)
        assert np.allclose(80 - got[:, 1], expected[:, 1], rtol=1e-5, atol=1e-4)


def test_spindle_words_around_every_stroke_are_groups_unless_they_are_the_pen(tmp_path):
    """M3/M5 around each stroke make one-stroke groups (with a hint); given as pen commands they are the pen."""
    from batik_studio.toolpath.io import PenSettings
    from batik_studio.toolpath.pipeline import describe_drawing

    body = ["G21 G90"]
    for x in (0, 50, 20):
        body += [f"G0 X{x} Y0", "M3 S1000", "G1 Z-1", f"G1 X{x + 10} Y0", "G0 Z5", "M5"]
    path = tmp_path / "spindle.gcode"
    path.write_text("\n".join([*body, "M2", ""]))
    document = read_drawing(path)
    assert document.drawing.group_sizes == (1, 1, 1)
    assert any(line.startswith("note") for line in describe_drawing(document))
    pen = PenSettings(down_command="M3 S1000", up_command="M5")
    assert read_drawing(path, pen=pen).drawing.group_sizes == (3,)


def test_the_bundled_machine_examples_are_these_fixtures(tmp_path):
    """The README's Mach3, Inkscape and DXF examples ship with the package and stay what the tests check."""
    examples = Path(__file__).resolve().parents[3] / "src" / "batik_studio" / "toolpath" / "examples"
    assert (examples / "canting.tap").read_text() == write_mach3(tmp_path).read_text()
    assert (examples / "layers.svg").read_text() == write_inkscape(tmp_path).read_text()
    shipped = read_drawing(examples / "pattern.dxf").drawing
    made = read_drawing(write_librecad_dxf(tmp_path)).drawing
    assert shipped.group_names == made.group_names and shipped.group_sizes == made.group_sizes
    for a, b in zip(shipped.paths, made.paths, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
