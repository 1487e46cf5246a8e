"""Turning a photo + fluke box into the model's grayscale crop, and the manual orientation.

Photos are read by core.photo_files (load_image: an ImageError(path, reason) for any bad file),
so nothing here lets a bad file crash a batch. No Qt here (core).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from whaleid_gui.core.augment import Augment, crop_matrix
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.input_style import FLUKE, InputStyle
from whaleid_gui.core.photo_files import load_image, to_rgb

__all__ = [
    "Augment",
    "crop_array",
    "load_crop",
    "standardize",
    "orient",
    "orient_box",
]

# --------------------------------------------------------------------------------------------
# Public: crops


def _gray(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    if image.mode == "RGB":
        return image.convert("L")
    return to_rgb(image).convert("L")


def crop_array(
    image: Image.Image,
    box: BoundingBox | tuple | None = None,
    size: int = 384,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
    style: InputStyle = FLUKE,
) -> np.ndarray:
    """The model's input: a float32 (size, size) grayscale crop in [0, 1] (not standardised), or
    (3, size, size) RGB for a colour style (core.input_style; its aspect replaces 2.15 below).

    Box + 5% margin, clipped to the photo, widened or heightened (centred) to width/height = 2.15,
    then mapped to size x size by ONE affine transform (bilinear; outside the photo = image mean).
    The 2.15:1 region fills the square, i.e. the fluke is squashed horizontally (reference
    behaviour). box=None uses the whole photo. With `augment`, a random rotation/shear/zoom/
    shift/flip is folded into the same matrix (see augment.crop_matrix), drawn from `rng`.
    """
    picture = to_rgb(image) if style.colour else _gray(image)
    width, height = picture.size
    hist = np.asarray(picture.histogram(), dtype=np.float64).reshape(-1, 256)
    means = hist @ np.arange(256) / max(width * height, 1)  # image mean per channel, 0..255
    fill = float(means[0])

    m = crop_matrix(box, width, height, size, augment, rng, aspect=style.aspect)

    # Only decode-convert the part of the photo the crop can touch (plus a border for bilinear).
    corners = m @ np.array([[0, size, 0, size], [0, 0, size, size], [1, 1, 1, 1]], dtype=np.float64)
    # A big photo squeezed into 384 px would alias under plain bilinear sampling: box-average it
    # first by whole factors (per axis) no larger than the source pixels per output pixel.
    kx = max(1, min(16, int(max(abs(m[0, 0]), abs(m[0, 1])))))
    ky = max(1, min(16, int(max(abs(m[1, 0]), abs(m[1, 1])))))
    left = max(0, math.floor(corners[0].min()) - 2 * kx)
    top = max(0, math.floor(corners[1].min()) - 2 * ky)
    right = min(width, math.ceil(corners[0].max()) + 2 * kx)
    bottom = min(height, math.ceil(corners[1].max()) + 2 * ky)
    if right - left < 1 or bottom - top < 1:  # the crop lies wholly outside the photo
        if style.colour:
            return np.broadcast_to((means / 255.0).astype(np.float32)[:, None, None], (3, size, size)).copy()
        return np.full((size, size), fill / 255.0, dtype=np.float32)
    # Whole blocks only, so reduced pixel i covers exactly source [left + kx*i, left + kx*(i+1)).
    kx = min(kx, right - left)
    ky = min(ky, bottom - top)
    right = left + kx * ((right - left) // kx)
    bottom = top + ky * ((bottom - top) // ky)
    region = picture.crop((left, top, right, bottom))
    if kx > 1 or ky > 1:
        region = region.reduce((kx, ky))
    # Photo coordinates -> coordinates in the (cropped, reduced) region.
    to_region = np.array([[1.0 / kx, 0.0, -left / kx], [0.0, 1.0 / ky, -top / ky], [0.0, 0.0, 1.0]])
    m = to_region @ m

    if style.colour:  # PIL resamples RGB in 8 bits per channel: enough for ImageNet features
        rgb = region.transform((size, size), Image.Transform.AFFINE, data=tuple(m[:2].ravel()),
                               resample=Image.Resampling.BILINEAR, fillcolor=tuple(int(round(v)) for v in means))
        return (np.asarray(rgb, dtype=np.float32) / np.float32(255.0)).transpose(2, 0, 1).copy()
    # Resample in float ("F") so the crop keeps sub-8-bit precision from the bilinear weights.
    out = region.convert("F").transform(
        (size, size),
        Image.Transform.AFFINE,
        data=tuple(m[:2].ravel()),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )
    arr = np.asarray(out, dtype=np.float32) / np.float32(255.0)
    return np.clip(arr, 0.0, 1.0)


def standardize(x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """x shifted/scaled to mean 0 and std 1 (float32); a flat image becomes all zeros."""
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(dtype=np.float64)
    std = x.std(dtype=np.float64)
    return ((x - mean) / max(std, eps)).astype(np.float32)


def load_crop(
    path: str | Path,
    box: BoundingBox | tuple | None = None,
    size: int = 384,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
    style: InputStyle = FLUKE,
) -> np.ndarray:
    """crop_array(load_image(path), ...); raises ImageError for unreadable photos."""
    return crop_array(load_image(path), box, size=size, augment=augment, rng=rng, style=style)


# --------------------------------------------------------------------------------------------
# Public: manual orientation (photos the scientist marked upside down or mirrored)


def _check_rotation(rotation: int) -> int:
    rotation = int(rotation) % 360
    if rotation not in (0, 180):
        raise ValueError(f"rotation must be 0 or 180 degrees, got {rotation}")
    return rotation


def orient(image: Image.Image, rotation: int = 0, flip: bool = False) -> Image.Image:
    """The photo turned by `rotation` (0 or 180 degrees) and then mirrored left-right if `flip`.

    Both operations keep the size, commute, and are their own inverse; so is orient_box.
    """
    if _check_rotation(rotation) == 180:
        image = image.transpose(Image.Transpose.ROTATE_180)
    if flip:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def orient_box(box: BoundingBox, width: int, height: int, rotation: int = 0, flip: bool = False) -> BoundingBox:
    """Where `box` (pixels of the width x height photo) lies in orient(photo, rotation, flip).

    Applying it twice with the same arguments gives the original box back.
    """
    x0, y0, x1, y1 = box.as_tuple()
    if _check_rotation(rotation) == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    if flip:
        x0, x1 = width - x1, width - x0
    return BoundingBox(x0, y0, x1, y1)
