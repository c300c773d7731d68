"""Fixtures for the history store: a prediction stand-in, small generated photos and a throwaway PostgreSQL."""

from __future__ import annotations

import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image


@dataclass(frozen=True)
class FakePrediction:
    """The fields the store reads from a prediction."""

    label: str = "Kawung"
    confidence: float = 0.9
    top_k: tuple = (("Kawung", 0.9), ("Parang", 0.06), ("Truntum", 0.04))
    unknown: bool = False
    milliseconds: float = 12.5


def make_photo(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> tuple[bytes, Image.Image]:
    """A small JPEG of one colour: its bytes and the decoded image."""
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue(), image


@pytest.fixture
def store(tmp_path):
    """A store on a fresh SQLite file."""
    from batik_studio.store import HistoryStore

    store = HistoryStore(f"sqlite:///{tmp_path / 'db' / 'history.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def save_photo():
    """Save a generated photo to a store: ``save_photo(store, colour=..., name=..., prediction=...)``."""

    def save(store, colour=(200, 10, 10), name="cloth.jpg", prediction=None, created_at=None):
        data, image = make_photo(colour)
        return store.save(
            data=data,
            image=image,
            file_name=name,
            prediction=prediction or FakePrediction(),
            model="test-model",
            created_at=created_at,
        )

    return save


@pytest.fixture
def fake_prediction():
    """The prediction stand-in class."""
    return FakePrediction


def _server_binaries() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A database URL: BATIK_TEST_POSTGRES_URL if set, else a fresh local server, else skip with the reason."""
    if os.environ.get("BATIK_TEST_POSTGRES_URL"):
        yield os.environ["BATIK_TEST_POSTGRES_URL"]
        return
    pytest.importorskip("pg8000", reason="the pg8000 driver is not installed (pip install '.[dev]')")
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed; apt-get install postgresql")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("running as root without a 'postgres' user to start the server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = Path(tempfile.mkdtemp(prefix="batik-pg-"))
    if as_user:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    run = dict(check=True, capture_output=True, timeout=120)
    subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "batik", "--auth=trust"], **run)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = data / "server.log"
    start = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
    subprocess.run(start, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    try:
        yield f"postgresql+pg8000://batik@127.0.0.1:{port}/postgres"
    finally:
        stop = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(data, ignore_errors=True)
