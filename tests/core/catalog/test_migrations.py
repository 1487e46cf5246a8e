"""Schema migrations: a file made by the frozen v1 DDL opens, upgrades in place, keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectReadOnlyError, ProjectStore, SchemaTooNewError

V1_SQL = Path(__file__).resolve().parents[2] / "data" / "schema_v1.sql"


def make_v1_project(folder: Path, photo: Path) -> Path:
    folder.mkdir()
    con = sqlite3.connect(folder / "project.sqlite")
    con.executescript(V1_SQL.read_text())
    con.executescript(f"""
        INSERT INTO individuals (id, code, name, created_at) VALUES (1, 'HW-007', 'Old Timer', '2015-01-01T00:00:00+00:00');
        INSERT INTO photos (id, path, sha1, phash, width, height, taken_at, imported_at)
            VALUES (1, '{photo}', 'abc', -5, 48, 32, '2015-06-01T09:00:00', '2015-06-02T00:00:00+00:00');
        INSERT INTO boxes (photo_id, x0, y0, x1, y1, source, created_at) VALUES (1, 1, 1, 20, 20, 'manual', '2015');
        INSERT INTO sightings (photo_id, individual_id, date, place, created_at) VALUES (1, 1, '2015-06-01', 'Bay', '2015');
    """)
    con.commit()
    con.close()
    return folder


def test_v1_file_upgrades_in_place_keeping_data(tmp_path):
    v1 = make_v1_project(tmp_path / "old", tmp_path / "x.jpg")
    with pytest.raises(ProjectReadOnlyError, match="older schema 1"):
        ProjectStore.open(v1, read_only=True)
    with ProjectStore.open(v1) as s:
        assert s.schema_version == 4
        p = s.photos()[0]
        assert (p.path.name, p.taken_at, p.status, p.quality) == ("x.jpg", "2015-06-01T09:00:00", "done", None)
        assert p.phash == (1 << 64) - 5  # signed storage read back unsigned
        ind = s.individual_by_code("HW-007")
        assert (ind.name, ind.n_photos, ind.last_place) == ("Old Timer", 1, "Bay")
        assert s.set_quality(p.id, "good").quality == "good"  # the v2 column works
        assert s.proposals() == {} and s.set_proposals({p.id: (BoundingBox(1, 2, 30, 20), "m1")}) == 1  # v4
        assert s.proposals() == {p.id: (BoundingBox(1, 2, 30, 20), "m1")} and p.status == "done"
    assert (v1 / "project.v1-backup.sqlite").exists()
    with ProjectStore.open(v1, read_only=True) as s:  # upgraded for good
        assert s.photos()[0].quality == "good"


def test_newer_schema_is_refused(tmp_path):
    with ProjectStore.create(tmp_path / "p"):
        pass
    con = sqlite3.connect(tmp_path / "p" / "project.sqlite")
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(SchemaTooNewError, match="newer WhaleID"):
        ProjectStore.open(tmp_path / "p")


def test_current_schema_matches_v1_plus_migration(tmp_path):
    """A fresh v2 file and an upgraded v1 file have the same photo columns."""
    v1 = make_v1_project(tmp_path / "old", tmp_path / "x.jpg")
    ProjectStore.open(v1).close()
    with ProjectStore.create(tmp_path / "new"):
        pass

    def columns(folder):
        con = sqlite3.connect(folder / "project.sqlite")
        try:
            return {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for (t,) in
                    con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")}
        finally:
            con.close()

    assert columns(v1) == columns(tmp_path / "new")
