"""A project whose catalog is in PostgreSQL (a real throwaway server: tests/conftest.py)."""

from __future__ import annotations

import re

import psycopg
import pytest
from catalog_helpers import run_python

from whaleid_gui.core.catalog import CatalogError, ProjectExistsError, ProjectReadOnlyError, ProjectStore
from whaleid_gui.core.catalog.db_postgres import URL_FILE


def _with_password(url: str, password: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@", 1)


def test_the_folder_names_the_database_without_its_password(tmp_path, pg_url):
    # the test server trusts local logins, so the typed password is accepted and not needed
    with ProjectStore.create(tmp_path / "p", user="ann", db_url=_with_password(pg_url, "s3cret")) as s:
        assert s.backend == "postgresql"
        assert "s3cret" not in s.location
        s.create_individual("HW-001")
    text = (tmp_path / "p" / URL_FILE).read_text()
    assert "s3cret" not in text and text.strip() == pg_url
    assert not (tmp_path / "p" / "project.sqlite").exists()
    with ProjectStore.open(tmp_path / "p") as s:
        assert [i.code for i in s.individuals()] == ["HW-001"]
    with pytest.raises(ProjectExistsError):
        ProjectStore.create(tmp_path / "p", db_url=pg_url)


def test_a_second_folder_joins_the_same_catalog(tmp_path, pg_url):
    with ProjectStore.create(tmp_path / "ann", user="ann", db_url=pg_url) as s:
        s.create_individual("HW-001")
    with ProjectStore.create(tmp_path / "bob", user="bob", db_url=pg_url) as s:
        assert [i.code for i in s.individuals()] == ["HW-001"]


def test_several_writers_at_once_and_no_lock_file(tmp_path, pg_url):
    a = ProjectStore.create(tmp_path / "p", user="ann", db_url=pg_url)
    try:
        b = ProjectStore.open(tmp_path / "p", user="bob")  # SQLite would refuse or queue a second writer
        try:
            a.create_individual("HW-001")
            b.create_individual("HW-002")
            # another process writes while both stores are open
            code = (
                "import sys; from whaleid_gui.core.catalog import ProjectStore\n"
                "with ProjectStore.open(sys.argv[1], user='cli') as s: s.create_individual('HW-003')\n"
            )
            proc = run_python(code, str(tmp_path / "p"))
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert sorted(i.code for i in a.individuals()) == ["HW-001", "HW-002", "HW-003"]
        finally:
            b.close()
    finally:
        a.close()
    assert not (tmp_path / "p" / "project.lock").exists()


def test_read_only_store_cannot_write(tmp_path, pg_url):
    ProjectStore.create(tmp_path / "p", db_url=pg_url).close()
    with ProjectStore.open(tmp_path / "p", read_only=True) as s:
        with pytest.raises(ProjectReadOnlyError):
            s.create_individual("HW-001")
        # even a write that bypasses the store's own check is refused by the server
        with pytest.raises(CatalogError, match="read-only"):
            with s._tx(write=False) as conn:
                conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('x', 'y')")


def test_a_database_with_other_tables_is_refused(tmp_path, pg_url):
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE invoices (id integer)")
    with pytest.raises(CatalogError, match="other tables \\(invoices\\)"):
        ProjectStore.create(tmp_path / "p", db_url=pg_url)
    assert not (tmp_path / "p" / URL_FILE).exists()  # nothing half-made is left behind


@pytest.mark.parametrize(
    "make_url, expected",
    [
        (lambda url: re.sub(r"/t_[0-9a-f]+\?", "/no_such_db?", url), "the database does not exist"),
        (lambda url: url.replace("postgresql://postgres@", "postgresql://nobody:pw@", 1),
         "the server refused the login"),
        (lambda url: "postgresql://postgres:pw@127.0.0.1:1/whales", "cannot reach the database server"),
    ],
    ids=["database missing", "login refused", "server unreachable"],
)
def test_faults_are_one_line_errors_naming_the_url_without_password(tmp_path, pg_url, make_url, expected):
    url = make_url(pg_url)
    with pytest.raises(CatalogError) as info:
        ProjectStore.create(tmp_path / "p", db_url=url)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and ":pw@" not in message
    assert message.startswith("postgresql://")
    assert not (tmp_path / "p" / URL_FILE).exists()


def test_not_a_postgresql_url(tmp_path):
    with pytest.raises(CatalogError, match="not a PostgreSQL database URL"):
        ProjectStore.create(tmp_path / "p", db_url="mysql://host/db")


def test_reviewers_creating_their_folders_at_once_install_the_catalog_once(tmp_path, pg_url):
    # each process makes its own folder on the same empty database at the same moment: one
    # installs the schema (under an advisory lock), the others wait and join it
    code = (
        "import sys; from whaleid_gui.core.catalog import ProjectStore\n"
        "with ProjectStore.create(sys.argv[1], user=sys.argv[2], db_url=sys.argv[3]) as s:\n"
        "    s.create_individual('HW-' + sys.argv[2])\n"
    )
    procs = [run_python(code, str(tmp_path / who), who, pg_url) for who in ("ann", "bob", "cy")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'schema_version'").fetchone()[0] == 1
    with ProjectStore.open(tmp_path / "ann") as s:
        assert sorted(i.code for i in s.individuals()) == ["HW-ann", "HW-bob", "HW-cy"]
