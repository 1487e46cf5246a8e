"""Test helper: more photos of one encounter. The small demo shows each whale once; a survey often
photographs the same whale several times minutes apart."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path


def add_encounter_photos(store, photo, folder: Path, minutes=(3, 6)) -> list:
    """Copies of `photo` taken `minutes` after it in its survey (EXIF date and position, as a camera
    writes them; re-saved, so each is a file of its own) with the photo's box when it has one."""
    from whaleid_gui.application.demo_field_data import FieldRecord, write_exif

    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.fromisoformat(photo.taken_at) if photo.taken_at else datetime(2023, 2, 3, 10, 0)
    box = store.box(photo.id)
    rows = []
    for m in minutes:
        path = folder / f"{photo.path.stem}_{m}min.jpg"
        shutil.copyfile(photo.path, path)
        write_exif(FieldRecord(path, start + timedelta(minutes=m), photo.survey or "S", photo.lat or 19.2,
                               photo.lon or -69.4))
        row = store.add_photo(path, survey=photo.survey)
        if box is not None:
            store.set_box(row.id, box.box, source="manual", rotation=box.rotation, flip=box.flip)
        rows.append(store.photo(row.id))
    return rows
