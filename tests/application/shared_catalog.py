"""A small catalog that several reviewers open at once: random photos, HW-001 and HW-002, on SQLite
or on the test command's PostgreSQL server (db_url)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from whaleid_gui.core.catalog import ProjectStore


def shared_catalog(tmp_path: Path, db_url: str | None, photos: int) -> Path:
    folder = tmp_path / "project"
    with ProjectStore.create(folder, user="admin", db_url=db_url) as s:
        rng = np.random.default_rng(0)
        for i in range(photos):
            path = tmp_path / f"p{i}.png"
            Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(path)
            s.add_photo(path)
        s.create_individual("HW-001")
        s.create_individual("HW-002")
    return folder
