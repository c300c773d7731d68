"""Wrong options and arguments are told in one line with exit status 2, as every other error is told in one."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["toolpath", "optimize", "in.gcode", "-o", "out.gcode", "--time-limit", "abc"], "'--time-limit'"),
        (["toolpath", "optimize"], "Missing argument 'INPUT'"),
        (["classify", "--no-such-option"], "--no-such-option"),
    ],
)
def test_usage_errors_are_one_line(args, expected):
    result = subprocess.run([sys.executable, "-m", "batik_studio", *args], capture_output=True, text=True)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("error: batik ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_help_and_version_still_exit_zero():
    for args in (["--help"], ["--version"], ["toolpath", "optimize", "--help"]):
        result = subprocess.run([sys.executable, "-m", "batik_studio", *args], capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout, args


def test_library_errors_name_settings_not_flags(tmp_path):
    """The library's message speaks of the value; the CLI adds the options for the settings the error names."""
    from batik_studio.errors import DrawingError
    from batik_studio.toolpath.io import Placement, read_drawing

    source = tmp_path / "job.gcode"
    source.write_text("G0 X0 Y0\nG1 Z-1\nG1 X10 Y0\nG0 Z5\n")
    with pytest.raises(DrawingError) as caught:
        read_drawing(source, placement=Placement(y_down=True))
    assert "--" not in str(caught.value) and caught.value.settings == ("y_down", "origin")
    result = subprocess.run(
        [sys.executable, "-m", "batik_studio", "toolpath", "stats", str(source), "--y-down"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and result.stderr.strip().endswith("(options: --y-down, --origin)"), result.stderr


def test_no_library_message_names_a_flag():
    """Only the command line (cli.py) and the app name options; the library's errors name the setting."""
    import ast
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "src" / "batik_studio"
    flag = re.compile(r"(?<![\w-])--[a-z]")
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "cli.py" or "app" in path.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if not (name.endswith("Error") or name in ("fail", "_fail")):
                continue
            texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            if any(flag.search(text) for text in texts):
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert not offenders, offenders
