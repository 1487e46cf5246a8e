"""What every part of ProjectStore stands on: the project folder, the user, the connection and
the transaction helpers.

ProjectStore is assembled from one mixin per kind of record (store_photos, store_boxes,
store_individuals, store_decisions); each mixin derives from StoreBase, so what it relies on is
stated in one place (and a type checker can see it) instead of being assumed of the final class.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.engine import Connection, CursorResult, Engine

from .db import BEGIN_KEY, translate_errors
from .errors import CatalogError, ProjectReadOnlyError
from .lock import ProjectLock, default_user
from .schema import catalog_changes

ID_CHUNK = 900  # ids per IN (...) query: under SQLite's oldest limit of 999 parameters


def id_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """`ids` in lists of at most ID_CHUNK, one IN (...) query each (a database caps the parameters
    of one statement)."""
    ids = list(ids)
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start:start + ID_CHUNK]


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row that an INSERT (the statement of `result`) has just written."""
    key = result.inserted_primary_key
    if key is None:  # only for statements that are not a single-row INSERT
        raise CatalogError("internal error: no primary key for an INSERT")
    return int(key[0])


def _sqlite_sync(conn: Connection, level: str) -> None:
    """PRAGMA synchronous on the SQLite connection itself (outside SQLAlchemy's transaction)."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise CatalogError("the project's database connection is closed")
    driver.execute(f"PRAGMA synchronous = {level}")


class StoreBase:
    def __init__(self, folder: Path, user: str | None, read_only: bool, _lock: ProjectLock | None):
        self.folder = Path(folder)
        self.user: str = user or default_user()
        self.read_only = read_only
        self._lock = _lock
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._depth = 0
        self._sync_relaxed = False  # SQLite: a non-durable write left the connection at NORMAL sync

    @property
    def closed(self) -> bool:
        return self._conn is None

    @property
    def connection(self) -> Connection:
        """The store's SQLAlchemy connection (for tests and tools; prefer the methods)."""
        if self._conn is None:
            raise CatalogError(f"{self.folder}: project is closed")
        return self._conn

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def _tx(self, write: bool = True, counted: bool = True, durable: bool = True) -> Iterator[Connection]:
        """One transaction (re-entrant: nested calls join the outer one). counted=False: a write
        that other reviewers' views need not reload for (claims). durable=False: a write that may
        be lost to a power cut (claims, hints refreshed every poll), committed without waiting
        for the disk: SQLite's FULL sync made each claim's commit an fsync on the GUI thread,
        stalls of 50-110 ms on this machine (issue 15)."""
        if write and self.read_only:
            raise ProjectReadOnlyError(f"{self.folder}: project is open read-only; nothing was changed")
        conn = self.connection
        if self._depth:
            self._depth += 1
            try:
                yield conn
            finally:
                self._depth -= 1
            return
        with translate_errors(self.folder):
            self._depth = 1
            conn.info[BEGIN_KEY] = "BEGIN IMMEDIATE" if write else "BEGIN"
            sqlite = conn.dialect.name == "sqlite"
            try:
                if write and sqlite and (not durable or self._sync_relaxed):
                    # outside any transaction (the driver's autocommit), for this transaction only;
                    # a durable write after a relaxed one whose reset failed restores FULL first
                    self._sync_relaxed = True
                    _sqlite_sync(conn, "FULL" if durable else "NORMAL")
                    self._sync_relaxed = not durable
                with conn.begin():
                    if write and not durable and not sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield conn
                    if write and counted:
                        # other reviewers' apps poll this counter to reload what changed; raised
                        # last, so its row lock (PostgreSQL) is held only until the commit
                        conn.execute(
                            catalog_changes.update().where(catalog_changes.c.id == 1)
                            .values(counter=catalog_changes.c.counter + 1)
                        )
            finally:
                self._depth = 0
                if self._sync_relaxed and not self.closed:
                    try:
                        _sqlite_sync(conn, "FULL")
                        self._sync_relaxed = False
                    except Exception:  # retried before the next durable write; never hides an error
                        pass

    def _read(self) -> AbstractContextManager[Connection]:
        return self._tx(write=False)

    def change_count(self) -> int:
        """How many write transactions the catalog has seen (by anyone): one cheap read that an
        app polls to notice what other reviewers changed."""
        with self._read() as conn:
            return int(conn.execute(select(catalog_changes.c.counter).where(catalog_changes.c.id == 1)).scalar() or 0)
