"""`whaleid project migrate SRC DEST`: copy a project's catalog to a new project folder whose
catalog is in SQLite or PostgreSQL (either way), ids unchanged, then prove the copy whole.

The source is read in one snapshot (SQLite: one read transaction; PostgreSQL: REPEATABLE READ),
so reviewers may keep working on it meanwhile: the copy is the catalog as of that moment. The
target is written in one transaction and, still inside it, read back and compared table by
table (row count and a SHA-256 of every row in id order); a difference rolls everything back.
The target must be empty: a folder that is not yet a project, a database without tables.
The folder's other files (settings.json, proposed boxes, trained models) are copied too;
`cache/` is not (features are recomputed on first use, per machine).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import Table, func, inspect, select, text, update
from sqlalchemy.engine import Connection

from . import db_postgres
from .db import BEGIN_KEY, DB_NAME, translate_errors
from .errors import CatalogError, ProjectExistsError
from .schema import metadata
from .store import SETTINGS_NAME, ProjectStore, is_project_folder

BATCH = 5000  # rows per INSERT round trip
# files of the source folder that are its catalog (or belong to it), never copied
CATALOG_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", "project.lock", db_postgres.URL_FILE)
NOT_COPIED_DIRS = ("cache",)


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # hex SHA-256 of the rows in id order, equal on both sides


def migrate_project(
    src: str | Path, dest: str | Path, db_url: str | None = None, user: str | None = None
) -> list[TableCopy]:
    """Copy project SRC to the new project DEST (catalog in PostgreSQL when db_url is given)."""
    src, dest = Path(src).expanduser().absolute(), Path(dest).expanduser().absolute()
    if src == dest:
        raise CatalogError(f"{dest}: the target is the source; give a new folder")
    if is_project_folder(dest):
        raise ProjectExistsError(dest)
    if db_url is not None:
        _refuse_non_empty_database(db_url)
    with ProjectStore.open(src, user=user, read_only=True) as source:
        target = ProjectStore.create(dest, user=user, db_url=db_url)
        try:
            report = _copy_tables(source, target)
            _copy_folder_files(src, dest)
        except BaseException:
            target.close()
            _undo_target(dest, db_url)
            raise
        target.close()
    return report


def _refuse_non_empty_database(db_url: str) -> None:
    engine = db_postgres.make_engine(db_url, read_only=True)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
    except Exception as err:
        # the same one-line messages as opening a project (unreachable, login, no database)
        raise db_postgres.translated_at(err, db_postgres.without_password(db_url)) from err
    finally:
        engine.dispose()
    if tables:
        what = "a WhaleID catalog" if "meta" in tables else f"other tables ({', '.join(tables[:5])})"
        raise CatalogError(
            f"{db_postgres.without_password(db_url)}: the database is not empty (it holds {what}); "
            "migrate copies only into an empty database, nothing was changed"
        )


def _copy_tables(source: ProjectStore, target: ProjectStore) -> list[TableCopy]:
    report = []
    src_engine = source._engine
    assert src_engine is not None
    with translate_errors(source.folder), src_engine.connect() as src_conn:
        if source.backend == "postgresql":  # one snapshot for every table
            src_conn = src_conn.execution_options(isolation_level="REPEATABLE READ")
        dst = target.connection
        # the raw connection, not target._tx(): a store write would also count itself as a change
        dst.info[BEGIN_KEY] = "BEGIN IMMEDIATE"
        with src_conn.begin(), translate_errors(target.folder), dst.begin():
            for table in metadata.sorted_tables:
                dst.execute(table.delete())  # the rows create() installed (meta, counters)
                _insert_rows(dst, table, _rows(src_conn, table))
                if target.backend == "postgresql":
                    reset_sequence(dst, table)
            for table in metadata.sorted_tables:
                want = _summary(src_conn, table)
                got = _summary(dst, table)
                if want != got:
                    raise CatalogError(
                        f"{target.location}: the copy of table {table.name} differs from the source "
                        f"({want[0]} rows, {got[0]} copied); nothing was kept"
                    )
                report.append(TableCopy(table.name, want[0], want[1]))
    return report


def _rows(conn: Connection, table: Table) -> Iterator[dict]:
    yield from (dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns)))


def _self_references(table: Table) -> list[str]:
    # e.g. individuals.merged_into: a row may point at a later row; written once all rows exist
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _insert_rows(conn: Connection, table: Table, rows: Iterable[dict]) -> None:
    later = _self_references(table)
    pending: list[tuple[dict, dict]] = []  # (primary key, self-reference values)
    batch: list[dict] = []
    for row in rows:
        if later:
            refs = {c: row[c] for c in later if row[c] is not None}
            if refs:
                pending.append(({c.name: row[c.name] for c in table.primary_key.columns}, refs))
                row = {**row, **{c: None for c in refs}}
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for key, refs in pending:
        where = [table.c[name] == value for name, value in key.items()]
        conn.execute(update(table).where(*where).values(**refs))


def reset_sequence(conn: Connection, table: Table) -> None:
    """The next id PostgreSQL hands out follows the copied ids (explicit ids do not advance it)."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
        return
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
            f"coalesce((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"
        )
    )


def _summary(conn: Connection, table: Table) -> tuple[int, str]:
    """(row count, SHA-256 of the rows in id order): values as Python reads them through the
    table's types, so a boolean is a bool and a float its shortest repr on both backends."""
    count = conn.execute(select(func.count()).select_from(table)).scalar_one()
    digest = hashlib.sha256()
    for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
        digest.update(repr(tuple(row)).encode("utf-8"))
        digest.update(b"\n")
    return int(count), digest.hexdigest()


def _copy_folder_files(src: Path, dest: Path) -> None:
    for item in src.iterdir():
        if item.name in CATALOG_FILES or item.name.startswith("project.v") or item.name in NOT_COPIED_DIRS:
            continue  # the catalog, its upgrade backups and per-machine caches
        target = dest / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        elif item.name == SETTINGS_NAME or not target.exists():
            shutil.copy2(item, target)  # the source's settings replace the fresh ones


def _undo_target(dest: Path, db_url: str | None) -> None:
    """The target's transaction was rolled back; remove the folder's catalog files so that the
    same command can be run again."""
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", db_postgres.URL_FILE, SETTINGS_NAME, "project.lock"):
        (dest / name).unlink(missing_ok=True)
    if db_url is not None:
        _drop_installed_tables(db_url)


def _drop_installed_tables(db_url: str) -> None:
    # create() committed the empty schema before the copy began; leave the database as we found it
    engine = db_postgres.make_engine(db_url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
    except Exception:
        pass  # the message of the first failure is the one that matters
    finally:
        engine.dispose()
