"""Photo loading (modes, EXIF, bad files) and the model crop (geometry, augmentation).

Real files written to tmp_path; tiny images so the whole file runs in about a second.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.core import photo_files
from whaleid_gui.core.augment import ANISOTROPY, Augment, crop_region
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import ImageError
from whaleid_gui.core.images import crop_array, load_crop, orient, orient_box, standardize
from whaleid_gui.core.photo_files import file_sha1, image_size, load_image

# --------------------------------------------------------------------------------------------
# Helpers


def _smooth_noise(h: int, w: int, seed: int = 0, blob: int = 8) -> np.ndarray:
    """A blurry random picture (uint8) with features about `blob` pixels wide."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 256, (max(h // blob, 2), max(w // blob, 2)), dtype=np.uint8))
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


# --------------------------------------------------------------------------------------------
# load_image: modes and formats


def test_rgb_png_loads_unchanged(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "a.png")
    img = load_image(tmp_path / "a.png")
    assert img.mode == "RGB" and img.size == (20, 12)
    np.testing.assert_array_equal(np.asarray(img), arr)


@pytest.mark.parametrize("mode", ["L", "1", "P", "CMYK", "LA", "RGBA"])
def test_other_modes_load_as_rgb(tmp_path, mode):
    base = Image.new("RGB", (16, 10), (250, 240, 230))
    base.paste((10, 10, 120), (0, 0, 8, 10))
    img = base.convert(mode, dither=Image.Dither.NONE)
    name = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    img.save(name)
    assert Image.open(name).mode == mode  # the file really is in that mode
    out = load_image(name)
    assert out.mode == "RGB" and out.size == (16, 10)
    left, right = np.asarray(out)[5, 2].astype(int), np.asarray(out)[5, 12].astype(int)
    assert np.abs(left - right).sum() > 40  # the two halves stay distinguishable


def test_rgba_transparent_part_becomes_neutral_gray(tmp_path):
    arr = np.zeros((10, 10, 4), dtype=np.uint8)
    arr[:, :5] = (255, 0, 0, 255)  # opaque red
    arr[:, 5:] = (0, 255, 0, 0)  # fully transparent (its colour must not show)
    Image.fromarray(arr, "RGBA").save(tmp_path / "a.png")
    out = np.asarray(load_image(tmp_path / "a.png")).astype(int)
    assert tuple(out[5, 2]) == (255, 0, 0)
    r, g, b = out[5, 8]
    assert r == g == b  # neutral
    assert abs(r - round(0.299 * 255)) <= 1  # the mean gray of the opaque part (red's luminance)


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (10, 10), 0)
    img.putpalette([255, 255, 0] + [0, 0, 255] + [0, 0, 0] * 254)
    img.paste(1, (0, 0, 5, 10))
    img.info["transparency"] = 1  # palette index 1 (blue) is transparent
    img.save(tmp_path / "p.png", transparency=1)
    assert "transparency" in Image.open(tmp_path / "p.png").info
    out = np.asarray(load_image(tmp_path / "p.png")).astype(int)
    assert tuple(out[5, 8]) == (255, 255, 0)  # opaque yellow kept
    r, g, b = out[5, 2]
    assert r == g == b and b != 255  # transparent blue is gone, replaced by a neutral gray


def test_16bit_grayscale_is_scaled_not_clipped(tmp_path):
    arr = np.zeros((8, 30), dtype=np.uint16)
    arr[:, 10:20] = 32768
    arr[:, 20:] = 65535
    Image.fromarray(arr).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode in ("I;16", "I")
    out = np.asarray(load_image(tmp_path / "g16.png"))
    assert out[4, 5, 0] == 0
    assert 120 <= out[4, 15, 0] <= 135  # mid-gray, not clipped to white
    assert out[4, 25, 0] == 255
    # The same through 32-bit "I" mode (some readers give that for 16-bit files).
    Image.fromarray(arr.astype(np.int32), "I").save(tmp_path / "g32.tif")
    out = np.asarray(load_image(tmp_path / "g32.tif"))
    assert (out[4, 5, 0], out[4, 25, 0]) == (0, 255) and 120 <= out[4, 15, 0] <= 135


@pytest.mark.parametrize("ext", ["jpg", "png", "tif", "webp"])
def test_formats(tmp_path, ext):
    arr = np.zeros((20, 30, 3), dtype=np.uint8)
    arr[:, 15:] = 255
    Image.fromarray(arr).save(tmp_path / f"a.{ext}")
    out = np.asarray(load_image(tmp_path / f"a.{ext}"))
    assert out.shape == (20, 30, 3)
    assert out[10, 3].mean() < 40 and out[10, 26].mean() > 215


# --------------------------------------------------------------------------------------------
# EXIF orientation


def _exif_jpeg(path, orientation: int):
    arr = np.full((20, 40, 3), 0, dtype=np.uint8)  # 40 wide, 20 tall
    arr[0:6, 0:6] = (255, 255, 255)  # marker in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(arr).save(path, exif=exif.tobytes(), quality=95)


def test_exif_orientation_6_rotates(tmp_path):
    _exif_jpeg(tmp_path / "o6.jpg", 6)
    img = load_image(tmp_path / "o6.jpg")
    assert img.size == (20, 40)  # width/height swapped
    assert image_size(tmp_path / "o6.jpg") == (20, 40)
    gray = np.asarray(img.convert("L")).astype(int)
    # Orientation 6 = the camera was turned: display rotates 90 deg clockwise; top-left -> top-right.
    assert gray[2, 17] > 200
    assert gray[2, 2] < 50 and gray[37, 2] < 50 and gray[37, 17] < 50


def test_exif_orientation_1_is_untouched(tmp_path):
    _exif_jpeg(tmp_path / "o1.jpg", 1)
    img = load_image(tmp_path / "o1.jpg")
    assert img.size == (40, 20) == image_size(tmp_path / "o1.jpg")
    assert np.asarray(img.convert("L"))[2, 2] > 200


# --------------------------------------------------------------------------------------------
# Bad files -> ImageError naming the file and the reason


def _assert_image_error(func, path, *words):
    with pytest.raises(ImageError) as info:
        func(path)
    message = str(info.value)
    assert path.name in message
    for word in words:
        assert word in message, message
    return info.value


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    _assert_image_error(load_image, tmp_path / "empty.jpg", "empty", "0 bytes")
    _assert_image_error(image_size, tmp_path / "empty.jpg", "empty")


def test_truncated_jpeg(tmp_path):
    buf = tmp_path / "full.jpg"
    Image.fromarray(_smooth_noise(64, 96)).convert("RGB").save(buf, quality=90)
    data = buf.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    _assert_image_error(load_image, tmp_path / "cut.jpg", "truncated or corrupt")
    assert image_size(tmp_path / "cut.jpg") == (96, 64)  # the header is still fine


def test_truncated_png(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) * 2 // 3])
    _assert_image_error(load_image, tmp_path / "cut.png", "truncated or corrupt")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("whale seen at noon\n")
    err = _assert_image_error(load_image, tmp_path / "notes.jpg", "not an image file")
    assert err.reason == "not an image file (cannot identify format)"
    assert err.path == str(tmp_path / "notes.jpg")


def test_directory_named_jpg(tmp_path):
    (tmp_path / "x.jpg").mkdir()
    _assert_image_error(load_image, tmp_path / "x.jpg", "is a directory")
    _assert_image_error(image_size, tmp_path / "x.jpg", "is a directory")
    _assert_image_error(file_sha1, tmp_path / "x.jpg", "is a directory")


def test_missing_file(tmp_path):
    _assert_image_error(load_image, tmp_path / "nope.jpg", "not found")
    _assert_image_error(image_size, tmp_path / "nope.jpg", "not found")
    _assert_image_error(file_sha1, tmp_path / "nope.jpg", "not found")
    _assert_image_error(load_crop, tmp_path / "nope.jpg", "not found")


def test_decompression_bomb_guard(tmp_path, monkeypatch):
    Image.new("RGB", (64, 64)).save(tmp_path / "big.png")
    monkeypatch.setattr(photo_files, "MAX_PIXELS", 1000)
    _assert_image_error(load_image, tmp_path / "big.png", "too large", "4,096 pixels")
    _assert_image_error(image_size, tmp_path / "big.png", "too large")


@pytest.mark.parametrize("side", [40, 64])  # 40x40: PIL warns; 64x64 (> 2x its limit): PIL raises
def test_pil_decompression_bomb_becomes_image_error(tmp_path, monkeypatch, side):
    Image.new("RGB", (side, side)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    _assert_image_error(load_image, tmp_path / "bomb.png", "too large")


def test_file_sha1(tmp_path):
    data = np.random.default_rng(3).bytes(3 * 1024 * 1024 + 17)
    (tmp_path / "f.bin").write_bytes(data)
    assert file_sha1(tmp_path / "f.bin") == hashlib.sha1(data).hexdigest()
    assert file_sha1(tmp_path / "f.bin", chunk_size=1000) == hashlib.sha1(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Crop geometry


def test_crop_shape_dtype_range():
    img = Image.fromarray(_smooth_noise(60, 90)).convert("RGB")
    for box in (None, BoundingBox(10, 10, 50, 30)):
        out = crop_array(img, box, size=48)
        assert out.shape == (48, 48) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
        assert out.std() > 0.01


def test_crop_sampling_convention_is_exact():
    # A 215x100 photo has aspect 2.15: no box -> the region is exactly the photo, and with
    # size 100 the rows map 1:1 (pixel centres), so each crop row equals the photo row.
    rows = np.repeat(np.arange(100, dtype=np.uint8)[:, None] * 2, 215, axis=1)
    out = crop_array(Image.fromarray(rows), None, size=100)
    np.testing.assert_allclose(out[:, 50], rows[:, 0] / 255.0, atol=1e-5)


def test_white_box_maps_to_crop_center():
    arr = np.zeros((120, 240), dtype=np.uint8)
    box = BoundingBox(60, 40, 160, 80)  # aspect 2.5: the region gets heightened
    arr[40:80, 60:160] = 255
    out = crop_array(Image.fromarray(arr).convert("RGB"), box, size=64)
    assert out[32, 32] > 0.95
    assert out[32, 5] > 0.95 and out[32, 58] > 0.95  # box spans ~91% of the width (5% margins)
    assert out[32, 1] < 0.3 and out[32, 62] < 0.3  # the margin is dark
    for corner in (out[0, 0], out[0, -1], out[-1, 0], out[-1, -1]):
        assert corner < 0.1
    assert out[2, 32] < 0.1 and out[-3, 32] < 0.1  # extra height above and below: dark


def test_aspect_rule_widens_a_square_box():
    # Square box in the middle; vertical stripes outside it but inside the widened region must
    # show up in the crop; stripes beyond the widened region must not.
    arr = np.zeros((200, 200), dtype=np.uint8)
    arr[:, 60:66] = 255  # inside the widened region, left of the box
    arr[:, 134:140] = 255  # inside, right of the box
    arr[:, 10:16] = 255  # outside the region
    box = BoundingBox(80, 80, 120, 120)
    x0, y0, x1, y1 = crop_region(box, 200, 200)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(ANISOTROPY)
    assert x0 < 60 and x1 > 140 and x0 > 16
    size = 96
    out = crop_array(Image.fromarray(arr), box, size=size)
    profile = out.mean(axis=0)
    u = lambda x: int((x - x0) / (x1 - x0) * size)  # noqa: E731
    assert profile[u(63)] > 0.8 and profile[u(137)] > 0.8
    assert profile[u(100)] < 0.1  # box centre is black
    assert (profile > 0.5).sum() <= 2 * (6 / (x1 - x0) * size + 2)  # only the two stripes


def test_tall_box_region_and_fill_is_image_mean():
    arr = np.zeros((100, 100), dtype=np.uint8)
    arr[:, :50] = 200  # image mean = 100
    box = BoundingBox(0, 0, 20, 20)  # at the corner: the widened region leaves the photo
    x0, _, x1, _ = crop_region(box, 100, 100)
    assert x0 < 0
    out = crop_array(Image.fromarray(arr), box, size=32)
    assert out[16, 0] == pytest.approx(100 / 255, abs=1e-3)  # outside the photo: the mean
    assert out[16, 20] == pytest.approx(200 / 255, abs=1e-3)  # inside: the photo


def test_box_as_tuple_equals_boundingbox():
    img = Image.fromarray(_smooth_noise(60, 90))
    np.testing.assert_array_equal(
        crop_array(img, BoundingBox(5, 6, 70, 40), size=32), crop_array(img, (5, 6, 70, 40), size=32)
    )


def test_large_photo_is_antialiased():
    # A one-pixel checkerboard is mid-gray to the eye; plain bilinear sampling of a photo five
    # times larger than the crop would alias it into strong patterns.
    yy, xx = np.mgrid[0:900, 0:1935]
    arr = (((yy + xx) % 2) * 255).astype(np.uint8)
    out = crop_array(Image.fromarray(arr), None, size=96)
    assert abs(out.mean() - 0.5) < 0.05
    assert out.std() < 0.15


def test_load_crop_equals_crop_of_loaded_image(tmp_path):
    Image.fromarray(_smooth_noise(50, 80)).save(tmp_path / "a.png")
    box = BoundingBox(10, 10, 60, 35)
    np.testing.assert_array_equal(
        load_crop(tmp_path / "a.png", box, size=32), crop_array(load_image(tmp_path / "a.png"), box, size=32)
    )


# --------------------------------------------------------------------------------------------
# Augmentation


def test_augmentation_changes_crop_but_stays_close():
    # Features ~30 px wide: a +-5 deg / 0.8 zoom / 5% shift moves the picture by less than that.
    img = Image.fromarray(_smooth_noise(160, 240, seed=4, blob=30))
    box = BoundingBox(40, 40, 200, 110)
    plain = crop_array(img, box, size=64)
    rng = np.random.default_rng(0)
    for _ in range(5):
        aug = crop_array(img, box, size=64, augment=Augment(), rng=rng)
        assert np.abs(aug - plain).mean() > 0.005  # it did change
        assert _corr(aug, plain) > 0.5  # but it is still the same picture
    # An unrelated crop is far less correlated (so the bound above means something).
    other = crop_array(Image.fromarray(_smooth_noise(160, 240, seed=5, blob=30)), box, size=64)
    assert _corr(other, plain) < 0.5


def test_augmentation_deterministic_with_seed():
    img = Image.fromarray(_smooth_noise(80, 120))
    a = crop_array(img, None, size=32, augment=Augment(hflip=True), rng=np.random.default_rng(7))
    b = crop_array(img, None, size=32, augment=Augment(hflip=True), rng=np.random.default_rng(7))
    c = crop_array(img, None, size=32, augment=Augment(hflip=True), rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_null_augmentation_is_identity():
    img = Image.fromarray(_smooth_noise(80, 120))
    none = Augment(rotation_deg=0, shear_deg=0, zoom=(1.0, 1.0), shift=0.0, hflip=False)
    np.testing.assert_allclose(
        crop_array(img, (10, 10, 100, 60), size=40, augment=none, rng=np.random.default_rng(0)),
        crop_array(img, (10, 10, 100, 60), size=40),
        atol=1e-5,
    )


def test_hflip_mirrors_the_crop():
    img = Image.fromarray(_smooth_noise(80, 120))
    box = BoundingBox(10, 10, 100, 60)
    plain = crop_array(img, box, size=40)
    flip_only = Augment(rotation_deg=0, shear_deg=0, zoom=(1.0, 1.0), shift=0.0, hflip=True)
    rng = np.random.default_rng(1)
    flipped = 0
    for _ in range(20):
        out = crop_array(img, box, size=40, augment=flip_only, rng=rng)
        if np.allclose(out, plain[:, ::-1], atol=1e-4):
            flipped += 1
        else:
            np.testing.assert_allclose(out, plain, atol=1e-4)
    assert 3 <= flipped <= 17  # about half of them
    always = Augment(rotation_deg=0, shear_deg=0, zoom=(1.0, 1.0), shift=0.0, hflip=1.0)
    np.testing.assert_allclose(crop_array(img, box, size=40, augment=always, rng=rng), plain[:, ::-1], atol=1e-4)


def test_zoom_below_one_shows_more_surroundings():
    arr = np.zeros((200, 300), dtype=np.uint8)
    arr[80:120, 100:200] = 255
    box = BoundingBox(100, 80, 200, 120)
    plain = crop_array(Image.fromarray(arr), box, size=64)
    zoomed = crop_array(
        Image.fromarray(arr), box, size=64,
        augment=Augment(rotation_deg=0, shear_deg=0, zoom=(0.7, 0.7), shift=0.0), rng=np.random.default_rng(0),
    )
    assert zoomed.mean() < plain.mean() * 0.85  # the white box covers less of the crop


# --------------------------------------------------------------------------------------------
# standardize, orient


def test_standardize():
    x = np.random.default_rng(0).uniform(0.2, 0.4, (32, 32)).astype(np.float32)
    z = standardize(x)
    assert z.dtype == np.float32
    assert abs(float(z.mean())) < 1e-5 and abs(float(z.std()) - 1.0) < 1e-4
    flat = standardize(np.full((8, 8), 0.5, dtype=np.float32))
    assert np.all(np.isfinite(flat)) and np.all(flat == 0)


@pytest.mark.parametrize("rotation,flip", [(0, False), (180, False), (0, True), (180, True)])
def test_orient_moves_box_with_the_photo(rotation, flip):
    w, h = 50, 30
    arr = np.zeros((h, w), dtype=np.uint8)
    arr[4:10, 6:20] = 255
    box = BoundingBox(6, 4, 20, 10)
    turned = np.asarray(orient(Image.fromarray(arr), rotation, flip))
    new = orient_box(box, w, h, rotation, flip)
    ys, xs = np.nonzero(turned)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (new.x0, new.y0, new.x1, new.y1)
    assert orient_box(new, w, h, rotation, flip) == box  # its own inverse
    if rotation or flip:
        assert new != box


def test_orient_rejects_quarter_turns():
    with pytest.raises(ValueError):
        orient(Image.new("L", (4, 4)), 90)


def test_file_sha1_is_remembered_only_while_the_file_is_unchanged(tmp_path, monkeypatch):
    import builtins
    import hashlib
    import os
    import time

    from whaleid_gui.core import photo_files

    opened: list[str] = []

    def counted_open(file, *args, **kwargs):
        opened.append(str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(photo_files, "open", counted_open, raising=False)  # the module's reads, counted
    photo = tmp_path / "fluke.jpg"
    photo.write_bytes(b"first survey")
    assert file_sha1(photo) == hashlib.sha1(b"first survey").hexdigest()
    assert file_sha1(photo) == hashlib.sha1(b"first survey").hexdigest()
    assert opened == [str(photo)]  # the second time from memory, the file not read again
    before = os.stat(photo).st_mtime_ns
    photo.write_bytes(b"other survey")  # same size, other bytes
    os.utime(photo, ns=(before + 1_000_000, before + 1_000_000))
    assert file_sha1(photo) == hashlib.sha1(b"other survey").hexdigest()
    photo.write_bytes(b"a longer third survey")
    assert file_sha1(photo) == hashlib.sha1(b"a longer third survey").hexdigest()
    kept = os.stat(photo).st_mtime_ns
    time.sleep(0.05)  # the file system's clock moves on (its ticks can be milliseconds)
    photo.write_bytes(b"a longer forth survey")  # rewritten in place, size and mtime kept (`cp -p`)
    os.utime(photo, ns=(kept, kept))
    assert file_sha1(photo) == hashlib.sha1(b"a longer forth survey").hexdigest()


# --------------------------------------------------------------------------------------------
# Decoded only as finely as a screen needs (min_scale)


def test_a_jpeg_decodes_smaller_when_asked_never_below_the_scale_and_oriented(tmp_path):
    arr = np.zeros((160, 320, 3), dtype=np.uint8)
    arr[:, 160:] = 255  # left half black, right half white
    Image.fromarray(arr).save(tmp_path / "a.jpg", quality=95)
    Image.fromarray(arr).save(tmp_path / "a.png")
    quarter = load_image(tmp_path / "a.jpg", min_scale=0.25)
    assert quarter.size == (80, 40)  # the decoder's own 1/4, not a resize afterwards
    g = np.asarray(quarter.convert("L")).astype(int)
    assert g[20, 10] < 30 and g[20, 70] > 225
    assert load_image(tmp_path / "a.jpg", min_scale=0.3).size == (160, 80)  # 1/4 would be below 0.3
    assert load_image(tmp_path / "a.png", min_scale=0.25).size == (320, 160)  # other formats whole
    _exif_jpeg(tmp_path / "o6.jpg", 6)
    turned = load_image(tmp_path / "o6.jpg", min_scale=0.5)
    assert turned.size == (10, 20)  # half of the oriented 20 x 40
    assert np.asarray(turned.convert("L"))[1, 8] > 150  # the marker went top-right, as whole
