"""Inputs built to exhaust memory or block forever, run in a child process under an address-space limit.

The limit (RLIMIT_AS) turns a memory blow-up into a failed test instead of a machine that swaps; the timeout only
guards against a hang (it is many times the normal run time), it does not measure speed.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz import corpus

SRC = Path(__file__).resolve().parents[2] / "src"
HANG_GUARD_S = 300


def run_limited(args: list[object], memory_gib: float = 2.0) -> subprocess.CompletedProcess:
    """``python -m batik_studio ARGS`` in a child limited to ``memory_gib`` of address space."""
    limit = int(memory_gib * (1 << 30))

    def restrict() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "batik_studio", *map(str, args)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=HANG_GUARD_S, preexec_fn=restrict, env=env, check=False
    )
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr, result.stderr[-2000:]
    return result


def _one_error(result: subprocess.CompletedProcess, *expected: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, (result.returncode, result.stderr[-2000:])
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_use_fan_out_of_a_million_is_refused(tmp_path):
    source = tmp_path / "fanout.svg"
    source.write_text(corpus.svg_use_fanout(6, 10))
    assert source.stat().st_size < 2000
    _one_error(run_limited(["toolpath", "stats", source]), str(source), "expands to more than")


def test_thousands_of_huge_circles_are_capped(tmp_path):
    source = tmp_path / "circles.gcode"
    source.write_text(corpus.gcode_full_circles(3000, 900_000))
    _one_error(run_limited(["toolpath", "stats", source]), str(source), "--tolerance-mm")


@pytest.mark.parametrize("suffix", [".gcode", ".svg"])
def test_a_tiny_tolerance_is_capped(tmp_path, suffix):
    source = tmp_path / f"circles{suffix}"
    if suffix == ".gcode":
        source.write_text(corpus.gcode_full_circles(200, 40))
    else:
        circles = "".join(f'<circle cx="{k}" cy="50" r="40"/>' for k in range(200))
        source.write_text(f'<svg xmlns="http://www.w3.org/2000/svg">{circles}</svg>')
    result = run_limited(["toolpath", "stats", source, "--tolerance-mm", "1e-9"])
    _one_error(result, str(source), "--tolerance-mm")


@pytest.mark.parametrize("command", ["classify", "stats"])
def test_a_fifo_is_refused_not_read(tmp_path, command):
    fifo = tmp_path / ("photo.jpg" if command == "classify" else "drawing.gcode")
    os.mkfifo(fifo)
    # Nobody writes to it: a reader that opened it would block until the hang guard.
    args = ["classify", fifo] if command == "classify" else ["toolpath", "stats", fifo]
    result = run_limited(args)
    assert result.returncode == 1 and "not a regular file" in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["classify", "stats"])
def test_dev_zero_is_refused(command):
    args = ["classify", "/dev/zero"] if command == "classify" else ["toolpath", "stats", "/dev/zero"]
    result = run_limited(args)
    assert result.returncode == 1 and "not a regular file" in result.stderr, result.stderr


@pytest.mark.slow
def test_a_50_mb_gcode_file_is_read_and_ordered_in_bounded_memory(tmp_path):
    rng = random.Random(50)
    source = tmp_path / "big.gcode"
    with source.open("w") as handle:
        handle.write("G21\nG90\nG0 Z5\n")
        while handle.tell() < 50_000_000:
            x, y = rng.uniform(0, 500), rng.uniform(0, 500)
            lines = [f"G0 X{x:.3f} Y{y:.3f}", "G1 Z-1 F300"]
            for _ in range(20):
                x, y = x + rng.uniform(-2, 2), y + rng.uniform(-2, 2)
                lines.append(f"G1 X{x:.3f} Y{y:.3f}")
            handle.write("\n".join(lines) + "\nG0 Z5\n")
        handle.write("M2\n")
    out = tmp_path / "ordered.gcode"
    result = run_limited(["toolpath", "optimize", source, "-o", out, "--method", "greedy"], memory_gib=3.0)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "segments" in result.stdout
    assert out.stat().st_size > 40_000_000
