"""`whaleid project migrate SRC DEST`: SQLite to PostgreSQL and back, ids kept, every table verified."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select

from whaleid_gui import cli
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import CatalogError, ProjectExistsError, ProjectStore
from whaleid_gui.core.catalog.copy_catalog import _summary, migrate_project
from whaleid_gui.core.catalog.schema import metadata


def _tables(folder) -> dict[str, tuple[int, str]]:
    """(row count, checksum) of every table, read afresh from the project's catalog."""
    with ProjectStore.open(folder, read_only=True) as s:
        with s._read() as conn:
            return {t.name: _summary(conn, t) for t in metadata.sorted_tables}


@pytest.fixture
def catalog_url():
    """The source projects here are SQLite (`store` and `filled` not parametrised over backends)."""
    return None


@pytest.fixture
def sqlite_project(filled):
    """`filled`, with a merge into a LATER individual (a self-reference pointing forward), a
    decision, a model run and a setting, closed."""
    ph = filled.photos(sort="path")
    a, b = filled.individuals()
    filled.merge_individuals(b.id, a.id)  # a (id 1) merged into b (id 2)
    filled.set_box(ph[3].id, BoundingBox(1, 1, 30, 20))
    filled.decide(ph[3].id, "confirmed", individual_id=b.id, score=0.9, rank=1)
    filled.add_model_run("w1", "matching", metrics={"map5": 0.5})
    filled.update_settings(weights="models/w.pt")
    filled.close()
    return filled.folder


def test_sqlite_to_postgresql_and_back(sqlite_project, tmp_path, pg_url, capsys):
    before = _tables(sqlite_project)
    pg_folder, back = tmp_path / "on_pg", tmp_path / "back"
    assert cli.main(["project", "migrate", str(sqlite_project), str(pg_folder), "--db", pg_url]) == 0
    out = capsys.readouterr().out
    assert "photos: 6 rows" in out and "tables verified" in out
    assert (pg_folder / "project.postgresql").is_file() and not (pg_folder / "project.sqlite").exists()
    assert _tables(pg_folder) == before
    with ProjectStore.open(pg_folder) as s:
        assert s.settings["weights"] == "models/w.pt"  # the folder's settings came along
        individuals = metadata.tables["individuals"]
        with s._read() as conn:
            assert conn.execute(select(individuals.c.merged_into).where(individuals.c.id == 1)).scalar() == 2
        # sequences follow the copied ids: the next individual is 3, not 1
        assert s.create_individual("HW-003").id == 3
    after_pg = _tables(pg_folder)
    assert cli.main(["project", "migrate", str(pg_folder), str(back)]) == 0
    assert (back / "project.sqlite").is_file()
    assert _tables(back) == after_pg
    with ProjectStore.open(back) as s:
        assert [p.id for p in s.photos(sort="path")] == list(range(1, 7))


def test_refuses_a_non_empty_target(sqlite_project, tmp_path, pg_url):
    migrate_project(sqlite_project, tmp_path / "first", db_url=pg_url)
    # a database that already holds a catalog
    with pytest.raises(CatalogError, match="not empty .*WhaleID catalog.*nothing was changed"):
        migrate_project(sqlite_project, tmp_path / "second", db_url=pg_url)
    assert not (tmp_path / "second").exists()
    # a folder that already is a project
    with pytest.raises(ProjectExistsError):
        migrate_project(sqlite_project, tmp_path / "first")
    # other tables
    with ProjectStore.open(tmp_path / "first") as s:
        with s._tx() as conn:
            conn.exec_driver_sql("CREATE TABLE notes (id integer)")
    assert cli.main(["project", "migrate", str(tmp_path / "first"), str(sqlite_project)]) != 0


def test_a_failed_copy_leaves_an_empty_database(sqlite_project, tmp_path, pg_url):
    # a source row PostgreSQL refuses (SQLite does not check the type of a column)
    import sqlite3

    con = sqlite3.connect(sqlite_project / "project.sqlite")
    con.execute("UPDATE photos SET width = 'wide' WHERE id = 6")
    con.commit()
    con.close()
    with pytest.raises(CatalogError):
        migrate_project(sqlite_project, tmp_path / "pg", db_url=pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
    assert not (tmp_path / "pg" / "project.postgresql").exists()
    # nothing half-made blocks the next try once the source is fixed
    con = sqlite3.connect(sqlite_project / "project.sqlite")
    con.execute("UPDATE photos SET width = 48 WHERE id = 6")
    con.commit()
    con.close()
    migrate_project(sqlite_project, tmp_path / "pg", db_url=pg_url)
    with ProjectStore.open(tmp_path / "pg", read_only=True) as s:
        with s._read() as conn:
            assert conn.execute(select(metadata.tables["photos"].c.width)).scalars().all() == [48] * 6
