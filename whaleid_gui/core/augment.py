"""The affine geometry of a fluke crop: box -> square, plus random training augmentation.

Everything here works on 3x3 homogeneous matrices that map OUTPUT coordinates (u, v) of the
size x size crop to SOURCE coordinates (x, y) of the photo, in continuous pixel units with the
origin at the top-left corner of the top-left pixel (pixel i covers [i, i + 1)). That is the
direction PIL's Image.transform(AFFINE) and scipy's affine_transform want, and it lets the whole
crop (box, aspect, augmentation, flip) be ONE matrix, so the photo is resampled only once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from whaleid_gui.core.boxes import BoundingBox

# Reference values (ALGORITHM.md, "Data preparation").
CROP_MARGIN = 0.05  # fraction of the box width/height added on each side
ANISOTROPY = 2.15  # width / height of the region that fills the square crop


@dataclass(frozen=True)
class Augment:
    """Random training augmentation, drawn fresh for every crop.

    rotation_deg: uniform in [-rotation_deg, +rotation_deg] (physical rotation of the photo).
    shear_deg: uniform in [-shear_deg, +shear_deg].
    zoom: (low, high); each axis draws its own factor; the fluke appears at that scale, so
        0.8 shows 25% more surroundings (as in the reference, which never zooms in).
    shift: the crop centre moves by up to +-shift times the (aspect-corrected) region size.
    hflip: False = never mirror; True = mirror half the time; a float = that probability.
    """

    rotation_deg: float = 5.0
    shear_deg: float = 5.0
    zoom: tuple[float, float] = (0.8, 1.0)
    shift: float = 0.05
    hflip: bool | float = False

    @property
    def flip_probability(self) -> float:
        if self.hflip is True:
            return 0.5
        return float(self.hflip or 0.0)


def _translate(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _scale(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def crop_region(box: BoundingBox | tuple | None, width: int, height: int,
                aspect: float = ANISOTROPY) -> tuple[float, float, float, float]:
    """The photo region (x0, y0, x1, y1) that fills the crop: box + margin, clipped, widened or
    heightened to width/height = aspect (2.15 for the fluke crop; 1.0 keeps the photo's shape).

    The aspect step may push the region outside the photo again; that part is filled with the
    image mean when sampled (reference behaviour: the fluke is never distorted by the border).
    """
    if box is None:
        x0, y0, x1, y1 = 0.0, 0.0, float(width), float(height)
    else:
        x0, y0, x1, y1 = (float(v) for v in (box.as_tuple() if isinstance(box, BoundingBox) else box))
        dx, dy = x1 - x0, y1 - y0
        x0 -= dx * CROP_MARGIN
        x1 += dx * CROP_MARGIN
        y0 -= dy * CROP_MARGIN
        y1 += dy * CROP_MARGIN
        # Clip to the photo, keeping at least one pixel so a box outside the photo still works.
        x0 = min(max(x0, 0.0), width - 1.0)
        y0 = min(max(y0, 0.0), height - 1.0)
        x1 = max(min(x1, float(width)), x0 + 1.0)
        y1 = max(min(y1, float(height)), y0 + 1.0)
    dx, dy = x1 - x0, y1 - y0
    if dx > dy * aspect:  # too wide: add height, centred
        pad = 0.5 * (dx / aspect - dy)
        y0, y1 = y0 - pad, y1 + pad
    else:  # too tall (or exact): add width, centred
        pad = 0.5 * (dy * aspect - dx)
        x0, x1 = x0 - pad, x1 + pad
    return x0, y0, x1, y1


def random_augmentation(augment: Augment, region_w: float, region_h: float, rng: np.random.Generator) -> np.ndarray:
    """A random 3x3 matrix acting on source offsets from the region centre (source pixels).

    Composition, applied to a vector right-to-left:
        A = Shift . Rotation . Shear . Zoom^-1 . Flip
    Flip mirrors x (innermost, so it equals mirroring the finished crop left-right); Zoom^-1
    scales the sampled region by 1/zoom per axis (zoom < 1 = more surroundings); Shear and
    Rotation are physical, in photo pixels (rotating after the anisotropic squash would skew the
    fluke instead); Shift moves the centre by up to +-shift of the region size, in photo pixels.
    """
    rot = math.radians(rng.uniform(-augment.rotation_deg, augment.rotation_deg))
    shear = math.radians(rng.uniform(-augment.shear_deg, augment.shear_deg))
    zoom_x = rng.uniform(*augment.zoom)
    zoom_y = rng.uniform(*augment.zoom)
    shift_x = rng.uniform(-augment.shift, augment.shift) * region_w
    shift_y = rng.uniform(-augment.shift, augment.shift) * region_h
    flip = rng.uniform() < augment.flip_probability

    c, s = math.cos(rot), math.sin(rot)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    # The reference's shear (in x, y): columns keep their x (scaled by cos), rows tilt by sin.
    shear_m = np.array([[math.cos(shear), 0.0, 0.0], [math.sin(shear), 1.0, 0.0], [0.0, 0.0, 1.0]])
    zoom_m = _scale(1.0 / zoom_x, 1.0 / zoom_y)
    flip_m = _scale(-1.0 if flip else 1.0, 1.0)
    return _translate(shift_x, shift_y) @ rotation @ shear_m @ zoom_m @ flip_m


def crop_matrix(
    box: BoundingBox | tuple | None,
    width: int,
    height: int,
    size: int,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
    aspect: float = ANISOTROPY,
) -> np.ndarray:
    """The 3x3 matrix mapping crop pixels (u, v) in [0, size)^2 to photo pixels (x, y).

        M = T(region centre) . A . S(region_w / size, region_h / size) . T(-size/2, -size/2)

    read right-to-left: centre the crop coordinates, stretch them to the region's size in photo
    pixels (anisotropic: the 2.15:1 region fills the square, squashing x), apply the random
    augmentation A (identity without augment; see random_augmentation) around the region centre,
    and move to the region centre in the photo.
    """
    x0, y0, x1, y1 = crop_region(box, width, height, aspect)
    rw, rh = x1 - x0, y1 - y0
    m = _scale(rw / size, rh / size) @ _translate(-0.5 * size, -0.5 * size)
    if augment is not None:
        rng = rng if rng is not None else np.random.default_rng()
        m = random_augmentation(augment, rw, rh, rng) @ m
    return _translate(0.5 * (x0 + x1), 0.5 * (y0 + y1)) @ m
