"""What the screens show of a photo: a large photo comes at screen size with its own size (the
box editor's space), and crops decoded only as finely as they are shown look like whole ones."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.application import photo_display
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import ImageError


def _photo(path, w=400, h=240):
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // w, y * 255 // h, (x // 40 + y // 40) % 2 * 200], axis=-1).astype(np.uint8)
    Image.fromarray(arr).save(path, quality=95)
    return arr


def test_load_view_gives_screen_sized_pixels_and_the_photos_own_size(tmp_path, monkeypatch):
    whole = _photo(tmp_path / "big.jpg")
    monkeypatch.setattr(photo_display, "VIEW_MIN_SIDE", 100)  # this small photo plays a large one
    view = photo_display.load_view(tmp_path / "big.jpg")
    assert (view.width, view.height) == (400, 240)
    assert view.rgb.shape == (60, 100, 3)  # the JPEG decoder's own 1/4: at least 100 px, no resize
    shrunk = np.asarray(Image.fromarray(whole).resize((100, 60), Image.Resampling.BOX))
    assert np.abs(view.rgb.astype(int) - shrunk).mean() < 12  # the same picture
    Image.fromarray(whole).save(tmp_path / "big.png")  # a format decoded whole: shrunk to the most
    monkeypatch.setattr(photo_display, "VIEW_MAX_SIDE", 80)
    png = photo_display.load_view(tmp_path / "big.png")
    assert png.rgb.shape == (48, 80, 3) and (png.width, png.height) == (400, 240)
    monkeypatch.setattr(photo_display, "VIEW_MIN_SIDE", 1000)
    monkeypatch.setattr(photo_display, "VIEW_MAX_SIDE", 4000)
    assert photo_display.load_view(tmp_path / "big.jpg").rgb.shape == (240, 400, 3)  # never enlarged


def test_load_view_names_an_unreadable_file(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(ImageError, match="broken.jpg"):
        photo_display.load_view(tmp_path / "broken.jpg")


def test_a_crop_decoded_at_reduced_size_matches_the_crop_of_the_whole_photo(tmp_path):
    whole = _photo(tmp_path / "p.jpg")
    box = BoundingBox(100, 40, 380, 200)
    crop = photo_display.crop_rgb(tmp_path / "p.jpg", box, max_side=64)
    x0, y0, x1, y1 = photo_display.display_region(box, 400, 240)
    expected = np.asarray(Image.fromarray(whole[y0:y1, x0:x1]).resize(crop.shape[1::-1], Image.Resampling.BILINEAR))
    assert max(crop.shape[:2]) == 64 and abs(crop.shape[1] - 64 * (x1 - x0) / (x1 - x0)) <= 1
    assert abs(crop.shape[0] - 64 * (y1 - y0) / (x1 - x0)) <= 1
    assert np.abs(crop.astype(int) - expected).mean() < 14
    flipped = photo_display.crop_rgb(tmp_path / "p.jpg", box, rotation=180, flip=True, max_side=64)
    assert np.abs(flipped.astype(int) - crop[::-1]).mean() < 3  # 180 degrees then a mirror: upside down


def test_a_crop_of_a_turned_photo_decoded_smaller_is_the_same_region(tmp_path):
    """EXIF orientation 6 (the camera turned): the box is in the photo as shown, the decoder
    works on the stored pixels; the region must still be the box's."""
    stored = _photo(tmp_path / "unused.jpg", w=400, h=240)  # stored 400 wide, shown 240 wide
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "turned.jpg", exif=exif.tobytes(), quality=95)
    shown = np.rot90(stored, k=-1)  # orientation 6: turned 90 degrees clockwise for display
    box = BoundingBox(20, 150, 200, 380)
    crop = photo_display.crop_rgb(tmp_path / "turned.jpg", box, max_side=48)
    x0, y0, x1, y1 = photo_display.display_region(box, 240, 400)
    expected = np.asarray(Image.fromarray(np.ascontiguousarray(shown[y0:y1, x0:x1])).resize(
        crop.shape[1::-1], Image.Resampling.BILINEAR))
    assert max(crop.shape[:2]) == 48
    assert np.abs(crop.astype(int) - expected).mean() < 14


def test_a_projects_thumbnails_are_turned_as_each_photos_box_says(tmp_path):
    """The queue, the catalog page, the compare strip and the encounter preview show a photo the
    scientist turned (an upside-down fluke) turned, as the box editor and the matcher see it."""
    from whaleid_gui.core.catalog import ProjectStore

    photo = tmp_path / "two.png"
    two = Image.new("RGB", (60, 40), (200, 30, 30))
    two.paste(Image.new("RGB", (60, 20), (30, 30, 200)), (0, 20))  # red above, blue below
    two.save(photo)
    other = tmp_path / "two_again.png"
    two.putpixel((0, 0), (0, 0, 0))  # another file (the same one is one photo)
    two.save(other)
    with ProjectStore.create(tmp_path / "proj", user="tester") as store:
        turned, upright = store.add_photo(photo), store.add_photo(other)
        store.set_box(turned.id, BoundingBox(0, 0, 60, 40), rotation=180)
        assert photo_display.box_parts(store.box(turned.id))[1:] == (180, False)
        assert photo_display.box_parts(None) == (None, 0, False)
    got = {ev.key: ev.image for ev in photo_display.project_thumbnails(
        tmp_path / "proj", [(turned.id, str(photo)), (upright.id, str(other))], 40)}
    top_of = {key: tuple(int(v) for v in image[image.shape[0] // 5, image.shape[1] // 2]) for key, image in got.items()}
    assert top_of[turned.id][2] > 150 and top_of[turned.id][0] < 80  # blue on top
    assert top_of[upright.id][0] > 150 and top_of[upright.id][2] < 80
