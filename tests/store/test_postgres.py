"""The history store on PostgreSQL: a throwaway server is started when the binaries are installed."""

import pytest
from sqlalchemy import event

from batik_studio.store import HistoryStore
from batik_studio.store.history import _Row


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
