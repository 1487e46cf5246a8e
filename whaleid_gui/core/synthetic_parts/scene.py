"""Everything around the tail: sky, horizon, sea with waves, the water line in front,
spray, glare and occluders. All functions work on float RGB arrays (H, W, 3) in [0, 1]."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from . import noise

SKIES = [  # (zenith, horizon)
    ((0.36, 0.55, 0.84), (0.74, 0.82, 0.90)),  # clear
    ((0.58, 0.60, 0.63), (0.80, 0.80, 0.82)),  # overcast
    ((0.80, 0.83, 0.87), (0.94, 0.94, 0.95)),  # hazy, bright
    ((0.45, 0.50, 0.66), (0.90, 0.76, 0.62)),  # low sun
]
SEAS = [
    (0.07, 0.19, 0.31),  # deep blue
    (0.18, 0.25, 0.25),  # grey-green
    (0.14, 0.17, 0.21),  # slate
    (0.28, 0.38, 0.48),  # bright, reflecting sky
]


def _jitter(rng, col, amount=0.05):
    return np.clip(np.asarray(col, np.float32) + rng.normal(0, amount, 3), 0.02, 1.0).astype(np.float32)


def background(rng: np.random.Generator, w: int, h: int, horizon: np.ndarray, bright: float):
    """Sky above `horizon` (y per column), sea below. Returns (rgb, sea_colour, sky_colour).

    Drawn at half resolution and upsampled: sky and sea are smooth, and this is the
    costliest part of a photo.
    """
    w2, h2 = (w + 1) // 2, (h + 1) // 2
    hz = horizon[::2][:w2] / 2
    zen, hor = SKIES[int(rng.integers(len(SKIES)))]
    zen, hor = _jitter(rng, zen) * bright, _jitter(rng, hor) * bright
    y = np.arange(h2, dtype=np.float32)[:, None]
    x = np.arange(w2, dtype=np.float32)[None, :]
    above = hz[None, :] - y  # > 0 in the sky
    t = np.clip(above / (0.9 * h2), 0, 1)[..., None]
    sky = hor * (1 - t) + zen * t
    cloud_amount = rng.uniform(0, 0.9)
    if cloud_amount > 0.1:
        c = noise.smooth_noise(rng, (4, 6), (h2, w2)) + 0.5 * noise.smooth_noise(rng, (10, 18), (h2, w2))
        c = np.clip((c - rng.uniform(-0.5, 1.2)) * 1.2, 0, 1) * cloud_amount
        cloud_col = _jitter(rng, (0.9, 0.9, 0.92), 0.04) * bright
        sky = sky * (1 - c[..., None]) + cloud_col * c[..., None]

    sea_col = _jitter(rng, SEAS[int(rng.integers(len(SEAS)))], 0.03)
    d = np.clip(-above, 0, None)  # rows below the horizon
    # waves in perspective: world depth ~ 1/d, lateral ~ x/d; crests are long across
    d0 = 0.01 * h2
    ws = rng.uniform(0.7, 1.5)
    ty = (5.0 * h2 / (d + d0)) * ws
    tx = ((x - w2 / 2) / (d + d0)) * 1.5 * ws
    coords = np.stack(np.broadcast_arrays(ty, tx)).astype(np.float32)
    waves = np.zeros_like(d)
    for octave, amp in ((1.0, 1.0), (2.7, 0.6), (7.0, 0.35)):
        g = rng.standard_normal((64, 64)).astype(np.float32)
        waves += amp * ndimage.map_coordinates(g, coords * octave, order=1, mode="grid-wrap")
    waves *= 1 - np.exp(-d / (0.02 * h2))
    near = np.exp(-d / (0.1 * h2))[..., None]  # water near the horizon mirrors the sky
    sea = sea_col * (1 - 0.35 * d[..., None] / h2) * (1 + rng.uniform(0.12, 0.3) * waves[..., None])
    sea = sea * (1 - 0.6 * near) + hor * 0.75 * near
    glint = np.clip(waves - rng.uniform(1.2, 2.4), 0, None) ** 2 * rng.uniform(0.0, 0.5)
    sea = sea + glint[..., None] * hor
    if rng.random() < 0.25:  # distant coast just above the horizon
        height = rng.uniform(0.01, 0.06) * h2 * (1 + 0.6 * noise.noise_1d(rng, 8, w2))
        land = (above > 0) & (above < np.clip(height, 1, None)[None, :])
        land_col = hor * rng.uniform(0.3, 0.7) + _jitter(rng, (0.15, 0.18, 0.15)) * 0.5
        sky = np.where(land[..., None], land_col, sky)
    small = np.where((above > 0)[..., None], sky, sea)
    img = Image.fromarray((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    img = img.resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0, sea_col, hor


def waterline(rng: np.random.Generator, w: int, y0: float, tilt: float) -> np.ndarray:
    """y of the water surface in front of the tail, per column (waves make it uneven)."""
    x = np.arange(w, dtype=np.float32)
    y = y0 + np.tan(tilt) * (x - w / 2)
    y = y + rng.uniform(1, 0.02 * w) * noise.noise_1d(rng, int(rng.integers(4, 12)), w)
    if rng.random() < 0.2:  # a wave crest hides part of the tail
        c = rng.uniform(0.2, 0.8) * w
        y = y - rng.uniform(0.03, 0.12) * w * np.exp(-(((x - c) / (rng.uniform(0.05, 0.15) * w)) ** 2))
    return y.astype(np.float32)


def foam(rng: np.random.Generator, h: int, w: int, line: np.ndarray, x_lo: float, x_hi: float):
    """White water where the tail leaves the sea, plus flying drops.

    Returns (alpha, (row0, row1, col0, col1)): alpha covers only that window, since foam
    lives in a band around the water line.
    """
    band = rng.uniform(1.5, 0.015 * h + 2)
    r0 = int(np.clip(line.min() - 0.1 * h, 0, h))
    r1 = int(np.clip(line.max() + 4 * band + 1, 0, h))
    c0 = int(np.clip(x_lo - 0.1 * w, 0, w))
    c1 = int(np.clip(x_hi + 0.1 * w, 0, w))
    if r1 <= r0 or c1 <= c0:
        return np.zeros((0, 0), np.float32), (0, 0, 0, 0)
    y = np.arange(r0, r1, dtype=np.float32)[:, None]
    x = np.arange(c0, c1, dtype=np.float32)[None, :]
    span = np.clip(np.minimum(x - x_lo, x_hi - x) / (0.08 * w) + 1, 0, 1)
    thick = band * np.clip(1 + 0.6 * noise.noise_1d(rng, 12, c1 - c0), 0.2, None)[None, :]
    alpha = np.exp(-(((y - line[None, c0:c1]) / thick) ** 2)) * span
    alpha *= np.clip(0.55 + 0.45 * noise.smooth_noise(rng, (6, 24), alpha.shape), 0, 1)
    n_drops = int(rng.uniform(0, 250))
    if n_drops:
        xs = rng.uniform(x_lo, x_hi, n_drops).astype(int).clip(c0, c1 - 1)
        ys = (line[xs] - np.abs(rng.normal(0, 0.05 * h, n_drops))).astype(int)
        ok = (ys >= r0) & (ys < r1)
        alpha[ys[ok] - r0, xs[ok] - c0] = rng.uniform(0.3, 0.9, ok.sum())
    return np.clip(alpha * rng.uniform(0.3, 0.95), 0, 1).astype(np.float32), (r0, r1, c0, c1)


def cascades(rng: np.random.Generator, tail: np.ndarray, line: np.ndarray, width_px: float) -> np.ndarray:
    """Alpha of sheets of water pouring off the trailing edge (vertical streaks)."""
    h, w = tail.shape
    alpha = np.zeros((h, w), np.float32)
    cols = np.flatnonzero(tail.max(axis=0) > 0.5)
    if cols.size == 0:
        return alpha
    top = np.argmax(tail > 0.5, axis=0)
    for _ in range(int(rng.choice([0, 0, 0, 2, 5, 10]))):
        xc = int(rng.choice(cols))
        half = max(1, int(rng.uniform(0.001, 0.006) * width_px))
        y0 = int(top[xc]) + 1
        y1 = int(min(h, line[xc], y0 + rng.uniform(0.05, 0.5) * width_px))
        if y1 <= y0:
            continue
        n = y1 - y0
        broken = np.clip(0.5 + np.cumsum(rng.normal(0, 0.25, n)), 0, 1)  # the stream breaks up
        fade = (np.linspace(1, 0.3, n) * broken).astype(np.float32)[:, None]
        alpha[y0:y1, max(0, xc - half):xc + half + 1] += rng.uniform(0.1, 0.35) * fade
    return np.clip(ndimage.uniform_filter1d(alpha, 3, axis=1), 0, 1)


def spray_cloud(rng: np.random.Generator, h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    """A patchy veil of fine spray around (cx, cy)."""
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    blob = np.exp(-(((x - cx) / r) ** 2 + ((y - cy) / (0.6 * r)) ** 2))
    tex = np.clip(0.5 + 0.5 * noise.smooth_noise(rng, (12, 18), (h, w)), 0, 1)
    return (blob * tex * rng.uniform(0.4, 0.85)).astype(np.float32)


def occluder(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """A boat rail or bow cutting in from a side: (alpha, colour)."""
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    side = rng.choice([-1.0, 1.0])
    x_edge = w / 2 + side * rng.uniform(0.18, 0.42) * w
    slope = rng.uniform(-0.5, 0.5)
    y_top = rng.uniform(0.55, 0.9) * h
    inside = (side * (x - x_edge - slope * (y - h)) > 0) & (y > y_top - 0.25 * h * (side * (x - x_edge) / w))
    alpha = ndimage.uniform_filter(inside.astype(np.float32), 3)
    colour = np.asarray(rng.choice([(0.85, 0.85, 0.83), (0.12, 0.12, 0.13), (0.3, 0.33, 0.4)]),
                        np.float32) * rng.uniform(0.7, 1.1)
    return alpha, colour


def motion_blur(img: np.ndarray, rng: np.random.Generator, length: float) -> np.ndarray:
    """Average of shifted copies along a random direction (camera shake)."""
    ang = rng.uniform(0, np.pi)
    n = max(2, int(length))
    acc = np.zeros_like(img)
    for t in np.linspace(-length / 2, length / 2, n):
        dx, dy = int(round(t * np.cos(ang))), int(round(t * np.sin(ang)))
        acc += np.roll(img, (dy, dx), axis=(0, 1))
    return acc / n
