"""ProjectStore: one project folder = project.sqlite (+ settings.json + project.lock), or a
catalog in PostgreSQL named by the folder's project.postgresql (db_postgres.py).

Opening a SQLite project takes the project's writer lock (lock.py) or, with read_only=True, opens
the file read-only without a lock. A PostgreSQL catalog takes no lock: several programs may write
it at once. Every public write is one transaction. One store object belongs to one thread; a
worker opens its own store on the same folder (same-process opens share the lock).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import select

from whaleid_gui.core.atomic_write import atomic_write

from . import db_postgres, migrations
from .db import DB_NAME, make_engine, translate_errors
from .errors import CatalogError, ProjectExistsError, ProjectNotFoundError, ProjectReadOnlyError
from .lock import ProjectLock
from .rows import CheckReport, ModelRunRow
from .schema import meta, model_runs
from .store_boxes import BoxesMixin
from .store_decisions import DecisionsMixin
from .store_base import inserted_id
from .store_photos import PhotosMixin
from .store_proposals import ProposalsMixin
from .timeutil import now_iso

SETTINGS_NAME = "settings.json"
SETTINGS_FORMAT = 1
SUBJECT_FACT = "subject"  # the catalog fact (meta table) of what its photos show (application/photo_subjects.py)


def is_project_folder(folder: str | Path) -> bool:
    """True for a folder with a catalog: project.sqlite, or project.postgresql naming one."""
    folder = Path(folder)
    return (folder / DB_NAME).is_file() or (folder / db_postgres.URL_FILE).is_file()


class ProjectStore(PhotosMixin, BoxesMixin, ProposalsMixin, DecisionsMixin):  # DecisionsMixin includes IndividualsMixin
    """The catalog of one project. Use ProjectStore.create / ProjectStore.open, not the constructor."""

    def __init__(self, folder: Path, user: str | None, read_only: bool, _lock: ProjectLock | None):
        super().__init__(folder, user, read_only, _lock)
        self.db_path = self.folder / DB_NAME
        # the PostgreSQL catalog's URL (with the password when one was typed; never shown or
        # stored so), or None for the folder's own project.sqlite
        self.db_url: str | None = None

    @property
    def backend(self) -> str:
        return "sqlite" if self.db_url is None else "postgresql"

    @property
    def location(self) -> str:
        """Where the catalog lives, fit to show: the SQLite file or the URL without its password."""
        return str(self.db_path) if self.db_url is None else db_postgres.without_password(self.db_url)

    # ----------------------------------------------------------------- open / close
    @classmethod
    def create(cls, folder: str | Path, user: str | None = None, db_url: str | None = None,
               settings: dict | None = None) -> "ProjectStore":
        """A new project folder; its catalog in the folder (SQLite) or, with db_url, in PostgreSQL.
        settings: written with the first settings file (one write: no project without them).

        A PostgreSQL database that already holds a WhaleID catalog is joined (that is how each
        reviewer of a lab makes a folder of their own); one holding other tables is refused.
        """
        folder = Path(folder).expanduser().absolute()
        if db_url is not None:
            db_postgres.parse_url(db_url)  # a clear error before anything is created
        if (folder / DB_NAME).exists() or (folder / db_postgres.URL_FILE).exists():
            raise ProjectExistsError(folder)
        if folder.exists() and not folder.is_dir():
            raise CatalogError(f"{folder}: exists and is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ProjectReadOnlyError(f"{folder}: cannot create the project folder ({err.strerror})") from err
        first = {**(settings or {}), "format": SETTINGS_FORMAT, "name": folder.name}
        if db_url is not None:
            return cls._create_postgres(folder, user, db_url, first)
        lock = ProjectLock(folder, user)
        lock.acquire()
        store = cls(folder, user, False, lock)
        try:
            store._connect()
            with store._tx() as conn:
                migrations.install(conn)
            store._write_settings({**first, "created_at": now_iso(), "created_by": store.user})
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _create_postgres(cls, folder: Path, user: str | None, db_url: str, first: dict) -> "ProjectStore":
        url_file = db_postgres.write_url(folder, db_url)  # first: errors name the URL it holds
        store = cls(folder, user, False, None)
        store.db_url = db_url
        try:
            store._connect()
            with store._upgrade_guard():
                with store._tx() as conn:
                    joined = db_postgres.holds_catalog(conn, folder)
                    if not joined:
                        migrations.install(conn)
                if joined:
                    store._migrate_if_needed()
            store._write_settings({**first, "created_at": now_iso(), "created_by": store.user})
        except BaseException:
            store.close()
            url_file.unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, folder: str | Path, user: str | None = None, read_only: bool = False,
             shared: bool = False) -> "ProjectStore":
        """shared (SQLite): write beside other programs that open it shared too (several reviewers
        on one machine; SQLite runs their transactions one at a time), not beside an exclusive one."""
        folder = Path(folder).expanduser().absolute()
        db_url = None
        if (folder / db_postgres.URL_FILE).is_file():
            db_url = db_postgres.read_url(folder)
        elif not (folder / DB_NAME).is_file():
            raise ProjectNotFoundError(folder)
        lock = None
        if not read_only and db_url is None:  # PostgreSQL: many writers, no lock
            lock = ProjectLock(folder, user, shared=shared)
            lock.acquire()
        store = cls(folder, user, read_only, lock)
        store.db_url = db_url
        try:
            store._connect()
            store._migrate_if_needed()
        except BaseException:
            store.close()
            raise
        return store

    def _connect(self) -> None:
        if self.db_url is not None:
            with translate_errors(self.folder):
                self._engine = db_postgres.make_engine(self.db_url, read_only=self.read_only)
                self._conn = self._engine.connect()
                self._probe()
            return
        with translate_errors(self.folder):
            engine = self._engine = make_engine(self.db_path, read_only=self.read_only)
            try:
                self._conn = engine.connect()
                self._probe()
            except Exception:
                if not self.read_only:
                    raise
                # a read-only folder without the WAL index file: read the file as immutable
                if self._conn is not None:
                    self._conn.close()
                engine.dispose()
                engine = self._engine = make_engine(self.db_path, read_only=True, immutable=True)
                self._conn = engine.connect()
                self._probe()

    def _probe(self) -> None:
        conn = self.connection
        with conn.begin():
            conn.exec_driver_sql("SELECT 1" if self.db_url else "SELECT count(*) FROM sqlite_master").all()

    def pragma(self, sql: str):
        """Run a PRAGMA outside any transaction on the store's own connection (tests, tools; SQLite only)."""
        if self.db_url is not None:
            raise CatalogError(f"{self.location}: PRAGMA is SQLite's; this catalog is in PostgreSQL")
        driver = self.connection.connection.driver_connection  # the sqlite3 connection
        if driver is None:
            raise CatalogError(f"{self.folder}: project is closed")
        cur = driver.execute(sql)
        return cur.fetchall()

    def _migrate_if_needed(self) -> None:
        conn = self.connection
        with translate_errors(self.folder), self._upgrade_guard():
            with conn.begin():
                version = migrations.read_version(conn, self.folder)
            if migrations.check_version(version, self.folder, self.read_only):
                if self.db_url is None:
                    migrations.backup_file(self.db_path, version)
                # PostgreSQL: no file to copy; each step's DDL is one transaction that a failure
                # rolls back whole (back up the server's database as the lab usually does)
                migrations.upgrade(conn, version)

    @contextmanager
    def _upgrade_guard(self) -> Iterator[None]:
        """PostgreSQL: one program at a time installs or upgrades the schema (others wait, then
        find it done). SQLite: the writer lock already ensures that."""
        if self.db_url is None or self.read_only:
            yield
            return
        with translate_errors(self.folder):
            db_postgres.advisory_lock(self.connection)
        try:
            yield
        finally:
            if self._conn is not None:
                with translate_errors(self.folder):
                    db_postgres.advisory_unlock(self.connection)

    def close(self) -> None:
        if self._conn is not None:
            try:
                last = self._lock is not None and not self._lock.shared and self._lock.last_holder()
                if not self.read_only and self.db_url is None and last:
                    # fold the WAL back so the folder holds one self-contained file (not while other
                    # shared writers go on: the checkpoint would hold them off; SQLite's automatic
                    # checkpoints keep the WAL short, and the last exclusive close folds it). Not
                    # when another store of this process still holds the project (a confirm's
                    # worker, the window's store open): that was a checkpoint with an fsync per
                    # confirm, beside the reviewer's next photo (issue 15).
                    self.pragma("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:
                pass
            try:
                self._conn.close()
            finally:
                self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> "ProjectStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- settings / meta
    @property
    def settings(self) -> dict:
        """The project's settings; the defaults when the file is missing or unreadable."""
        try:
            return self._read_settings()
        except CatalogError:
            return {"format": SETTINGS_FORMAT}

    def _read_settings(self) -> dict:
        path = self.folder / SETTINGS_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": SETTINGS_FORMAT}
        except (OSError, ValueError) as err:
            raise CatalogError(f"{path}: cannot read the project settings ({err})") from err
        if not isinstance(data, dict):
            raise CatalogError(f"{path}: the project settings are not a JSON object")
        return data

    def update_settings(self, **values) -> dict:
        if self.read_only:
            raise ProjectReadOnlyError(f"{self.folder}: project is open read-only; settings not saved")
        # an unreadable file is not replaced by defaults plus these values: that would lose the rest
        data = self._read_settings()
        data.update(values)
        self._write_settings(data)
        return data

    def _write_settings(self, data: dict) -> None:
        # a crash leaves the old or the new file, never half of one
        try:
            with atomic_write(self.folder / SETTINGS_NAME, "w", encoding="utf-8", make_parents=False) as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
        except OSError as err:
            raise CatalogError(f"{self.folder / SETTINGS_NAME}: cannot save settings ({err.strerror})") from err

    def catalog_fact(self, key: str) -> str | None:
        """A fact about the catalog itself (its meta table), shared by every folder that joins it."""
        with self._read() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def keep_catalog_fact(self, key: str, value: str) -> str:
        """Record the fact unless the catalog holds one already; returns the one it holds."""
        with self._tx() as conn:
            held = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
            if held is None:
                conn.execute(meta.insert().values(key=key, value=value))
            return value if held is None else held

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # ----------------------------------------------------------------- model runs
    def add_model_run(
        self,
        weights_id: str,
        kind: str,
        data_summary: dict | None = None,
        metrics: dict | None = None,
        started_at: str | None = None,
        finished_at: str | None = None,
    ) -> int:
        with self._tx() as conn:
            return inserted_id(conn.execute(
                model_runs.insert().values(
                    weights_id=weights_id,
                    kind=kind,
                    started_at=started_at or now_iso(),
                    finished_at=finished_at,
                    data_summary=json.dumps(data_summary or {}, sort_keys=True),
                    metrics=json.dumps(metrics or {}, sort_keys=True),
                )
            ))

    def model_runs(self) -> list[ModelRunRow]:
        with self._read() as conn:
            rows = conn.execute(select(model_runs).order_by(model_runs.c.id)).all()
        return [
            ModelRunRow(
                r.id, r.weights_id, r.kind, r.started_at, r.finished_at,
                json.loads(r.data_summary or "{}"), json.loads(r.metrics or "{}"),
            )
            for r in rows
        ]

    # ----------------------------------------------------------------- import / export / check
    def import_folder(self, folder: str | Path, progress=None, survey: str | None = None):
        from .importers import import_folder

        return import_folder(self, folder, progress=progress, survey=survey)

    def check(self) -> CheckReport:
        from .checks import run_check

        return run_check(self)
