"""A project whose catalog lives in PostgreSQL: its URL, the engine and clear one-line errors.

The project folder keeps `project.postgresql`, one line: the postgresql:// URL of the catalog
database WITHOUT its password. libpq finds the password itself, per user and machine: the
PGPASSWORD variable or the ~/.pgpass file (PGPASSFILE), so no secret is written into a folder
that a whole lab may share. A password typed in the URL at `project create` is used for that
command and left out of the file.

Unlike SQLite, several programs may write the same PostgreSQL catalog at once (no project.lock):
every store write is one short transaction on its own connection (READ COMMITTED).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from .errors import CatalogError, DiskFullError, ProjectReadOnlyError

URL_FILE = "project.postgresql"
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
CONNECT_TIMEOUT_S = 10  # an unreachable server is reported after this, not after libpq's minutes


def is_postgres_url(text: str | None) -> bool:
    return bool(text) and str(text).split(":", 1)[0].lower() in SCHEMES


def parse_url(text: str) -> URL:
    """The URL as SQLAlchemy reads it; a clear error for anything that is not a postgresql:// URL."""
    try:
        url = make_url(text.strip())
    except ArgumentError as err:
        raise CatalogError(f"{text!r}: not a database URL; write postgresql://user@host:port/database") from err
    if url.drivername not in SCHEMES or not url.database:
        raise CatalogError(
            f"{without_password(url)}: not a PostgreSQL database URL; write postgresql://user@host:port/database"
        )
    return url


def without_password(url: URL | str) -> str:
    """The URL as it may be shown and stored: no password, plain postgresql:// scheme."""
    u = make_url(url) if isinstance(url, str) else url
    text = u._replace(password=None, drivername="postgresql").render_as_string(hide_password=False)
    base, sep, query = text.partition("?")
    return base + sep + unquote(query)  # ?host=/run/postgresql, not ?host=%2Frun%2Fpostgresql


def read_url(folder: Path) -> str:
    path = Path(folder) / URL_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the catalog's database URL ({err.strerror})") from err
    if not is_postgres_url(text):
        raise CatalogError(f"{path}: does not hold a postgresql:// URL")
    return text


def write_url(folder: Path, url: str) -> Path:
    path = Path(folder) / URL_FILE
    path.write_text(without_password(parse_url(url)) + "\n", encoding="utf-8")
    return path


def make_engine(url: str, read_only: bool = False) -> Engine:
    """Engine on the catalog database; a read-only store gets read-only transactions from the server."""
    u = parse_url(url)._replace(drivername="postgresql+psycopg")
    options = "-c default_transaction_read_only=on" if read_only else None
    connect_args: dict = {}
    if "connect_timeout" not in u.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    if options:
        connect_args["options"] = options
    # one connection per store, closed with it (as on SQLite): a lab's server counts its clients
    return create_engine(u, poolclass=NullPool, connect_args=connect_args)


def holds_catalog(conn: Connection, folder: Path) -> bool:
    """True when the database holds a WhaleID catalog; refuses one that holds other tables."""
    tables = set(inspect(conn).get_table_names())
    if "meta" in tables:
        return True
    if tables:
        shown = ", ".join(sorted(tables)[:5])
        raise CatalogError(
            f"{without_password(read_url(folder))}: the database holds other tables ({shown}); "
            "give WhaleID an empty database of its own"
        )
    return False


# pg_advisory_lock key of "the schema is being installed or upgraded" (any constant of our own)
_SCHEMA_LOCK_KEY = 0x57484C45  # "WHLE"


def advisory_lock(conn: Connection) -> None:
    # session-level: it outlives the transaction that takes it, until advisory_unlock
    with conn.begin():
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})


def advisory_unlock(conn: Connection) -> None:
    with conn.begin():
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEMA_LOCK_KEY})


def is_postgres_error(err: BaseException) -> bool:
    orig = getattr(err, "orig", err)
    return type(orig).__module__.startswith("psycopg")


def translated(err: BaseException, folder: Path) -> Exception:
    """One line that says what went wrong and names the database (never its password)."""
    try:
        where = without_password(read_url(folder))
    except CatalogError:
        where = str(folder)
    return translated_at(err, where)


def translated_at(err: BaseException, where: str) -> Exception:
    orig = getattr(err, "orig", err)
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    low = str(orig).lower()
    if state == "3D000" or ("database" in low and "does not exist" in low):
        return CatalogError(f"{where}: the database does not exist; create it on the server (createdb) first")
    if state.startswith("28") or "password authentication failed" in low or "no password supplied" in low or (
        "role" in low and "does not exist" in low
    ) or "pg_hba.conf" in low:
        return CatalogError(
            f"{where}: the server refused the login ({text}); check the user name and the password "
            "in PGPASSWORD or ~/.pgpass"
        )
    if not state and (
        "connection refused" in low or "could not translate host name" in low or "timeout expired" in low
        or "failed to resolve host" in low or "name or service not known" in low
        or "no such file or directory" in low or "connection failed" in low or "could not connect" in low
        or "server closed the connection" in low or "connection is closed" in low
    ):
        return CatalogError(f"{where}: cannot reach the database server ({text}); is it running and reachable?")
    if state == "25006":
        return ProjectReadOnlyError(f"{where}: the catalog is open read-only; nothing was changed")
    if state in ("53100", "53200"):
        return DiskFullError(f"{where}: the database server is out of space; the last step was not saved")
    if state in ("40001", "40P01", "55P03"):
        return CatalogError(f"{where}: the catalog is busy with another reviewer's change; try again")
    if state.startswith("23"):
        return CatalogError(f"{where}: refused by the database ({text}); nothing was changed")
    return CatalogError(f"{where}: database error: {text}")
