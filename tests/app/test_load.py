"""The real server under load and killed mid-save, on SQLite and PostgreSQL, driven without a browser.

``batik app`` runs as a child process with the shipped model and its own database; browser-less sessions speak
Streamlit's websocket protocol to it (tests/app/browserless.py), upload photos, and read the "saved as #id" line
the page shows. Twenty sessions at once must each find their upload in the history exactly once; a SIGKILL in the
middle of saves must leave the database consistent with every acknowledged entry in it, and the app must start
again on it.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.store import HistoryStore
from tests.app.browserless import BrowserlessSession, health

SRC = Path(__file__).resolve().parents[2] / "src"
SAVED = re.compile(r"(?:Tersimpan di Riwayat|Saved to the History) \(#(\d+)\)")
SESSIONS = 20
START_GUARD_S = 180

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app(database_url: str, images: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``batik app`` on a free port with this database; yields its URL and process, stops it afterwards."""
    port = _free_port()
    env = dict(
        os.environ,
        BATIK_DATABASE_URL=database_url,
        BATIK_IMAGES_DIR=str(images),
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    )
    env.pop("BATIK_MODEL_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "batik_studio", "app", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_GUARD_S
    while True:
        try:
            if health(url) == "ok":
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the app did not start: {server.stderr.read()[-2000:]}")
        time.sleep(0.5)
    try:
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        server.stderr.close()


def _photo(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _classify(session: BrowserlessSession, name: str, data: bytes) -> int:
    """Upload one photo on the Classify page; the history id the page says it was saved as."""
    page = session.run("classify")
    assert not page.uncaught, page.uncaught
    session.upload(page.widgets["file_uploader"][-1], name, data, "image/png")
    shown = session.run("classify")
    assert not shown.uncaught, shown.uncaught
    ids = [int(m.group(1)) for text in shown.texts for m in [SAVED.search(text)] if m]
    assert len(ids) == 1, shown.texts
    return ids[0]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    """A fresh database URL: a SQLite file, or the throwaway PostgreSQL server (emptied first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    store = HistoryStore(url, tmp_path / "images")
    store.delete_all()
    store.close()
    return url


def _check_store(url: str, images: Path, saved: dict[str, int]) -> HistoryStore:
    store = HistoryStore(url, images)
    entries = store.page(0, max(1, store.count()))
    by_name: dict[str, list[int]] = {}
    for entry in entries:
        by_name.setdefault(entry.file_name, []).append(entry.id)
        for path in (store.image_path(entry), store.thumbnail_path(entry)):
            with Image.open(path) as image:
                image.load()
    for name, entry_id in saved.items():
        assert by_name.get(name) == [entry_id], f"{name}: saved as #{entry_id}, history has {by_name.get(name)}"
    return store


def test_twenty_sessions_at_once_each_upload_saved_exactly_once(database, tmp_path):
    images = tmp_path / "images"
    with served_app(database, images) as (url, _server):

        def one_session(k: int) -> tuple[str, int]:
            session = BrowserlessSession(url)
            try:
                name = f"session-{k}.png"
                entry_id = _classify(session, name, _photo(k))
                again = session.run("classify")  # a rerun shows the same entry and saves nothing new
                assert [int(m.group(1)) for t in again.texts for m in [SAVED.search(t)] if m] == [entry_id]
                return name, entry_id
            finally:
                session.close()

        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            saved = dict(pool.map(one_session, range(SESSIONS)))
    assert len(saved) == SESSIONS and len(set(saved.values())) == SESSIONS
    store = _check_store(database, images, saved)
    try:
        assert store.count() == SESSIONS
    finally:
        store.close()


def test_sigkill_mid_saves_keeps_every_acknowledged_entry(database, tmp_path):
    images = tmp_path / "images"
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    enough = threading.Event()
    with served_app(database, images) as (url, server):

        def keep_saving(worker: int) -> None:
            session = BrowserlessSession(url, timeout_s=30)
            try:
                for k in range(60):
                    name = f"w{worker}-{k}.png"
                    entry_id = _classify(session, name, _photo(1000 * worker + k))
                    with lock:
                        acknowledged[name] = entry_id
                        if len(acknowledged) >= 40:
                            enough.set()
            except Exception:  # the server was killed under this session: expected
                return
            finally:
                try:
                    session.close()
                except Exception:
                    pass

        workers = [threading.Thread(target=keep_saving, args=(w,)) for w in range(8)]
        for thread in workers:
            thread.start()
        assert enough.wait(timeout=600), f"only {len(acknowledged)} saves acknowledged"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=60)
        for thread in workers:
            thread.join(timeout=120)
        with lock:
            saved = dict(acknowledged)
    assert server.returncode == -signal.SIGKILL
    if database.startswith("sqlite"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    _check_store(database, images, saved).close()
    with served_app(database, images) as (url, _server):
        session = BrowserlessSession(url)
        try:
            after = _classify(session, "after-restart.png", _photo(99_999))
        finally:
            session.close()
    assert after not in saved.values()
