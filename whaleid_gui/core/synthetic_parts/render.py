"""One photo of one individual: pose, placement, light, water, camera.

The canonical texture (pigment.CanonicalFluke) is warped into the photo by a single
homography (roll, yaw that foreshortens one lobe, a tail not fully raised, scale,
position), then composited over sky and sea, cut by the water line and dressed
with spray, glare, occluders, blur and noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from . import scene
from .pigment import CX0, PPU, V_MIN, CanonicalFluke

PIVOT_V = 0.05  # canonical v the pose turns about (middle of the lobes)


@dataclass(frozen=True)
class Pose:
    roll_deg: float
    yaw: float  # perspective strength; > 0 makes the right lobe recede
    raise_factor: float  # vertical squash of a tail not fully raised / seen from low
    scale: float  # photo pixels per canonical unit
    cx: float
    cy: float


def homography(pose: Pose) -> np.ndarray:
    """3x3 map from canonical pixel coordinates to photo pixel coordinates."""
    to_units = np.array([[1 / PPU, 0, -CX0 / PPU], [0, 1 / PPU, V_MIN - PIVOT_V], [0, 0, 1]])
    k = pose.yaw
    persp = np.array([[np.sqrt(1 - min(0.5, k * k)), 0, 0], [0, 1, 0], [k, 0, 1]])
    a = np.deg2rad(pose.roll_deg)
    c, s = np.cos(a), np.sin(a)
    place = np.array([[c * pose.scale, -s * pose.scale * pose.raise_factor, pose.cx],
                      [s * pose.scale, c * pose.scale * pose.raise_factor, pose.cy],
                      [0, 0, 1]])
    return place @ persp @ to_units


def warp(canon: CanonicalFluke, pose: Pose, size: tuple[int, int]) -> np.ndarray:
    inv = np.linalg.inv(homography(pose))
    inv = inv / inv[2, 2]
    data = tuple(inv.flatten()[:8])
    out = canon.rgba.transform(size, Image.Transform.PERSPECTIVE, data, Image.Resampling.BILINEAR,
                               fillcolor=(0, 0, 0, 0))
    return np.asarray(out)  # uint8 (H, W, 4); converted to float only where the tail is


def random_pose(rng: np.random.Generator, w: int, h: int) -> Pose:
    far = rng.random() < 0.18
    span = rng.uniform(0.15, 0.35) if far else rng.uniform(0.4, 0.92)
    scale = span * w / 2
    raise_factor = rng.uniform(0.65, 1.08)
    # keep the lobes (about v in [-0.45, 0.6]) vertically inside the frame
    top_extent, bottom_extent = 0.5 * scale * raise_factor, 0.55 * scale * raise_factor
    if top_extent + bottom_extent > 0.9 * h:
        shrink = 0.9 * h / (top_extent + bottom_extent)
        scale *= shrink
        top_extent *= shrink
        bottom_extent *= shrink
    lo, hi = top_extent + 0.03 * h, h - bottom_extent - 0.03 * h
    cy = rng.uniform(lo, max(lo, hi))
    cx = w / 2 + rng.normal(0, 0.1 * w)
    if rng.random() < 0.1:  # framed badly: one tip off the picture
        cx = w / 2 + rng.choice([-1, 1]) * (w / 2 - 0.6 * scale)
    return Pose(roll_deg=rng.uniform(-15, 15), yaw=rng.uniform(-0.35, 0.35), raise_factor=raise_factor,
                scale=scale, cx=cx, cy=cy)


@dataclass
class Rendered:
    image: Image.Image
    box: tuple[float, float, float, float]
    fluke_mask: np.ndarray  # (H, W) bool: visible box-part of the tail
    pose: Pose


def _box_of(mask: np.ndarray):
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return float(xs[0]), float(ys[0]), float(xs[-1] + 1), float(ys[-1] + 1)


def render(canon: CanonicalFluke, rng: np.random.Generator, size: tuple[int, int]) -> Rendered:
    w, h = size
    # pose and water line: redraw until enough of the tail is visible
    for attempt in range(8):
        pose = random_pose(rng, w, h)
        layers = warp(canon, pose, size)
        tail, box_part = layers[..., 1], layers[..., 2]
        tilt = np.deg2rad(rng.uniform(-4, 4))
        if rng.random() < 0.3:  # tail partly under water
            v_w = rng.uniform(0.15, 0.5)
        else:  # only the stock goes into the sea
            v_w = rng.uniform(0.75, 1.5)
        y_w0 = pose.cy + (v_w - PIVOT_V) * pose.scale * pose.raise_factor
        line = scene.waterline(rng, w, y_w0, tilt)
        above = np.arange(h, dtype=np.float32)[:, None] < line[None, :]
        visible = (box_part > 127) & above
        expected = canon.box_area * (pose.scale / PPU) ** 2 * pose.raise_factor
        if visible.sum() >= max(30, 0.45 * expected) or attempt == 7:
            break
    if not visible.any():  # degenerate: fall back to whatever of the tail is in frame
        visible = box_part > 127
    if not visible.any():
        visible = np.zeros((h, w), bool)
        visible[h // 3:2 * h // 3, w // 3:2 * w // 3] = True
    box = _box_of(visible)

    # --- background: horizon behind the tail (above it, across it, or out of frame)
    top_y = box[1]
    r = rng.random()
    if r < 0.5:
        hy = rng.uniform(-0.05 * h, max(0.0, top_y))
    elif r < 0.85:
        hy = rng.uniform(top_y, max(top_y + 1, min(y_w0, box[3])))
    else:
        hy = -0.2 * h
    hy = min(hy, y_w0 - 5)
    horizon = hy + np.tan(tilt) * (np.arange(w, dtype=np.float32) - w / 2)
    light = rng.choice(["front", "front", "front", "back", "back", "overcast"])
    bright = {"front": rng.uniform(0.85, 1.05), "back": rng.uniform(1.0, 1.25),
              "overcast": rng.uniform(0.75, 0.95)}[light]
    bg, sea_col, sky_col = scene.background(rng, w, h, horizon, bright)

    # --- the tail: albedo under this photo's light (computed only where the tail is)
    gain = {"front": rng.uniform(0.75, 1.1), "back": rng.uniform(0.22, 0.5),
            "overcast": rng.uniform(0.5, 0.8)}[light]
    tint = np.clip(1 + rng.normal(0, 0.04, 3) + np.array([-0.03, 0.0, 0.04]), 0.8, 1.2).astype(np.float32)
    img = bg
    rows = np.flatnonzero(tail.max(axis=1) > 0)
    cols = np.flatnonzero(tail.max(axis=0) > 0)
    if rows.size:
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        yy = np.arange(r0, r1, dtype=np.float32)[:, None]
        xx = np.arange(c0, c1, dtype=np.float32)[None, :]
        ang = rng.uniform(0, 2 * np.pi)
        ramp = 1 + rng.uniform(0, 0.3) * ((xx - pose.cx) * np.cos(ang) + (yy - pose.cy) * np.sin(ang)) / pose.scale
        part = layers[r0:r1, c0:c1].astype(np.float32) / 255.0
        lum = part[..., 0] * gain * np.clip(ramp, 0.5, 1.5) * (1 - part[..., 3] * rng.uniform(0.1, 0.5))
        lum *= 1 + rng.uniform(0.0, 0.06) * rng.standard_normal(lum.shape, dtype=np.float32)  # skin
        if rng.random() < 0.4:  # wet skin catches the sun
            gx, gy = pose.cx + rng.normal(0, 0.4) * pose.scale, pose.cy + rng.normal(0, 0.25) * pose.scale
            gr = rng.uniform(0.08, 0.3) * pose.scale
            lum += rng.uniform(0.15, 0.5) * np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (gr * gr)))
        alpha = part[..., 1] * np.clip(line[None, c0:c1] - yy + 0.5, 0, 1)
        fluke = lum[..., None] * tint + 0.06 * sky_col
        region = bg[r0:r1, c0:c1]
        region += alpha[..., None] * (fluke - region)
        casc = scene.cascades(rng, part[..., 1] * (alpha > 0.5), line[c0:c1] - r0, box[2] - box[0])
        region += casc[..., None] * (0.85 * bright - region)

    # --- water, spray, occluders
    x_lo, x_hi = box[0], box[2]
    foam, (f0, f1, g0, g1) = scene.foam(rng, h, w, line, x_lo, x_hi)
    band = img[f0:f1, g0:g1]
    band += foam[..., None] * (0.92 * bright - band)
    if rng.random() < 0.18:
        cloud = scene.spray_cloud(rng, h, w, rng.uniform(x_lo, x_hi), rng.uniform(box[1], line.mean()),
                                  rng.uniform(0.15, 0.4) * (x_hi - x_lo) + 5)
        img += cloud[..., None] * (0.9 * bright - img)
    if rng.random() < 0.12:
        occ, col = scene.occluder(rng, h, w)
        img += occ[..., None] * (col - img)
    if light == "back" and rng.random() < 0.6:  # veiling glare from the sun in frame
        sx, sy = rng.uniform(0, w), rng.uniform(-0.3 * h, 0.3 * h)
        yy = np.arange(h, dtype=np.float32)[:, None]
        xx = np.arange(w, dtype=np.float32)[None, :]
        veil = np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) / (rng.uniform(0.2, 0.6) * w) ** 2)
        img += rng.uniform(0.1, 0.45) * veil[..., None]

    # --- camera: motion blur, sensor noise, exposure and gamma (as a lookup table), defocus
    if rng.random() < 0.3:
        img = scene.motion_blur(img, rng, rng.uniform(2, 0.012 * w + 3))
    sigma = rng.uniform(0.004, 0.03)  # mostly luminance noise, a little colour noise
    img += sigma * rng.standard_normal((h, w, 1), dtype=np.float32)
    img += 0.3 * sigma * rng.standard_normal((h, w, 3), dtype=np.float32)
    out = Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    gain_e, gamma = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2)
    lut = (np.clip(np.arange(256) / 255 * gain_e, 0, 1) ** gamma * 255 + 0.5).astype(np.uint8)
    out = out.point(list(lut) * 3)
    blur = rng.uniform(-0.6, 1.3) * w / 640
    if blur > 0.3:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    return Rendered(image=out, box=box, fluke_mask=visible, pose=pose)
