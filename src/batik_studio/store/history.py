"""The classification history: one row per result in a SQL database, each photo stored once by content hash.

The default database is a SQLite file in the user's data directory; ``BATIK_DATABASE_URL`` selects another one
(any SQLAlchemy URL, e.g. ``postgresql+pg8000://user@host/db``). Photos live as JPEG files named by the SHA-256
of the uploaded bytes, beside a SQLite database or in ``BATIK_IMAGES_DIR``. Each save is one transaction, so a crash
mid-save loses at most that entry; an image written before such a crash is simply reused by the next save of the
same photo.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import platformdirs
from PIL import Image
from sqlalchemy import JSON, DateTime, Float, Index, String, create_engine, delete, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from batik_studio.atomic import atomic_outputs
from batik_studio.errors import BatikError

DATABASE_URL_ENV = "BATIK_DATABASE_URL"
IMAGES_DIR_ENV = "BATIK_IMAGES_DIR"

#: Longest side (px) of the stored photo and of its thumbnail.
IMAGE_MAX_PX = 1280
THUMBNAIL_MAX_PX = 256

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CSV_COLUMNS = (
    "id",
    "created_at",
    "file_name",
    "motif",
    "confidence",
    "unknown",
    "top_k",
    "model",
    "milliseconds",
    "image_sha256",
)


class StoreError(BatikError):
    """The history database cannot be opened or written."""


class PredictionLike(Protocol):
    """What the store needs from a prediction (``batik_studio.vision.predict.Prediction`` fits)."""

    label: str
    confidence: float
    top_k: Sequence[tuple[str, float]]
    unknown: bool
    milliseconds: float


@dataclass(frozen=True)
class HistoryEntry:
    """One saved classification.

    Invariants (checked when built): ``confidence`` and every top-k probability lie in [0, 1]; ``image_sha256``
    is 64 lowercase hex digits; ``created_at`` is timezone-aware UTC; ``file_name`` is the name the user gave,
    kept as plain text (show it escaped).
    """

    id: int
    created_at: datetime
    file_name: str
    image_sha256: str
    label: str
    confidence: float
    unknown: bool
    top_k: tuple[tuple[str, float], ...]
    model: str
    milliseconds: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], got {self.confidence}")
        if any(not 0.0 <= p <= 1.0 for _, p in self.top_k):
            raise ValueError(f"top-k probabilities must lie in [0, 1], got {self.top_k}")
        if not _SHA256.match(self.image_sha256):
            raise ValueError(f"image_sha256 must be 64 lowercase hex digits, got {self.image_sha256!r}")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "history_entries"
    __table_args__ = (Index("ix_history_entries_newest", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    file_name: Mapped[str] = mapped_column(String(255))
    image_sha256: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float)
    unknown: Mapped[bool]
    top_k: Mapped[list[Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(200))
    milliseconds: Mapped[float] = mapped_column(Float)


def _entry(row: _Row) -> HistoryEntry:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return HistoryEntry(
        id=row.id,
        created_at=created.astimezone(UTC),
        file_name=row.file_name,
        image_sha256=row.image_sha256,
        label=row.label,
        confidence=row.confidence,
        unknown=row.unknown,
        top_k=tuple((str(label), float(p)) for label, p in row.top_k),
        model=row.model,
        milliseconds=row.milliseconds,
    )


def default_database_url() -> str:
    """``BATIK_DATABASE_URL`` when set, else a SQLite file in the user's data directory."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    data_dir = Path(platformdirs.user_data_dir("batik-studio", appauthor=False))
    return f"sqlite:///{data_dir / 'history.sqlite3'}"


def default_images_dir(database_url: str) -> Path:
    """``BATIK_IMAGES_DIR`` when set, else ``images/`` beside a SQLite file, else in the user's data directory."""
    configured = os.environ.get(IMAGES_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / "images"
    return Path(platformdirs.user_data_dir("batik-studio", appauthor=False)) / "images"


#: How long (s) a SQLite connection waits for another one's write lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL: readers never wait for the writer, and a killed process loses no committed entry.

    The driver begins a transaction only at the first write, so a delete's read-then-write cannot fail with a
    stale snapshot; writers queue on the busy timeout (tests/store/test_crash.py measures both).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _write_jpeg(image: Image.Image, path: Path, max_px: int) -> None:
    if path.exists():
        return
    copy = image.convert("RGB")
    copy.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    with atomic_outputs(path) as (tmp,):
        copy.save(tmp, format="JPEG", quality=88)


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from running a user-supplied name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class HistoryStore:
    """Saves, lists, deletes and exports :class:`HistoryEntry` rows; creates the schema on first use.

    Parameters
    ----------
    database_url
        SQLAlchemy URL; None means :func:`default_database_url`.
    images_dir
        Folder for the photos; None means :func:`default_images_dir`.
    """

    def __init__(self, database_url: str | None = None, images_dir: Path | str | None = None) -> None:
        self.database_url = database_url or default_database_url()
        self.images_dir = Path(images_dir) if images_dir is not None else default_images_dir(self.database_url)
        url = make_url(self.database_url)
        try:
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            self.images_dir.mkdir(parents=True, exist_ok=True)
            sqlite = url.get_backend_name() == "sqlite"
            connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S} if sqlite else {}
            self.engine: Engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
            if sqlite:
                event.listen(self.engine, "connect", _sqlite_pragmas)
            _Base.metadata.create_all(self.engine)
        except Exception as error:
            raise StoreError(f"cannot open the history database {url.render_as_string()}: {error}") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def image_path(self, entry: HistoryEntry) -> Path:
        """The stored photo of ``entry`` (JPEG, longest side at most :data:`IMAGE_MAX_PX`)."""
        return self.images_dir / f"{entry.image_sha256}.jpg"

    def thumbnail_path(self, entry: HistoryEntry) -> Path:
        """The stored thumbnail of ``entry`` (JPEG, longest side at most :data:`THUMBNAIL_MAX_PX`)."""
        return self.images_dir / f"{entry.image_sha256}.thumb.jpg"

    def save(
        self,
        *,
        data: bytes,
        image: Image.Image,
        file_name: str,
        prediction: PredictionLike,
        model: str,
        created_at: datetime | None = None,
    ) -> HistoryEntry:
        """Store the photo (once per content hash) and add one entry for ``prediction``, in one transaction."""
        sha = hashlib.sha256(data).hexdigest()
        _write_jpeg(image, self.images_dir / f"{sha}.jpg", IMAGE_MAX_PX)
        _write_jpeg(image, self.images_dir / f"{sha}.thumb.jpg", THUMBNAIL_MAX_PX)
        row = _Row(
            created_at=(created_at or datetime.now(UTC)).astimezone(UTC),
            file_name=file_name[:255],
            image_sha256=sha,
            label=prediction.label,
            confidence=float(prediction.confidence),
            unknown=bool(prediction.unknown),
            top_k=[[str(label), float(p)] for label, p in prediction.top_k],
            model=model[:200],
            milliseconds=float(prediction.milliseconds),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _entry(row)

    def count(self) -> int:
        """How many entries there are."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(_Row)) or 0

    def page(self, offset: int = 0, limit: int = 20) -> list[HistoryEntry]:
        """Up to ``limit`` entries, newest first, skipping the ``offset`` newest."""
        if offset < 0 or limit < 1:
            raise ValueError(f"offset must be >= 0 and limit >= 1, got offset={offset}, limit={limit}")
        query = select(_Row).order_by(_Row.created_at.desc(), _Row.id.desc()).offset(offset).limit(limit)
        with self._sessions() as session:
            return [_entry(row) for row in session.scalars(query)]

    def get(self, entry_id: int) -> HistoryEntry | None:
        """The entry with id ``entry_id``, or None."""
        with self._sessions() as session:
            row = session.get(_Row, entry_id)
            return _entry(row) if row is not None else None

    def delete(self, entry_id: int) -> bool:
        """Delete one entry (and its photo when no other entry uses it); False when there was none."""
        with self._sessions.begin() as session:
            row = session.get(_Row, entry_id)
            if row is None:
                return False
            sha = row.image_sha256
            session.delete(row)
            session.flush()
            still_used = session.scalar(select(func.count()).select_from(_Row).where(_Row.image_sha256 == sha))
        if not still_used:
            for suffix in (".jpg", ".thumb.jpg"):
                (self.images_dir / f"{sha}{suffix}").unlink(missing_ok=True)
        return True

    def delete_all(self) -> int:
        """Delete every entry and every stored photo; returns how many entries there were."""
        with self._sessions.begin() as session:
            removed = session.execute(delete(_Row)).rowcount or 0
        for path in self.images_dir.glob("*.jpg"):
            if _SHA256.match(path.name.split(".")[0]):
                path.unlink(missing_ok=True)
        return removed

    def export_csv(self, out: TextIO, batch: int = 1000) -> int:
        """Write every entry, newest first, as CSV to ``out``; returns the number of rows."""
        writer = csv.writer(out)
        writer.writerow(_CSV_COLUMNS)
        rows = 0
        query = select(_Row).order_by(_Row.created_at.desc(), _Row.id.desc()).execution_options(yield_per=batch)
        with self._sessions() as session:
            for row in session.scalars(query):
                entry = _entry(row)
                writer.writerow(
                    [
                        entry.id,
                        entry.created_at.isoformat(),
                        _csv_safe(entry.file_name),
                        entry.label,
                        f"{entry.confidence:.4f}",
                        int(entry.unknown),
                        ";".join(f"{label}:{p:.4f}" for label, p in entry.top_k),
                        entry.model,
                        f"{entry.milliseconds:.1f}",
                        entry.image_sha256,
                    ]
                )
                rows += 1
        return rows

    def csv_text(self) -> str:
        """Every entry as CSV text (for a download button)."""
        out = io.StringIO()
        self.export_csv(out)
        return out.getvalue()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


__all__ = [
    "DATABASE_URL_ENV",
    "IMAGES_DIR_ENV",
    "HistoryEntry",
    "HistoryStore",
    "StoreError",
    "default_database_url",
    "default_images_dir",
]
