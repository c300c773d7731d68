"""The contract every fuzz case is held to, as one helper: a result or one clear error, never a traceback."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batik_studio.cli import app

runner = CliRunner()


def invoke(args: list[str]):
    """Run ``batik ARGS`` in this process and check the error contract; return the click result.

    Exit 0 is a result. Exit 1 must come with exactly one stderr line starting with ``error:`` (or, for
    ``classify``, ``<file>: error:`` per failed photo). Exit 2 is click's usage error for a bad option value. No
    other exit code and no exception other than SystemExit may escape.
    """
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"batik {' '.join(map(str, args))}: raised instead of one error line:\n{trace}")
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    if result.exit_code == 1 and not (args[0] == "classify" and "--json" in args):
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines, f"batik {args[0]}: exit 1 without a message"
        if args[0] != "classify":
            assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    if result.exit_code == 2:
        assert "Error" in result.stderr or "Invalid value" in result.stderr, result.stderr
    return result


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Name -> (mode, content) of every file in ``folder``, to prove a failed run changed nothing."""
    return {p.name: (os.stat(p).st_mode, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def umask_022():
    """Run with the common umask so the expected mode of new files is 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)
