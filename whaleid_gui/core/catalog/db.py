"""The SQLAlchemy engine of a project file and the translation of SQLite faults into clear errors.

Everything SQLite-specific lives here (pragmas, URI for read-only) so the rest of the store is
plain SQLAlchemy Core; db_postgres.py is the same for a catalog in PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .errors import CatalogError, DiskFullError, ProjectReadOnlyError

DB_NAME = "project.sqlite"
# A write transaction starts with BEGIN IMMEDIATE (store._tx sets it): a deferred one that read
# first and then wrote failed at once with "database is locked" whenever another connection of
# the same app (a background import, proposals, training) had committed in between, whatever the
# busy timeout; taking the write lock up front makes writers queue for it instead.
BEGIN_KEY = "whaleid_begin_sql"


def make_engine(db_path: Path, read_only: bool = False, immutable: bool = False) -> Engine:
    """Engine on one SQLite file: FK on, WAL (writers), FULL sync (a decision survives power loss)."""
    uri = "file:" + quote(str(Path(db_path).absolute()))
    if read_only:
        uri += "?mode=ro" + ("&immutable=1" if immutable else "")
    engine = create_engine(
        "sqlite+pysqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=10, check_same_thread=False),
        poolclass=NullPool,  # one connection per store, closed with it
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # take transaction control from the driver so BEGIN/COMMIT are exactly ours
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 10000")
        if not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        conn.exec_driver_sql(conn.info.get(BEGIN_KEY, "BEGIN"))

    return engine


def reason_of(err: BaseException) -> str:
    orig = getattr(err, "orig", err)
    return str(orig)


@contextmanager
def translate_errors(folder: Path):
    """Turn low-level SQLite (or PostgreSQL: db_postgres) failures into one-line errors that say what to do."""
    from . import db_postgres

    try:
        yield
    except DBAPIError as err:
        if db_postgres.is_postgres_error(err):
            raise db_postgres.translated(err, folder) from err
        raise _translated(err, folder) from err
    except sqlite3.Error as err:
        raise _translated(err, folder) from err


def _translated(err: BaseException, folder: Path) -> Exception:
    text = reason_of(err).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFullError(
            f"{folder}: the disk is full; the last step was not saved (everything saved before is intact). "
            "Free some space and try again"
        )
    if "readonly" in text or "read-only" in text:
        return ProjectReadOnlyError(f"{folder}: the project cannot be written (read-only); nothing was changed")
    if "locked" in text or "busy" in text:
        return CatalogError(f"{folder}: the project is busy in another program; try again")
    if "malformed" in text or "not a database" in text:
        return CatalogError(f"{folder}: the project file is damaged ({reason_of(err)}); restore a backup")
    if isinstance(err, DBAPIError) and isinstance(getattr(err, "orig", None), sqlite3.IntegrityError):
        return CatalogError(f"{folder}: refused by the database ({reason_of(err)}); nothing was changed")
    return CatalogError(f"{folder}: database error: {reason_of(err)}")
