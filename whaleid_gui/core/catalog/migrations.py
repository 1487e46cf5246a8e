"""Schema versions: install the current schema, or upgrade an older project file in place.

Each step runs in one transaction with its version bump (SQLite DDL is transactional), after a
copy of the file is kept next to it (project.v<N>-backup.sqlite), so a failed upgrade loses
nothing. Add a step: write `_vN_to_vN1(conn)`, register it in STEPS, bump SCHEMA_VERSION.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from .errors import CatalogError, ProjectReadOnlyError, SchemaTooNewError
from .schema import SCHEMA_VERSION, box_proposals, catalog_changes, meta, metadata, photo_claims
from .timeutil import now_iso


def _v1_to_v2(conn: Connection) -> None:
    # per-photo quality flag and comment (review screen)
    conn.exec_driver_sql("ALTER TABLE photos ADD COLUMN quality VARCHAR(16)")
    conn.exec_driver_sql("ALTER TABLE photos ADD COLUMN comment TEXT")


def _v2_to_v3(conn: Connection) -> None:
    # several reviewers at once: per-photo decision version, refused decisions kept for the audit,
    # "being reviewed by" claims and the change counter that apps poll (portable DDL: SQLite and
    # PostgreSQL)
    conn.exec_driver_sql("ALTER TABLE photos ADD COLUMN decision_version INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE decisions ADD COLUMN photo_version INTEGER")
    conn.exec_driver_sql("ALTER TABLE decisions ADD COLUMN conflict_with INTEGER REFERENCES decisions (id)")
    conn.exec_driver_sql("CREATE INDEX ix_decisions_undone_at ON decisions (undone_at)")
    photo_claims.create(conn)
    catalog_changes.create(conn)
    _first_change_counter(conn)


def _v3_to_v4(conn: Connection) -> None:
    # proposed boxes in the catalog (they were a CSV beside it: application/box_proposals.py moves
    # an existing one in when the project opens for writing)
    box_proposals.create(conn)


def _first_change_counter(conn: Connection) -> None:
    conn.execute(catalog_changes.insert().values(id=1, counter=0))


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def install(conn: Connection) -> None:
    """Create the current schema in an empty database (inside the caller's transaction)."""
    metadata.create_all(conn)
    conn.execute(
        meta.insert(),
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "created_at", "value": now_iso()},
        ],
    )
    _first_change_counter(conn)


def read_version(conn: Connection, folder: Path) -> int:
    if not inspect(conn).has_table("meta"):
        raise CatalogError(f"{folder}: project.sqlite is not a WhaleID project file (no meta table)")
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    raise CatalogError(f"{folder}: project.sqlite has no valid schema version ({value!r})")


def check_version(version: int, folder: Path, read_only: bool) -> bool:
    """True when an upgrade is needed; raises when the file cannot be used as it is."""
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{folder}: project written by a newer WhaleID (schema {version}, this program knows "
            f"up to {SCHEMA_VERSION}); update WhaleID"
        )
    if version < SCHEMA_VERSION and read_only:
        raise ProjectReadOnlyError(
            f"{folder}: project uses the older schema {version}; open it once for writing to upgrade it"
        )
    return version < SCHEMA_VERSION


def backup_file(db_path: Path, version: int) -> Path:
    """Consistent copy of the database (SQLite online backup, includes the WAL)."""
    target = db_path.with_name(f"project.v{version}-backup.sqlite")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"project.v{version}-backup-{n}.sqlite")
    src = sqlite3.connect(str(db_path))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def upgrade(conn: Connection, from_version: int) -> int:
    """Run the steps from `from_version` to the current one; each step is one transaction."""
    version = from_version
    while version < SCHEMA_VERSION:
        step = STEPS[version]
        with conn.begin():
            step(conn)
            conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version + 1)))
        version += 1
    return version
