import numpy as np
import pytest

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io import Placement, read_drawing
from tests.helpers import require_shared

KEEP_SVG = Placement(y_down=True)


def write_svg(tmp_path, body: str, head: str = 'width="100mm" height="100mm" viewBox="0 0 100 100"'):
    path = tmp_path / "drawing.svg"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" {head}>{body}</svg>')
    return path


def test_every_shape_kind_is_read(tmp_path):
    """path, polyline, polygon, line, rect, circle and ellipse each give one segment in user-unit millimetres."""
    body = (
        '<path d="M 1 1 L 5 1 L 5 5"/>'
        '<polyline points="10,10 20,10 20,20"/>'
        '<polygon points="30,30 40,30 40,40"/>'
        '<line x1="50" y1="50" x2="60" y2="50"/>'
        '<rect x="70" y="70" width="10" height="5"/>'
        '<circle cx="20" cy="80" r="5"/>'
        '<ellipse cx="50" cy="80" rx="8" ry="4"/>'
    )
    drawing = read_drawing(write_svg(tmp_path, body)).drawing
    assert len(drawing) == 7
    assert drawing.closed.tolist() == [False, False, True, False, True, True, True]
    assert np.allclose(drawing.lengths_mm[:5], [8, 20, 10 + 10 + np.hypot(10, 10), 10, 30])
    assert drawing.lengths_mm[5] == pytest.approx(2 * np.pi * 5, rel=0.01)
    assert np.allclose(drawing.starts[3], [50, 50])


def test_curves_flattened_within_tolerance(tmp_path):
    """A circle's polyline stays within the tolerance of the circle; a finer tolerance gives more points."""
    path = write_svg(tmp_path, '<circle cx="50" cy="50" r="40"/>')
    coarse = read_drawing(path, tolerance_mm=0.5).drawing.paths[0]
    fine = read_drawing(path, tolerance_mm=0.01).drawing.paths[0]
    assert len(fine) > len(coarse)
    for points, tolerance in ((coarse, 0.5), (fine, 0.01)):
        mids = (points[1:] + points[:-1]) / 2
        assert (40 - np.hypot(*(mids - 50).T)).max() <= tolerance
        assert np.allclose(np.hypot(*(points - 50).T), 40)


def test_subpaths_are_separate_segments(tmp_path):
    """Each M inside a path starts a new segment; a lone M draws nothing."""
    drawing = read_drawing(
        write_svg(tmp_path, '<path d="M 0 0 L 10 0 M 20 0 L 30 0 L 30 10 Z M 50 50"/>'), placement=KEEP_SVG
    ).drawing
    assert [p.tolist() for p in drawing.paths] == [[[0, 0], [10, 0]], [[20, 0], [30, 0], [30, 10], [20, 0]]]


def test_nested_transforms_and_units(tmp_path):
    """Group transforms compose, and px / in / viewBox scaling end in millimetres."""
    body = '<g transform="translate(10,0)"><g transform="scale(2)"><line x1="0" y1="0" x2="5" y2="0"/></g></g>'
    drawing = read_drawing(write_svg(tmp_path, body), placement=KEEP_SVG).drawing
    assert np.allclose(drawing.paths[0], [[10, 0], [20, 0]])
    inches = read_drawing(write_svg(tmp_path, '<line x1="0" y1="0" x2="1in" y2="0"/>', 'width="400" height="400"'))
    assert inches.drawing.lengths_mm[0] == pytest.approx(25.4, rel=1e-6)
    pixels = read_drawing(write_svg(tmp_path, '<line x1="0" y1="0" x2="96" y2="0"/>', 'width="400" height="400"'))
    assert pixels.drawing.lengths_mm[0] == pytest.approx(25.4, rel=1e-6)
    scaled = read_drawing(
        write_svg(
            tmp_path, '<line x1="0" y1="0" x2="10" y2="0"/>', 'width="200mm" height="200mm" viewBox="0 0 100 100"'
        )
    )
    assert scaled.drawing.lengths_mm[0] == pytest.approx(20)


def test_y_axis_kept_as_in_the_svg_with_y_down(tmp_path):
    """With y_down, SVG coordinates are not mirrored: y grows downwards from the top-left origin."""
    drawing = read_drawing(write_svg(tmp_path, '<line x1="0" y1="10" x2="0" y2="90"/>'), placement=KEEP_SVG).drawing
    assert np.allclose(drawing.paths[0], [[0, 10], [0, 90]])


def test_y_up_from_the_page_lower_left_by_default(tmp_path):
    """By default y points up from the page's lower-left corner: y = page height - y_svg."""
    drawing = read_drawing(write_svg(tmp_path, '<line x1="0" y1="10" x2="0" y2="90"/>')).drawing
    assert np.allclose(drawing.paths[0], [[0, 90], [0, 10]])


def test_origin_places_the_corner_or_the_centre(tmp_path):
    """--origin moves the drawing's lower-left corner, or its centre, to the machine point."""
    path = write_svg(tmp_path, '<line x1="10" y1="10" x2="30" y2="50"/>')
    corner = read_drawing(path, placement=Placement(origin=(5, 7))).drawing
    assert np.allclose(np.concatenate(corner.paths).min(axis=0), [5, 7])
    centre = read_drawing(path, placement=Placement(origin=(0, 0), anchor="centre")).drawing
    every = np.concatenate(centre.paths)
    assert np.allclose((every.min(axis=0) + every.max(axis=0)) / 2, [0, 0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 1 1"', r"line 1, column \d+: not a well-formed"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="1">hi</text></svg>', "empty drawing"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><path id="far" d="M 0 0 L 1e12 0"/></svg>', "id='far'.*absurd"),
    ],
)
def test_bad_svg_names_the_problem(tmp_path, content, message):
    """Malformed, empty and absurd SVGs raise DrawingError naming the file and the line or element."""
    path = tmp_path / "bad.svg"
    path.write_text(content)
    with pytest.raises(DrawingError, match=message) as caught:
        read_drawing(path)
    assert "bad.svg" in str(caught.value)


def test_megamendung_grid_counts():
    """The 5x5 Megamendung grid reads as 475 segments, 350 of them closed loops."""
    drawing = read_drawing(require_shared("batik/megamendung_grid_5x5.svg")).drawing
    assert (len(drawing), drawing.closed_loops) == (475, 350)


def test_use_defs_and_hidden_elements(tmp_path):
    """<use> copies are drawn, <defs> and hidden elements are not."""
    body = (
        '<defs><path id="p" d="M 0 0 L 10 0"/><clipPath id="c"><rect width="5" height="5"/></clipPath></defs>'
        '<use href="#p" transform="translate(0,20)"/><use href="#p" transform="translate(0,40)"/>'
        '<path d="M 0 60 L 10 60" style="display:none"/><path d="M 0 80 L 10 80" visibility="hidden"/>'
    )
    drawing = read_drawing(write_svg(tmp_path, body), placement=KEEP_SVG).drawing
    assert [p[:, 1].tolist() for p in drawing.paths] == [[20.0, 20.0], [40.0, 40.0]]


def test_polylines_and_polygons_read_as_the_same_paths(tmp_path):
    """A <polyline> or <polygon> (taken whole) gives the points of the same shape written as a <path>."""
    shapes = [
        ("polyline", "1,2 3,4 5,9", "M 1,2 L 3,4 L 5,9"),
        ("polygon", "10,10 20,10 20,20", "M 10,10 L 20,10 L 20,20 Z"),
        ("polygon", "1,1 2,2 1,1", "M 1,1 L 2,2 L 1,1 Z"),
        ("polygon", "50,50", "M 50,50 Z"),
    ]

    def svg(body: str) -> str:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="80mm" viewBox="0 0 200 160">'
            f'<g transform="translate(5,7) rotate(30)">{body}</g></svg>'
        )

    poly = "".join(f'<{tag} points="{points}" transform="scale(2,1.5)"/>' for tag, points, _ in shapes)
    path = "".join(f'<path d="{d}" transform="scale(2,1.5)"/>' for _, _, d in shapes)
    (tmp_path / "poly.svg").write_text(svg(poly))
    (tmp_path / "path.svg").write_text(svg(path))
    a = read_drawing(tmp_path / "poly.svg").drawing
    b = read_drawing(tmp_path / "path.svg").drawing
    assert len(a) == len(b) == 4
    for p, q in zip(a.paths, b.paths, strict=True):
        np.testing.assert_allclose(p, q, atol=1e-9)
