"""The picture jobs yield typed events (consumers dispatch with isinstance, never on tuples)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from whaleid_gui.application.events import Thumbnail, ThumbnailFailed
from whaleid_gui.application.photo_display import thumbnails
from whaleid_gui.core.boxes import BoundingBox


def test_thumbnails_yield_one_typed_event_per_photo_and_go_on_after_a_bad_one(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.full((60, 90, 3), 200, dtype=np.uint8)).save(good)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    events = list(thumbnails([(7, str(bad), None), (8, str(good), BoundingBox(10, 10, 50, 40))], size=32))
    assert [type(e) for e in events] == [ThumbnailFailed, Thumbnail]
    assert events[0].key == 7 and "bad.jpg" in events[0].reason
    assert events[1].key == 8 and events[1].image.shape[2] == 3 and max(events[1].image.shape[:2]) <= 32


def test_project_thumbnails_crop_each_photo_to_the_box_the_store_holds(tmp_path):
    """The worker reads the boxes itself (issue 15: not the GUI thread at a project's opening)."""
    from whaleid_gui.application.photo_display import project_thumbnails
    from whaleid_gui.core.catalog import ProjectStore

    photos = []
    for grey, name in ((120, "wide.png"), (60, "whole.png")):  # two different photos
        path = tmp_path / name
        Image.fromarray(np.full((80, 80, 3), grey, dtype=np.uint8)).save(path)
        photos.append(path)
    store = ProjectStore.create(tmp_path / "project")
    try:
        rows = [store.add_photo(p) for p in photos]
        store.set_box(rows[0].id, BoundingBox(0, 30, 80, 46), source="manual")  # 5:1
    finally:
        store.close()
    events = list(project_thumbnails(tmp_path / "project", [(r.id, str(r.path)) for r in rows], size=40))
    shapes = {e.key: e.image.shape[:2] for e in events}
    assert shapes[rows[0].id][1] == 40 and shapes[rows[0].id][0] < 12  # the box's band, not the square
    assert shapes[rows[1].id] == (40, 40)  # no box: the whole photo
