"""The history store on PostgreSQL: a throwaway server is started when the binaries are installed."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event

from batik_studio.store import HistoryStore
from batik_studio.store.history import _Row


def _server_binaries() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
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


@pytest.fixture
def pg_store(postgres_url, tmp_path):
    store = HistoryStore(postgres_url, images_dir=tmp_path / "images")
    store.delete_all()
    yield store
    store.delete_all()
    store.close()


def test_postgres_save_page_delete_export(pg_store, save_photo):
    """Save, list newest first, delete and export behave on PostgreSQL as on SQLite."""
    ids = [save_photo(pg_store, colour=(i, 3, 3), name=f"{i}.jpg").id for i in range(25)]
    assert pg_store.count() == 25
    assert [entry.id for entry in pg_store.page(0, 20)] == list(reversed(ids))[:20]
    assert pg_store.get(ids[0]).created_at.tzinfo is not None
    assert pg_store.delete(ids[0]) and pg_store.count() == 24
    assert pg_store.csv_text().count("\n") == 25


def test_postgres_failed_save_rolls_back(pg_store, save_photo):
    """An exception mid-transaction leaves PostgreSQL with the earlier entries only."""
    save_photo(pg_store, colour=(1, 1, 1))

    def explode(*_args):
        raise RuntimeError("simulated crash")

    event.listen(_Row, "before_insert", explode)
    try:
        with pytest.raises(RuntimeError):
            save_photo(pg_store, colour=(2, 2, 2))
    finally:
        event.remove(_Row, "before_insert", explode)
    assert pg_store.count() == 1
