"""Fixtures of the catalog tests: real project folders (SQLite, and PostgreSQL through tests/conftest.py:
pg_url) and real (tiny) images in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_helpers import make_image

from whaleid_gui.core.catalog import ProjectStore

@pytest.fixture
def photos_dir(tmp_path) -> Path:
    folder = tmp_path / "survey"
    for i in range(6):
        make_image(folder / f"img_{i:02d}.jpg", seed=i)
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request):
    """Every test that takes a `store` (or `filled`) runs twice: on the folder's own SQLite file
    (None) and on a fresh PostgreSQL database (its URL, from the session's throwaway server)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(tmp_path, catalog_url):
    s = ProjectStore.create(tmp_path / "proj", user="tester", db_url=catalog_url)
    yield s
    s.close()


@pytest.fixture
def filled(store, photos_dir):
    """A project with 6 photos, 2 individuals identified on photos 1-3, boxes on 1-5."""
    from whaleid_gui.core.boxes import BoundingBox

    store.import_folder(photos_dir)
    ph = store.photos(sort="path")
    a = store.create_individual("HW-001", name="Alpha")
    b = store.create_individual("HW-002")
    for p in ph[:5]:
        store.set_box(p.id, BoundingBox(2, 2, 40, 30))
    store.add_sighting(ph[0].id, a.id, date="2019-07-01", place="Bay")
    store.add_sighting(ph[1].id, a.id, date="2020-08-02", place="Cape")
    store.add_sighting(ph[2].id, b.id, date="2018-01-05", place="Reef")
    return store
