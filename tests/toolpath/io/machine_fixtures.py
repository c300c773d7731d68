"""The three machine fixtures: a Mach3 job with a pause and a tool change, an Inkscape SVG with three layers, a
LibreCAD-style DXF. The bundled examples are kept equal to these (tests/toolpath/io/test_machines.py)."""

from pathlib import Path

import ezdxf

MACH3 = """%
(Mach3 canting job: outline, refill, second canting)
G21 G90 G17
M3 S1000
G0 Z5
G0 X10 Y10
G1 Z-1 F300
G4 P0.5
G1 X20 Y10 F500
M8
G1 X20 Y20
G0 Z5
(stroke 2)
G0 X50 Y50
G1 Z-1 F300
G1 X60 Y50 F500
G2 X70 Y50 I5 J0
G0 Z5
G0 X80 Y5
G1 Z-1
G1 X90 Y5
G0 Z5
M0 (refill wax)
G0 X0 Y0
G1 Z-1
G1 X5 Y0
G0 Z5
G0 X30 Y30
G1 Z-1
G1 X35 Y30
G0 Z5
M5
T2 M6 (second canting)
M3 S1000
G0 X5 Y5
G1 Z-1
G3 X15 Y5 I5 J0
G0 Z5
G0 X40 Y40
G1 Z-1
G1 X40 Y45
G0 Z5
M5
M30
%
"""

INKSCAPE = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     width="120mm" height="80mm" viewBox="0 0 120 80">
  <g inkscape:groupmode="layer" id="layer1" inkscape:label="Outline">
    <path d="M 10 10 C 20 0 30 20 40 10" />
    <rect x="60" y="5" width="20" height="10" />
    <path d="M 100 10 L 110 20" />
  </g>
  <g inkscape:groupmode="layer" id="layer2" inkscape:label="Isen-isen" transform="translate(0,30)">
    <circle cx="20" cy="20" r="5" />
    <path d="M 50 10 L 70 10 M 90 30 L 100 10" />
  </g>
  <g inkscape:groupmode="layer" id="layer3" inkscape:label="Blocking">
    <path d="M 5 75 L 115 75" />
    <path d="M 115 70 L 5 70" />
  </g>
</svg>
"""


def write_mach3(folder: Path) -> Path:
    path = folder / "canting.tap"
    path.write_text(MACH3)
    return path


def write_inkscape(folder: Path) -> Path:
    path = folder / "layers.svg"
    path.write_text(INKSCAPE)
    return path


def write_librecad_dxf(folder: Path, *, units: int = 4) -> Path:
    """A DXF as LibreCAD writes it: layers, a polyline with a bulge, arcs, circles, a spline and a block."""
    document = ezdxf.new("R2000")
    document.header["$INSUNITS"] = units
    for name in ("outline", "isen", "blok"):
        document.layers.add(name)
    space = document.modelspace()
    space.add_lwpolyline([(0, 0, 0), (20, 0, 0.5), (20, 10, 0)], format="xyb", dxfattribs={"layer": "outline"})
    space.add_line((30, 0), (40, 5), dxfattribs={"layer": "outline"})
    space.add_arc((60, 10), 5, 0, 180, dxfattribs={"layer": "outline"})
    space.add_circle((10, 40), 4, dxfattribs={"layer": "isen"})
    space.add_ellipse((40, 40), major_axis=(6, 0), ratio=0.5, dxfattribs={"layer": "isen"})
    space.add_spline([(50, 30), (55, 40), (60, 30), (65, 40)], dxfattribs={"layer": "isen"})
    flower = document.blocks.new("FLOWER")
    flower.add_circle((0, 0), 2)
    flower.add_line((0, 0), (3, 0))
    space.add_blockref("FLOWER", (80, 40), dxfattribs={"layer": "blok", "xscale": 2, "yscale": 2, "rotation": 90})
    path = folder / "pattern.dxf"
    document.saveas(path)
    return path
