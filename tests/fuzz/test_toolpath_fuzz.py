"""The toolpath commands on hundreds of generated, damaged and hostile drawings, and on odd option values.

Each case must give a result or one error line naming the file, a non-zero exit, no traceback; a failed
``optimize`` leaves its folder exactly as it was (no new file, an existing output untouched); a successful one
writes G-code that the reader accepts again, with an ordinary file mode.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import corpus
from tests.fuzz.conftest import invoke, snapshot

SECRET = "batik-fuzz-secret-3f1c9a"
GCODE = corpus.gcode_corpus(seed=16, variants=60)
SVG = corpus.svg_corpus(seed=16, variants=40, secret_path="/tmp/batik-fuzz-secret")
CASES = [(name, data, ".gcode") for name, data in GCODE] + [(name, data, ".svg") for name, data in SVG]
FAST = ["--method", "greedy", "--bound-time-limit", "1"]


@pytest.fixture(scope="module")
def secret_file():
    """A file an external entity would leak into the output if it were ever expanded."""
    path = Path("/tmp/batik-fuzz-secret")
    path.write_text(SECRET)
    yield path
    path.unlink(missing_ok=True)


def _write_case(tmp_path, name, data, suffix):
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("name", "data", "suffix"), CASES, ids=[c[0] for c in CASES])
def test_stats_gives_a_result_or_one_error_line(tmp_path, secret_file, name, data, suffix):
    source = _write_case(tmp_path, name, data, suffix)
    result = invoke(["toolpath", "stats", source])
    assert SECRET not in result.output
    if result.exit_code:
        assert str(source) in result.stderr, result.stderr
    if name.endswith("-valid-0") or "-valid-" in name and not name.startswith("svg-valid"):
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("name", "data", "suffix"), CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_optimize_writes_everything_or_nothing(tmp_path, secret_file, umask_022, name, data, suffix):
    source = _write_case(tmp_path, name, data, suffix)
    out, report, plot = tmp_path / "out.gcode", tmp_path / "out.json", tmp_path / "out.png"
    existing = name.__hash__() % 2 == 0
    if existing:
        out.write_text("old G-code\n")
        out.chmod(0o640)
    before = snapshot(tmp_path)
    args = ["toolpath", "optimize", source, "-o", out, "--report", report, *FAST]
    result = invoke(args)
    assert SECRET not in result.output
    if result.exit_code:
        assert snapshot(tmp_path) == before, f"{name}: a failed run changed the folder"
        return
    text = out.read_text()
    assert SECRET not in text
    assert stat.S_IMODE(out.stat().st_mode) == (0o640 if existing else 0o644)
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    figures = json.loads(report.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in the report"))
    assert figures["segments"] >= 1
    assert not plot.exists()
    again = invoke(["toolpath", "stats", out])
    assert again.exit_code == 0, f"{name}: its own output is refused: {again.output}"


@pytest.mark.parametrize(
    "target",
    [
        "input",
        "report=input",
        "plot=input",
        "report=output",
        "folder",
        "missing-folder",
        "/dev/full",
        "/dev/null",
        "/proc",
    ],
)
def test_optimize_output_paths_are_checked_before_any_work(tmp_path, target):
    source = tmp_path / "in.gcode"
    source.write_text(corpus.gcode_drawing(random.Random(1), strokes=3))
    out = tmp_path / "out.gcode"
    args = {
        "input": ["-o", source],
        "report=input": ["-o", out, "--report", source],
        "plot=input": ["-o", out, "--plot", source],
        "report=output": ["-o", out, "--report", out],
        "folder": ["-o", tmp_path],
        "missing-folder": ["-o", tmp_path / "nope" / "out.gcode"],
        "/dev/full": ["-o", "/dev/full"],
        "/dev/null": ["-o", out, "--report", "/dev/null"],
        "/proc": ["-o", "/proc/o.gcode"],
    }[target]
    before = snapshot(tmp_path)
    result = invoke(["toolpath", "optimize", source, *args, *FAST])
    assert result.exit_code == 1
    assert snapshot(tmp_path) == before
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_failure_after_ordering_keeps_the_existing_output(tmp_path, monkeypatch):
    """The report is made after the search: when it fails, the G-code written before must not have replaced -o."""
    from batik_studio.toolpath import pipeline

    source = tmp_path / "in.gcode"
    source.write_text(corpus.gcode_drawing(random.Random(2), strokes=4))
    out = tmp_path / "out.gcode"
    out.write_text("keep me\n")

    def broken_plot(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "plot_route", broken_plot)
    result = invoke(["toolpath", "optimize", source, "-o", out, "--plot", tmp_path / "p.png", *FAST])
    assert result.exit_code == 1 and "No space left" in result.stderr
    assert out.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.gcode", "out.gcode"]


def test_experiment_out_naming_a_file_is_refused_before_running(tmp_path):
    source = tmp_path / "in.gcode"
    source.write_text(corpus.gcode_drawing(random.Random(3), strokes=3))
    (tmp_path / "report").write_text("a file")
    result = invoke(["toolpath", "experiment", source, "--out", tmp_path / "report", "--replications", "2"])
    assert result.exit_code == 1 and "not a folder" in result.stderr


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "-inf", "inf", "1e400", "-0", "0", "1e-300", "9" * 50]),
)
_OPTION = st.sampled_from(["--draw-feed", "--rapid-feed", "--time-limit", "--bound-time-limit", "--tolerance-mm"])


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=_OPTION, value=_NUMBER_TEXT)
def test_numeric_options_are_results_or_clean_refusals(tmp_path_factory, option, value):
    folder = tmp_path_factory.mktemp("options")
    source = folder / "in.gcode"
    source.write_text(corpus.gcode_drawing(random.Random(4), strokes=2))
    out = folder / "out.gcode"
    result = invoke(["toolpath", "optimize", source, "-o", out, *FAST, option, value])
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        assert result.exit_code != 0, f"{option} {value} was accepted"
        assert not out.exists()


_WORDS = st.lists(
    st.tuples(st.sampled_from(list("GXYZIJRFMN")), _NUMBER_TEXT | st.integers(-5, 100).map(str)), min_size=1, max_size=5
).map(lambda words: " ".join(f"{letter}{number}" for letter, number in words))


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_WORDS, min_size=1, max_size=12))
def test_generated_gcode_lines_never_crash_the_reader(tmp_path_factory, lines):
    source = tmp_path_factory.mktemp("gcode") / "generated.gcode"
    source.write_text("G21\nG90\nG0 Z5\nG1 Z-1\n" + "\n".join(lines) + "\nG0 Z5\n")
    invoke(["toolpath", "stats", source])


HOSTILE = {
    "svg-billion-laughs": "entities",
    "svg-external-entity": "entities",
    "svg-use-self": "refers to itself",
    "svg-use-mutual": "refers to itself",
    "svg-nested-5000": "nested more than",
    "svg-polyline-nan": "not a number",
    "svg-circle-inf": "not a number",
    "svg-use-fanout": "expands to more than",
    "gcode-g91-beyond-limit": "beyond",
    "gcode-arc-centre-beyond-limit": "centre lies beyond",
}


@pytest.mark.parametrize(("name", "expected"), HOSTILE.items(), ids=list(HOSTILE))
def test_hostile_inputs_get_their_own_message(tmp_path, secret_file, name, expected):
    data = dict(GCODE + SVG)[name]
    source = _write_case(tmp_path, name, data, ".svg" if name.startswith("svg") else ".gcode")
    result = invoke(["toolpath", "stats", source])
    assert result.exit_code == 1 and expected in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("arc", "feed"),
    [("G2 X20.0000004 Y20 R0.0000003", "F300"), ("G2 X30 Y20 R5", "F" + "9" * 300), ("G3 X20 Y30 R-5", "F100000")],
)
def test_own_output_reads_back(tmp_path, arc, feed):
    """Tiny R arcs (that would print as R0) and very long F words survive a write and a re-read."""
    source = tmp_path / "arc.gcode"
    source.write_text(f"G21\nG90\nG0 Z5\nG0 X20 Y20\nG1 Z-1 {feed}\n{arc}\nG1 X40 Y40\nG0 Z5\nM2\n")
    out = tmp_path / "out.gcode"
    first = invoke(["toolpath", "optimize", source, "-o", out, *FAST])
    assert first.exit_code == 0, first.output
    written = out.read_text()
    assert " R0 " not in written + " " and "inf" not in written.lower()
    assert invoke(["toolpath", "stats", out]).exit_code == 0


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b""])
@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_bom_and_crlf_gcode_read_like_plain_utf8(tmp_path, prefix, line_end):
    text = corpus.gcode_drawing(random.Random(5), strokes=3)
    plain, odd = tmp_path / "plain.gcode", tmp_path / "odd.gcode"
    plain.write_text(text)
    odd.write_bytes(prefix + text.encode().replace(b"\n", line_end))
    assert (
        invoke(["toolpath", "stats", odd]).stdout.splitlines()[1:]
        == invoke(["toolpath", "stats", plain]).stdout.splitlines()[1:]
    )


def test_experiment_with_an_unreachable_ray_address_is_one_error(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install '.[cluster]')")
    source = tmp_path / "in.gcode"
    source.write_text(corpus.gcode_drawing(random.Random(6), strokes=3))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke(["toolpath", "experiment", source, "--out", tmp_path / "out", "--ray", f"127.0.0.1:{port}"])
    assert result.exit_code == 1 and "nothing answers" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["dataset", "inside-dataset", "parent-of-dataset", "file", "unrelated-folder"])
def test_train_never_replaces_what_is_not_a_model_folder(tmp_path, case):
    data = tmp_path / "photos"
    (data / "Kawung").mkdir(parents=True)
    (data / "Kawung" / "a.jpg").write_bytes(b"photo")
    other = tmp_path / "documents"
    other.mkdir()
    (other / "letter.txt").write_text("keep")
    (tmp_path / "notes.txt").write_text("keep")
    out = {
        "dataset": data,
        "inside-dataset": data / "model",
        "parent-of-dataset": tmp_path,
        "file": tmp_path / "notes.txt",
        "unrelated-folder": other,
    }[case]
    before = sorted((p.relative_to(tmp_path), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    result = invoke(["train", "--data", data, "--out", out])
    assert result.exit_code == 1
    assert sorted((p.relative_to(tmp_path), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()) == before
