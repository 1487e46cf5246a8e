"""Orientation fixes (rotation 180 / mirror) of an item reach the model input and the cache key."""

from __future__ import annotations

import pytest


def test_orientation_fix_rotates_the_crop_and_has_its_own_cache_entry(tmp_path):
    """A fluke marked upside down is matched as its 180-degree rotation; the cache keeps both."""
    import numpy as np
    from PIL import Image

    from whaleid_gui.core.boxes import BoundingBox
    from whaleid_gui.core.features import ImageItem, item_crop

    pixels = np.zeros((60, 120), dtype=np.uint8)
    pixels[5:20, 10:40] = 255  # a bright patch in the top-left of the box
    path = tmp_path / "f.png"
    Image.fromarray(pixels).save(path)
    box = BoundingBox(0, 0, 120, 60)
    plain = item_crop(ImageItem(path, box), 32)
    turned = item_crop(ImageItem(path, box, rotation=180), 32)
    mirrored = item_crop(ImageItem(path, box, flip=True), 32)
    assert np.allclose(turned, plain[::-1, ::-1])
    assert np.allclose(mirrored, plain[:, ::-1])
    assert plain[:16, :16].mean() > plain[16:, 16:].mean()
    assert ImageItem(path, box).key() != ImageItem(path, box, rotation=180).key()
    with pytest.raises(ValueError):
        ImageItem(path, box, rotation=90)
