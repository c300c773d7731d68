"""The classification history (SQLAlchemy; SQLite by default, any database via ``BATIK_DATABASE_URL``)."""

from batik_studio.store.history import (
    DATABASE_URL_ENV,
    IMAGES_DIR_ENV,
    HistoryEntry,
    HistoryStore,
    StoreError,
    default_database_url,
    default_images_dir,
)

__all__ = [
    "DATABASE_URL_ENV",
    "IMAGES_DIR_ENV",
    "HistoryEntry",
    "HistoryStore",
    "StoreError",
    "default_database_url",
    "default_images_dir",
]
