"""A process saving from several threads is killed with SIGKILL mid-save: every acknowledged entry survives.

SQLite (WAL, busy timeout) and PostgreSQL. After the kill the database passes its integrity check, holds every
entry whose save had returned, each with its photo and thumbnail complete (they are renamed into place before
the row commits), and a new store opens and saves normally.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from batik_studio.store import HistoryStore
from tests.store.conftest import FakePrediction

WRITER = Path(__file__).with_name("save_until_killed.py")
SRC = Path(__file__).resolve().parents[2] / "src"
ACKS_BEFORE_KILL = 80


def _save_then_kill(url: str, images: Path, threads: int = 6) -> list[tuple[int, str, str]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    child = subprocess.Popen(
        [sys.executable, str(WRITER), url, str(images), str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks = []
    try:
        for line in child.stdout:
            _, entry_id, sha, name = line.split()
            acks.append((int(entry_id), sha, name))
            if len(acks) >= ACKS_BEFORE_KILL:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        leftover = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
    assert len(acks) >= ACKS_BEFORE_KILL, f"the writer stopped early: {leftover[-2000:]}"
    assert child.returncode == -signal.SIGKILL
    return acks


def _check_after_crash(store: HistoryStore, acks: list[tuple[int, str, str]]) -> None:
    for entry_id, sha, name in acks:
        entry = store.get(entry_id)
        assert entry is not None, f"acknowledged entry {entry_id} ({name}) is missing after the crash"
        assert entry.image_sha256 == sha and entry.file_name == name
    assert len({entry_id for entry_id, _, _ in acks}) == len(acks)
    entries = store.page(0, store.count())
    assert len(entries) == store.count() >= len(acks)
    for entry in entries:
        for path in (store.image_path(entry), store.thumbnail_path(entry)):
            with Image.open(path) as image:
                image.load()
    again = store.save(
        data=b"after the crash",
        image=Image.new("RGB", (8, 8)),
        file_name="after.png",
        prediction=FakePrediction(),
        model="m",
    )
    assert store.get(again.id) is not None


def test_sqlite_survives_sigkill_mid_save(tmp_path):
    database = tmp_path / "history.sqlite3"
    url = f"sqlite:///{database}"
    acks = _save_then_kill(url, tmp_path / "images")
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store = HistoryStore(url, tmp_path / "images")
    try:
        _check_after_crash(store, acks)
    finally:
        store.close()


def test_postgres_survives_sigkill_mid_save(postgres_url, tmp_path):
    clean = HistoryStore(postgres_url, tmp_path / "images")
    clean.delete_all()
    clean.close()
    acks = _save_then_kill(postgres_url, tmp_path / "images")
    store = HistoryStore(postgres_url, tmp_path / "images")
    try:
        _check_after_crash(store, acks)
    finally:
        store.delete_all()
        store.close()


@pytest.mark.parametrize("threads", [20])
def test_sqlite_twenty_writers_lose_nothing(tmp_path, threads):
    """Twenty threads saving at once against one SQLite file: no 'database is locked', nothing lost or doubled."""
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    acks = _save_then_kill(url, tmp_path / "images", threads=threads)
    store = HistoryStore(url, tmp_path / "images")
    try:
        names = [entry.file_name for entry in store.page(0, store.count())]
        assert len(names) == len(set(names))
        _check_after_crash(store, acks)
    finally:
        store.close()


def test_sqlite_concurrent_saves_and_deletes_do_not_fail(tmp_path, save_photo):
    """Deletes read before they write: with twenty sessions writing in between, none may fail as 'locked'."""
    from concurrent.futures import ThreadPoolExecutor

    store = HistoryStore(f"sqlite:///{tmp_path / 'history.sqlite3'}", tmp_path / "images")

    def churn(worker: int) -> int:
        kept = 0
        for k in range(15):
            entry = save_photo(store, colour=(worker, k, 7), name=f"{worker}-{k}.jpg")
            if k % 3 == 0:
                assert store.delete(entry.id)
            else:
                kept += 1
        return kept

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            kept = sum(pool.map(churn, range(20)))
        assert store.count() == kept
    finally:
        store.close()
