"""A new project folder with the ranking defaults of what its photos show (shared by File > New
project and `whaleid project create`)."""

from __future__ import annotations

from pathlib import Path

from whaleid_gui.application.photo_subjects import DEFAULT_SUBJECT, subject_settings
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.core.catalog.store import SUBJECT_FACT


def create_project(folder: str | Path, wanted: str | None = None, user: str | None = None,
                   db_url: str | None = None) -> tuple[ProjectStore, str | None]:
    """(the new project, open; a note for the user or None).

    wanted: what the photos show (None: flukes, or what a joined catalog holds). It is a fact of
    the catalog, so a folder joining a lab's PostgreSQL catalog follows the catalog: every reviewer
    ranks its photos the same way, and the note says so when that is not what was asked. An
    unknown kind is refused before anything is created.
    """
    chosen = wanted or DEFAULT_SUBJECT
    store = ProjectStore.create(folder, user=user, db_url=db_url, settings=subject_settings(chosen))
    try:
        held = store.keep_catalog_fact(SUBJECT_FACT, chosen)
        if held == chosen:
            return store, None
        store.update_settings(**subject_settings(held))
    except BaseException:
        store.close()
        raise
    asked = f", not {chosen} as asked" if wanted and wanted != held else ""
    return store, f"joined a catalog of {held} photos: this folder ranks them as such{asked}"
