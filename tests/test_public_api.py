"""The public names of the two libraries, importable from the package roots as the README shows."""

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["batik_studio.toolpath", "batik_studio.vision"])
def test_every_public_name_resolves(package):
    module = importlib.import_module(package)
    assert module.__all__
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_importing_the_packages_loads_no_engine():
    """The package roots are light: numba, onnxruntime and scipy load only when a public name is used."""
    code = (
        "import sys, batik_studio.toolpath, batik_studio.vision; "
        "print(sorted(m for m in ('numba', 'onnxruntime', 'scipy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_readme_round_trip_works(tmp_path):
    from batik_studio.toolpath import SolveOptions, optimize, read_drawing, write_gcode

    drawing_file = tmp_path / "d.gcode"
    drawing_file.write_text("G21 G90\nG0 Z5\nG0 X10 Y0\nG1 Z-1\nG1 X20 Y0\nG0 Z5\nG0 X0 Y5\nG1 Z-1\nG1 X5 Y5\nG0 Z5\n")
    document = read_drawing(drawing_file)
    result = optimize(document.drawing, "greedy", SolveOptions())
    written = write_gcode(document, result.order, tmp_path / "out.gcode")
    assert read_drawing(written).drawing.lengths_mm.sum() == pytest.approx(document.drawing.lengths_mm.sum())
