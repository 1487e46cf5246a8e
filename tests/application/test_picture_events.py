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
