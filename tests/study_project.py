"""A tiny real project for the study plots (statistics, widget, `whaleid report`).

Ten photos (48x32 JPEGs); what each one is:

    photo   individual(s)  date              survey  lat, lon
    img_00  HW-A           2021-07-01T09:00  S1      10.0, -60.0
    img_01  HW-B           2021-07-01T10:00  S1      10.1, -60.1
    img_02  HW-A           2021-07-03        S2      10.2, -60.2
    img_03  HW-A and HW-C  2021-07-03        S2      -
    img_04  HW-B           2021-07-05        -       10.3, -60.3
    img_05  HW-C           -                 S3      -
    img_06  (unidentified)
    img_07  HW-D           2021-07-02        S1      10.4, -60.4   flagged unusable
    img_08  (unidentified)                                         flagged unusable
    img_09  HW-B           -                 -       -

Sightings are added out of date order on purpose. tests/core/catalog/test_study_stats.py works
out every number of this project by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIGHTINGS = [  # (photo index, code, date, survey, lat, lon), not in date order
    (9, "HW-B", None, None, None, None),
    (4, "HW-B", "2021-07-05", None, 10.3, -60.3),
    (3, "HW-C", "2021-07-03", "S2", None, None),
    (0, "HW-A", "2021-07-01T09:00", "S1", 10.0, -60.0),
    (5, "HW-C", None, "S3", None, None),
    (2, "HW-A", "2021-07-03", "S2", 10.2, -60.2),
    (1, "HW-B", "2021-07-01T10:00", "S1", 10.1, -60.1),
    (3, "HW-A", "2021-07-03", "S2", None, None),
    (7, "HW-D", "2021-07-02", "S1", 10.4, -60.4),
]
UNUSABLE = (7, 8)


def _image(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(low).resize((48, 32), Image.Resampling.BICUBIC).save(path)


def make_study_project(root: Path, db_url: str | None = None):
    """Create the project in root/project (photos in root/photos), its catalog in PostgreSQL when
    db_url is given; returns the open ProjectStore."""
    from whaleid_gui.core.catalog import ProjectStore

    for i in range(10):
        _image(root / "photos" / f"img_{i:02d}.jpg", seed=100 + i)
    store = ProjectStore.create(root / "project", user="tester", db_url=db_url)
    store.import_folder(root / "photos")
    photos = {p.path.name: p for p in store.photos(sort="path")}
    ids = {code: store.create_individual(code).id for code in ("HW-A", "HW-B", "HW-C", "HW-D")}
    for index, code, date, survey, lat, lon in SIGHTINGS:
        store.add_sighting(photos[f"img_{index:02d}.jpg"].id, ids[code], date=date, survey=survey, lat=lat, lon=lon)
    for index in UNUSABLE:
        store.set_quality(photos[f"img_{index:02d}.jpg"].id, "unusable")
    return store
