"""The one write path: outputs are checked, written whole or not at all, with ordinary file modes."""

import os
import stat

import pytest

from batik_studio.atomic import atomic_outputs, check_outputs, write_text_atomically
from batik_studio.errors import OutputError


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_text_atomically(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.txt") == 0o640
    assert (tmp_path / "a.txt").read_text() == "x"


def test_replacing_keeps_the_existing_mode(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    target.chmod(0o644)
    write_text_atomically(target, "new")
    assert target.read_text() == "new"
    assert _mode(target) == 0o644


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target, fresh = tmp_path / "a.txt", tmp_path / "b.txt"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_outputs(target, fresh) as (first, second):
        first.write_text("half")
        second.write_text("half")
        raise ZeroDivisionError
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_none_outputs_pass_through(tmp_path):
    with atomic_outputs(None, tmp_path / "a.txt") as (nothing, temporary):
        temporary.write_text("x")
    assert nothing is None
    assert (tmp_path / "a.txt").read_text() == "x"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d, "is a folder"),
        (lambda d: d / "missing" / "out.txt", "does not exist"),
    ],
)
def test_refused_targets(tmp_path, make, message):
    with pytest.raises(OutputError, match=message):
        write_text_atomically(make(tmp_path), "x")


def test_device_is_refused_and_left_alone():
    with pytest.raises(OutputError, match="not a regular file"):
        check_outputs(["/dev/null"])
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe.gcode"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        check_outputs([fifo])


def test_an_input_is_never_an_output_by_any_name(tmp_path):
    source = tmp_path / "in.gcode"
    source.write_text("G0 X1\n")
    (tmp_path / "link.gcode").symlink_to(source)
    os.link(source, tmp_path / "hard.gcode")
    for alias in (source, tmp_path / "link.gcode", tmp_path / "hard.gcode", tmp_path / "." / "in.gcode"):
        with pytest.raises(OutputError, match="overwrite the input"):
            write_text_atomically(alias, "junk", inputs=[source])
    assert source.read_text() == "G0 X1\n"


def test_one_file_for_two_outputs_is_refused(tmp_path):
    with pytest.raises(OutputError, match="two outputs"):
        check_outputs([tmp_path / "a.json", tmp_path / "." / "a.json"])


def test_symlink_loop_is_one_clear_error(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputError):
        check_outputs([loop])


def test_unwritable_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomically("/proc/o.gcode", "x")
