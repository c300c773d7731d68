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
