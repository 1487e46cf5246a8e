"""The synthetic generator stores a few demo queries upside-down or mirrored, as real archives hold
them; the box is in the stored photo's frame and the recorded fix (rotation 180 / flip) brings the
model's input back to the upright photo's."""

from __future__ import annotations

import numpy as np

from whaleid_gui.core.features import ImageItem, item_crop
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.synthetic import (MIRRORED, UPRIGHT, UPSIDE_DOWN, FlukeIdentity, _Job, oriented,
                                        render_photo, turn_some)


def test_the_recorded_fix_brings_a_turned_photo_back(tmp_path):
    image, box = render_photo(FlukeIdentity.random(np.random.default_rng(3)), np.random.default_rng(4), (200, 134))
    image.save(tmp_path / "upright.png")
    upright = item_crop(ImageItem(tmp_path / "upright.png", box), 48)
    for orientation, rotation, flip in ((UPSIDE_DOWN, 180, False), (MIRRORED, 0, True)):
        turned, turned_box = oriented(image, box, orientation)
        assert turned.size == image.size and turned_box.width == box.width and turned_box.height == box.height
        assert not np.array_equal(np.asarray(turned), np.asarray(image))
        turned.save(tmp_path / f"{orientation}.png")
        as_stored = item_crop(ImageItem(tmp_path / f"{orientation}.png", turned_box), 48)
        fixed = item_crop(ImageItem(tmp_path / f"{orientation}.png", turned_box, rotation=rotation, flip=flip), 48)
        assert np.allclose(fixed, upright, atol=1e-4) and not np.allclose(as_stored, upright, atol=1e-2)
    assert oriented(image, box, UPRIGHT) == (image, box)


def test_turned_queries_are_catalogued_whales_alternately_upside_down_and_mirrored():
    jobs = [_Job(f"q_{i}.jpg", NEW_WHALE if i % 3 == 0 else f"HW-{i}", i, 2, 1) for i in range(12)]
    turned = turn_some(jobs, 4, np.random.default_rng(0))
    changed = [j for j in turned if j.orientation != UPRIGHT]
    assert len(changed) == 4 and all(j.label != NEW_WHALE for j in changed)
    assert [j.orientation for j in changed] == [UPSIDE_DOWN, MIRRORED, UPSIDE_DOWN, MIRRORED]
    assert [j._replace(orientation=UPRIGHT) for j in turned] == jobs  # nothing else changes
    assert turn_some(jobs, 0, np.random.default_rng(0)) == jobs  # the small demo: none
