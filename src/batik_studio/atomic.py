"""Every file Batik Studio writes goes through here: checked, written to a temporary file, then renamed.

Inputs are checked here too (:func:`input_file_size`): only regular files are read, so a FIFO, a device or a
folder named as input is one clear error instead of a hang, a memory blow-up or a traceback.

An output is refused when it is a folder, a device, FIFO or socket, one of the inputs, named twice, or in a folder
that does not exist, so an input is never overwritten and only regular files are ever written. The content goes to
a temporary file beside the target and is renamed over it only when complete: a failed run leaves no new file
behind and an existing output untouched. The new file gets the mode a plain ``open()`` would give it (``0o666``
less the umask) or, when it replaces a file, that file's mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from batik_studio.errors import InputError, OutputError


def _umask() -> int:
    """The process umask, read without changing it where the system tells it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
        raise OutputError(f"{path}: cannot be resolved ({error}); name a regular file") from None


def check_outputs(
    outputs: Sequence[str | os.PathLike[str] | None], inputs: Iterable[str | os.PathLike[str]] = ()
) -> list[Path | None]:
    """Refuse outputs that cannot be written safely; return them resolved (None stays None).

    Parameters
    ----------
    outputs
        The files about to be written; None entries (an output not asked for) are passed through.
    inputs
        Files read by the same run: an output may not be any of them.
    """
    input_files = [Path(p) for p in inputs]
    resolved_inputs = [_resolve(p) for p in input_files]
    checked: list[Path | None] = []
    for output in outputs:
        if output is None:
            checked.append(None)
            continue
        path = Path(output)
        target = _resolve(path)
        if target.exists():
            mode = target.stat().st_mode
            if stat.S_ISDIR(mode):
                raise OutputError(f"{path}: is a folder; name a file to write")
            if not stat.S_ISREG(mode):
                raise OutputError(f"{path}: is not a regular file (a device, FIFO or socket); name a regular file")
        elif not target.parent.is_dir():
            raise OutputError(f"{path}: folder {target.parent} does not exist; create it first")
        for source, resolved in zip(input_files, resolved_inputs, strict=True):
            if target == resolved or (target.exists() and resolved.exists() and os.path.samefile(target, resolved)):
                raise OutputError(f"{path}: the output would overwrite the input {source}; choose another file")
        if target in checked:
            raise OutputError(f"{path}: named for two outputs; give each output its own file")
        checked.append(target)
    return checked


def input_file_size(path: str | os.PathLike[str], error: type[InputError] = InputError) -> int:
    """The size in bytes of the regular file ``path``; ``error`` naming the file when it is anything else."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as failure:  # a symlink loop, a name too long, no permission, ...
        raise error(f"{path}: cannot open ({failure.strerror or failure})") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path}: is a folder; name a file")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path}: is not a regular file (a device, FIFO or socket); name a regular file")
    return status.st_size


def _new_mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


@contextmanager
def atomic_outputs(
    *outputs: str | os.PathLike[str] | None, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[tuple[Path | None, ...]]:
    """Yield one temporary path per output (None for None); rename each over its output when the block succeeds.

    The outputs are checked first (:func:`check_outputs`). When the block raises, every temporary file is removed
    and no output is touched; an ``OSError`` while writing becomes an :class:`~batik_studio.errors.OutputError`.
    """
    targets = check_outputs(outputs, inputs)
    temporaries: list[Path | None] = []
    try:
        for target in targets:
            if target is None:
                temporaries.append(None)
                continue
            try:
                handle, name = tempfile.mkstemp(
                    dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
                )
            except OSError as error:
                raise OutputError(f"{target}: cannot write in {target.parent} ({error.strerror})") from None
            os.close(handle)
            temporaries.append(Path(name))
            os.chmod(name, _new_mode(target))
        try:
            yield tuple(temporaries)
            for temporary, target in zip(temporaries, targets, strict=True):
                if temporary is not None and target is not None:
                    with temporary.open("rb") as written:
                        os.fsync(written.fileno())
                    os.replace(temporary, target)
        except OSError as error:
            ours = {str(p) for p in (*temporaries, *targets) if p is not None}
            if error.filename is not None and str(error.filename) not in ours:
                raise
            names = ", ".join(str(t) for t in targets if t is not None)
            raise OutputError(f"{names}: cannot write ({error.strerror or error})") from None
    finally:
        for temporary in temporaries:
            if temporary is not None:
                temporary.unlink(missing_ok=True)


def write_bytes_atomically(
    path: str | os.PathLike[str], data: bytes, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_outputs`; return the resolved path."""
    with atomic_outputs(path, inputs=inputs) as (temporary,):
        temporary.write_bytes(data)
    return _resolve(Path(path))


def write_text_atomically(
    path: str | os.PathLike[str], text: str, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``text`` to ``path`` as UTF-8 through :func:`atomic_outputs`; return the resolved path."""
    return write_bytes_atomically(path, text.encode("utf-8"), inputs=inputs)


__all__ = ["atomic_outputs", "check_outputs", "input_file_size", "write_bytes_atomically", "write_text_atomically"]
