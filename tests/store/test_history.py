import csv
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from batik_studio.store import HistoryEntry, HistoryStore, default_database_url, default_images_dir
from batik_studio.store.history import _Row


@pytest.fixture
def save(save_photo):
    return save_photo


def test_schema_created_on_first_start_and_images_beside_database(tmp_path):
    """A new SQLite file gets its tables, and photos go to images/ next to it."""
    url = f"sqlite:///{tmp_path / 'new' / 'history.sqlite3'}"
    store = HistoryStore(url)
    assert store.count() == 0
    assert (tmp_path / "new" / "history.sqlite3").exists()
    assert store.images_dir == tmp_path / "new" / "images"
    store.close()


def test_save_roundtrip_keeps_every_field(store, save):
    """What is saved comes back unchanged (UTC time, top-k, flags, file name)."""
    entry = save(store, name="<b>motif</b>.jpg")
    again = store.get(entry.id)
    assert again == entry
    assert again.label == "Kawung" and again.confidence == pytest.approx(0.9)
    assert again.top_k[0] == ("Kawung", pytest.approx(0.9))
    assert again.file_name == "<b>motif</b>.jpg"
    assert again.created_at.tzinfo is not None
    assert store.image_path(again).exists() and store.thumbnail_path(again).exists()


def test_same_photo_is_stored_once(store, save):
    """Two saves of the same bytes share one image file."""
    first = save(store)
    second = save(store)
    assert first.image_sha256 == second.image_sha256
    assert len(list(store.images_dir.glob("*.jpg"))) == 2  # one photo + one thumbnail


def test_page_is_newest_first_and_paginates(store, save):
    """Pages come newest first, without overlap, and the count is exact."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [save(store, colour=(i, 0, 0), created_at=start + timedelta(minutes=i)).id for i in range(45)]
    assert store.count() == 45
    pages = [store.page(offset, 20) for offset in (0, 20, 40)]
    assert [len(p) for p in pages] == [20, 20, 5]
    seen = [entry.id for page in pages for entry in page]
    assert seen == list(reversed(ids))


def test_page_rejects_bad_arguments(store):
    """A negative offset or an empty page is a caller error."""
    with pytest.raises(ValueError, match="offset"):
        store.page(-1, 10)
    with pytest.raises(ValueError, match="limit"):
        store.page(0, 0)


def test_failure_inside_save_rolls_back_only_that_entry(store, save):
    """An exception raised mid-transaction loses that entry and leaves the others intact."""
    kept = [save(store, colour=(i, 50, 50)).id for i in range(3)]

    def explode(*_args):
        raise RuntimeError("simulated crash while writing the row")

    event.listen(_Row, "before_insert", explode)
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            save(store, colour=(9, 9, 9))
    finally:
        event.remove(_Row, "before_insert", explode)
    assert store.count() == 3
    assert [entry.id for entry in store.page(0, 10)] == sorted(kept, reverse=True)
    assert save(store, colour=(8, 8, 8)).id > max(kept)


def test_process_killed_mid_save_leaves_database_intact(tmp_path):
    """A process that dies between INSERT and COMMIT loses that entry only; the file passes integrity_check."""
    db = tmp_path / "history.sqlite3"
    script = textwrap.dedent(
        f"""
        import os
        from sqlalchemy import event
        from batik_studio.store import HistoryStore
        from batik_studio.store.history import _Row
        from PIL import Image

        class FakePrediction:
            label, confidence, unknown, milliseconds = "Kawung", 0.9, False, 1.0
            top_k = (("Kawung", 0.9),)

        def make_photo(colour):
            image = Image.new("RGB", (32, 32), colour)
            return image.tobytes(), image

        store = HistoryStore("sqlite:///{db}")
        for i in range(5):
            data, image = make_photo((i, 1, 1))
            store.save(data=data, image=image, file_name=f"{{i}}.jpg", prediction=FakePrediction(), model="m")
        event.listen(_Row, "after_insert", lambda *a: os._exit(3))
        data, image = make_photo((99, 1, 1))
        store.save(data=data, image=image, file_name="dies.jpg", prediction=FakePrediction(), model="m")
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = {**os.environ, "PYTHONPATH": os.path.join(root, "src")}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = HistoryStore(f"sqlite:///{db}")
    assert reopened.count() == 5
    assert "dies.jpg" not in {entry.file_name for entry in reopened.page(0, 10)}
    reopened.close()


def test_delete_one_removes_row_and_unused_photo(store, save):
    """Deleting an entry removes its photo only when no other entry uses it."""
    shared_a = save(store, colour=(1, 2, 3))
    shared_b = save(store, colour=(1, 2, 3))
    alone = save(store, colour=(200, 200, 0))
    assert store.delete(alone.id)
    assert not store.image_path(alone).exists()
    assert store.delete(shared_a.id)
    assert store.image_path(shared_b).exists()
    assert not store.delete(alone.id)
    assert [entry.id for entry in store.page()] == [shared_b.id]


def test_delete_all_empties_table_and_images(store, save):
    """delete_all removes every row and every stored photo, and reports how many."""
    for i in range(4):
        save(store, colour=(i, i, 200))
    assert store.delete_all() == 4
    assert store.count() == 0
    assert list(store.images_dir.glob("*.jpg")) == []


def test_csv_export_has_header_rows_and_neutralised_formulas(store, save, fake_prediction):
    """The CSV lists every entry newest first; a name that looks like a formula is made inert."""
    save(store, name="plain.jpg")
    save(store, name='=HYPERLINK("x").jpg', prediction=fake_prediction(label="Parang", unknown=True))
    rows = list(csv.DictReader(io.StringIO(store.csv_text())))
    assert [row["file_name"] for row in rows] == ['\'=HYPERLINK("x").jpg', "plain.jpg"]
    assert rows[0]["motif"] == "Parang" and rows[0]["unknown"] == "1"
    assert rows[1]["top_k"].startswith("Kawung:0.9000;")


def test_history_entry_validates_values():
    """Out-of-range confidences, bad hashes and naive times are refused."""
    good = dict(
        id=1,
        created_at=datetime.now(UTC),
        file_name="a.jpg",
        image_sha256="a" * 64,
        label="Kawung",
        confidence=0.5,
        unknown=False,
        top_k=(("Kawung", 0.5),),
        model="m",
        milliseconds=1.0,
    )
    HistoryEntry(**good)
    for change in ({"confidence": 1.5}, {"image_sha256": "xyz"}, {"created_at": datetime(2025, 1, 1)}):
        with pytest.raises(ValueError):
            HistoryEntry(**{**good, **change})


def test_environment_selects_database_and_images(monkeypatch, tmp_path):
    """BATIK_DATABASE_URL and BATIK_IMAGES_DIR override the defaults."""
    monkeypatch.setenv("BATIK_DATABASE_URL", "postgresql+pg8000://u@h/db")
    monkeypatch.setenv("BATIK_IMAGES_DIR", str(tmp_path / "pics"))
    assert default_database_url() == "postgresql+pg8000://u@h/db"
    assert default_images_dir(default_database_url()) == tmp_path / "pics"
    monkeypatch.delenv("BATIK_DATABASE_URL")
    monkeypatch.delenv("BATIK_IMAGES_DIR")
    assert default_database_url().startswith("sqlite:///") and "batik-studio" in default_database_url()
