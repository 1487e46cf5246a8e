"""A new project folder with the ranking defaults of what its photos show (shared by File > New
project and `whaleid project create`)."""

from __future__ import annotations

from pathlib import Path

from whaleid_gui.application.photo_subjects import DEFAULT_SUBJECT, subject_settings
from whaleid_gui.core.catalog import ProjectStore


def create_project(folder: str | Path, subject: str = DEFAULT_SUBJECT, user: str | None = None,
                   db_url: str | None = None) -> ProjectStore:
    """The new project, open. An unknown subject is refused before anything is created."""
    settings = subject_settings(subject)
    store = ProjectStore.create(folder, user=user, db_url=db_url)
    try:
        store.update_settings(**settings)
    except Exception:
        store.close()
        raise
    return store
