"""The underside pattern of one individual and its canonical texture.

The pattern is what stays the same from photo to photo: white and black patches
(from almost all white to almost all black), speckles, streaks, rake marks (parallel
white scars from orca teeth) and round barnacle scars. Patches come from a smooth
random field that is partly mirror-symmetric and partly not, so the two lobes look
alike without being mirror images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import special

from . import noise
from .shape import ShapeParams, masks

PPU = 256  # canonical pixels per unit (half span): about the largest size a photo needs
U_HALF = 1.08
V_MIN, V_MAX = -0.62, 1.45
WIDTH = 2 * int(round(U_HALF * PPU))  # even, so the symmetry line is between two columns
HEIGHT = int(round((V_MAX - V_MIN) * PPU))
CX0 = WIDTH / 2  # canonical x of u = 0


@dataclass(frozen=True)
class PigmentParams:
    white_fraction: float
    symmetry: float  # weight of the mirrored part of the patch field (0..1)
    softness: float
    margin_dark: float  # dark band along the trailing edge
    centre_light: float
    lateral: float
    chordwise: float
    dark_level: float
    white_level: float
    mottle: float
    speckles: int
    speckle_dark: float  # probability that a speckle is dark
    streaks: int
    rake_sets: int
    barnacles: int
    rim_dark: float
    peduncle_level: float
    detail_seed: int  # fixes noise fields and mark positions

    @classmethod
    def random(cls, rng: np.random.Generator) -> "PigmentParams":
        kind = rng.random()
        if kind < 0.22:
            wf = rng.uniform(0.01, 0.12)  # nearly black
        elif kind < 0.44:
            wf = rng.uniform(0.85, 0.99)  # nearly white
        else:
            wf = rng.uniform(0.12, 0.85)
        return cls(
            white_fraction=wf,
            symmetry=rng.uniform(0.35, 0.85),
            softness=rng.uniform(0.02, 0.14),
            margin_dark=rng.uniform(0.0, 1.6),
            centre_light=rng.uniform(-0.8, 1.2),
            lateral=rng.uniform(-1.0, 1.0),
            chordwise=rng.uniform(-1.0, 1.0),
            dark_level=rng.uniform(0.04, 0.14),
            white_level=rng.uniform(0.72, 0.93),
            mottle=rng.uniform(0.0, 0.12),
            speckles=int(rng.choice([0, 10, 40, 120, 300]) * rng.uniform(0.5, 1.5)),
            speckle_dark=rng.uniform(0.2, 0.9),
            streaks=int(rng.integers(0, 25)),
            rake_sets=int(rng.choice([0, 0, 1, 1, 2, 3])),
            barnacles=int(rng.choice([0, 3, 8, 20]) * rng.uniform(0.5, 1.5)),
            rim_dark=rng.uniform(0.0, 0.7),
            peduncle_level=rng.uniform(0.07, 0.22),
            detail_seed=int(rng.integers(0, 2**31 - 1)),
        )


@dataclass(frozen=True)
class CanonicalFluke:
    """One individual drawn once in the canonical frame; photos warp this.

    rgb packs three channels into one PIL image so a single transform moves them all:
    R = albedo (0 black skin .. 255 white), G = tail mask, B = box mask,
    A = relief (how much a surface point darkens under side light: lobe margins, stock).
    """

    rgba: Image.Image
    box_area: float  # box-mask area in canonical pixels


def _grid():
    u = ((np.arange(WIDTH) + 0.5 - CX0) / PPU)[None, :].astype(np.float32)
    v = ((np.arange(HEIGHT) + 0.5) / PPU + V_MIN)[:, None].astype(np.float32)
    return u, v


def _to_px(u: float, v: float) -> tuple[float, float]:
    return CX0 + u * PPU, (v - V_MIN) * PPU


def _lobe_point(rng, shape: ShapeParams, s_lo: float, s_hi: float, u_abs_max: float = 0.95):
    """A random point inside a lobe, s across the chord (0 trailing .. 1 leading)."""
    from .shape import chord, trailing_base

    u = rng.uniform(-u_abs_max, u_abs_max)
    s = rng.uniform(s_lo, s_hi)
    uu = np.array([u])
    v = float(trailing_base(shape, uu)[0] + s * chord(shape, uu)[0])
    return u, v


def build_canonical(shape: ShapeParams, pig: PigmentParams) -> CanonicalFluke:
    rng = np.random.default_rng(pig.detail_seed)
    u, v = _grid()
    lobes, tail, box_part, s, top = masks(shape, u, v)
    hw = (HEIGHT, WIDTH)

    # --- patch field: mirrored part + free part + broad structure typical of flukes
    field = pig.symmetry * (0.7 * noise.symmetric_noise(rng, (4, 4), hw)
                            + 0.45 * noise.symmetric_noise(rng, (9, 8), hw))
    field += (1 - pig.symmetry) * (0.7 * noise.smooth_noise(rng, (4, 8), hw)
                                   + 0.45 * noise.smooth_noise(rng, (9, 16), hw))
    field += 0.18 * noise.smooth_noise(rng, (22, 44), hw)
    field += -pig.margin_dark * np.exp(-s / 0.12)
    field += pig.centre_light * np.exp(-((u / 0.35) ** 2))
    field += pig.lateral * np.abs(u) + pig.chordwise * s
    inside = field[lobes]
    thr = float(np.quantile(inside, 1.0 - pig.white_fraction)) if inside.size else 0.0
    spread = float(inside.std()) if inside.size else 1.0
    white = special.expit((field - thr) / (pig.softness * spread + 1e-6))
    albedo = pig.dark_level + (pig.white_level - pig.dark_level) * white
    albedo *= 1.0 + pig.mottle * noise.smooth_noise(rng, (40, 80), hw)

    # --- marks drawn on top (speckles, streaks, rakes, barnacles)
    img = Image.fromarray(np.clip(albedo * 255, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(pig.speckles):
        if rng.random() < 0.6 and pig.speckles > 20:
            # speckles come in clusters
            cu, cv = _lobe_point(rng, shape, 0.1, 0.9)
            pu, pv = cu + rng.normal(0, 0.08), cv + rng.normal(0, 0.05)
        else:
            pu, pv = _lobe_point(rng, shape, 0.0, 1.0)
        x, y = _to_px(pu, pv)
        r = rng.uniform(0.8, 3.2)
        col = int(rng.uniform(10, 60)) if rng.random() < pig.speckle_dark else int(rng.uniform(200, 245))
        draw.ellipse((x - r, y - r * rng.uniform(0.6, 1.0), x + r, y + r), fill=col)
    for _ in range(pig.streaks):
        pu, pv = _lobe_point(rng, shape, 0.0, 0.6)
        ang = np.pi / 2 + rng.normal(0, 0.35) + 0.5 * pu  # roughly across the chord, fanning out
        length = rng.uniform(0.05, 0.3)
        pts = [_to_px(pu + t * length * np.cos(ang) + 0.01 * np.sin(7 * t),
                      pv + t * length * np.sin(ang)) for t in np.linspace(0, 1, 6)]
        col = int(rng.uniform(15, 60)) if rng.random() < 0.5 else int(rng.uniform(190, 240))
        draw.line(pts, fill=col, width=int(rng.integers(1, 5)), joint="curve")
    for _ in range(pig.rake_sets):
        pu, pv = _lobe_point(rng, shape, 0.15, 0.8, 0.8)
        ang = rng.uniform(0, np.pi)
        length = rng.uniform(0.12, 0.42)
        gap = rng.uniform(0.02, 0.045)
        bend = rng.uniform(-0.06, 0.06)
        n = int(rng.integers(2, 6))
        d = np.array([np.cos(ang), np.sin(ang)])
        nrm = np.array([-d[1], d[0]])
        for k in range(n):
            off = (k - (n - 1) / 2) * gap
            lk = length * rng.uniform(0.7, 1.0)
            pts = []
            for t in np.linspace(-0.5, 0.5, 9):
                q = np.array([pu, pv]) + d * t * lk + nrm * (off + bend * (1 - 4 * t * t))
                pts.append(_to_px(q[0], q[1]))
            draw.line(pts, fill=int(rng.uniform(210, 250)), width=int(rng.integers(2, 5)), joint="curve")
    for _ in range(pig.barnacles):
        pu, pv = _lobe_point(rng, shape, 0.45, 1.0) if rng.random() < 0.7 else _lobe_point(rng, shape, 0.0, 1.0)
        x, y = _to_px(pu, pv)
        r = rng.uniform(2.5, 7.0)
        col = int(rng.uniform(205, 250))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), outline=col, width=int(rng.integers(1, 3)))
        else:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=col)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    albedo = np.asarray(img, dtype=np.float32) / 255.0

    # --- dark rim along the trailing edge, dark grey tail stock
    dist = np.clip(v - top, 0, None)
    albedo = albedo * (1 - pig.rim_dark * np.exp(-dist / 0.012))
    stock = tail & ~lobes
    stock_albedo = pig.peduncle_level * (1 + 0.15 * noise.smooth_noise(rng, (6, 3), hw))
    albedo = np.where(stock, stock_albedo, albedo)

    def soft(m: np.ndarray) -> Image.Image:
        im = Image.fromarray(m.astype(np.uint8) * 255)
        return im.filter(ImageFilter.GaussianBlur(0.7))

    red = Image.fromarray(np.clip(albedo * 255, 0, 255).astype(np.uint8))
    # relief: lobes curve away towards the leading edge and the tips; the stock is round
    relief = 0.6 * s ** 2 + 0.4 * np.clip(np.abs(u) - 0.6, 0, None) / 0.4
    relief = np.where(stock, 0.5 + 0.5 * np.clip(np.abs(u) / 0.3, 0, 1), relief)
    a = Image.fromarray((np.clip(relief, 0, 1) * 255).astype(np.uint8))
    rgba = Image.merge("RGBA", (red, soft(tail), soft(box_part), a))
    return CanonicalFluke(rgba=rgba, box_area=float(box_part.sum()))
