"""The silhouette of one individual's tail and its trailing edge, in canonical units.

Canonical frame (the underside of a raised tail seen from behind the diving whale):
u runs across the span, -1 at the left lobe tip and +1 at the right one; v runs
downwards, 0 near the bottom of the central notch; one unit is half the span.
The trailing edge is on top, the leading edges meet the tail stock (peduncle) below.
The trailing-edge marks (nicks, scallops, serrations, missing chunks) are what
photo-ID researchers match on, so they are part of the identity and never change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EdgeMark:
    """One permanent cut into the trailing edge: a V-shaped 'nick' or a rounded 'chunk'."""

    kind: str
    center: float
    width: float
    depth: float


@dataclass(frozen=True)
class ShapeParams:
    """Everything that fixes one individual's outline (all plain floats and tuples: hashable)."""

    tip_lift: tuple[float, float]  # how high the (left, right) tips rise above the notch
    lift_power: float  # >1 keeps the inner trailing edge flat and the tips swept up
    s_curve: float  # bulge of the trailing edge between notch and tip
    notch_depth: float
    notch_width: float
    chord: float  # lobe width (trailing to leading edge) at the root
    chord_power: float  # how fast the lobe narrows towards the tip
    chord_bulge: float  # convexity of the leading edge
    lobe_length: tuple[float, float]  # left/right tip position (slightly unequal lobes)
    peduncle_width: float
    peduncle_flare: float
    scallop_amp: float
    scallop_freq: float
    scallop_phase: float
    serration_amp: float
    serration_freq: float
    serration_range: tuple[float, float]  # the part of the span that is serrated
    ripples: tuple[tuple[float, float, float], ...]  # (frequency, phase, amplitude) waviness
    marks: tuple[EdgeMark, ...]

    @classmethod
    def random(cls, rng: np.random.Generator) -> "ShapeParams":
        lift = rng.uniform(0.05, 0.3)
        tip_lift = (lift * rng.uniform(0.85, 1.15), lift * rng.uniform(0.85, 1.15))
        length = (rng.uniform(0.94, 1.0), rng.uniform(0.94, 1.0))
        marks: list[EdgeMark] = []
        for _ in range(int(rng.integers(1, 9))):  # nicks: narrow, everywhere
            marks.append(EdgeMark("nick", rng.uniform(-0.97, 0.97), rng.uniform(0.008, 0.035),
                                  rng.uniform(0.012, 0.06)))
        for _ in range(int(rng.choice([0, 0, 1, 1, 2, 3]))):  # chunks: bitten-out pieces
            marks.append(EdgeMark("chunk", rng.uniform(-0.95, 0.95), rng.uniform(0.04, 0.16),
                                  rng.uniform(0.03, 0.11)))
        if rng.random() < 0.12:  # a lost tip
            side = rng.choice([-1.0, 1.0])
            marks.append(EdgeMark("chunk", side * rng.uniform(0.9, 1.0), rng.uniform(0.08, 0.15), 0.25))
        has_serration = rng.random() < 0.55
        a = rng.uniform(-0.9, 0.6)
        ripples = tuple((float(rng.uniform(2.0, 9.0)), float(rng.uniform(0, 2 * np.pi)),
                         float(rng.uniform(0.002, 0.012))) for _ in range(3))
        return cls(
            tip_lift=tip_lift,
            lift_power=rng.uniform(1.6, 3.2),
            s_curve=rng.uniform(-0.04, 0.12),
            notch_depth=rng.uniform(0.03, 0.12),
            notch_width=rng.uniform(0.025, 0.07),
            chord=rng.uniform(0.5, 0.74),
            chord_power=rng.uniform(0.5, 0.85),
            chord_bulge=rng.uniform(0.0, 0.8),
            lobe_length=length,
            peduncle_width=rng.uniform(0.09, 0.15),
            peduncle_flare=rng.uniform(0.25, 0.6),
            scallop_amp=rng.uniform(0.0, 0.022) if rng.random() < 0.7 else 0.0,
            scallop_freq=rng.uniform(5.0, 16.0),
            scallop_phase=rng.uniform(0, np.pi),
            serration_amp=rng.uniform(0.004, 0.012) if has_serration else 0.0,
            serration_freq=rng.uniform(25.0, 60.0),
            serration_range=(a, min(1.0, a + rng.uniform(0.4, 1.4))),
            ripples=ripples,
            marks=tuple(marks),
        )


def _side(p: ShapeParams, u: np.ndarray, pair: tuple[float, float]) -> np.ndarray:
    return np.where(u < 0, pair[0], pair[1])


def trailing_base(p: ShapeParams, u: np.ndarray) -> np.ndarray:
    """The smooth trailing edge (v of the top outline) before any marks."""
    au = np.abs(u) / _side(p, u, p.lobe_length)
    au = np.minimum(au, 1.0)
    v = -_side(p, u, p.tip_lift) * au ** p.lift_power
    v = v - p.s_curve * np.sin(np.pi * au) * (1 - au)
    v = v + p.notch_depth * np.exp(-((u / p.notch_width) ** 2))
    return v


def edge_profile(p: ShapeParams, u: np.ndarray) -> np.ndarray:
    """How far (>= 0, canonical units) the marks cut down into the trailing edge."""
    au = np.abs(u)
    cut = p.scallop_amp * np.abs(np.sin(np.pi * p.scallop_freq * u + p.scallop_phase))
    lo, hi = p.serration_range
    env = np.clip(np.minimum(u - lo, hi - u) / 0.05, 0, 1)
    saw = (p.serration_freq * (u + 1.0)) % 1.0
    cut = cut + p.serration_amp * env * saw
    for freq, phase, amp in p.ripples:
        cut = cut + amp * (1 + np.sin(np.pi * freq * u + phase))
    for m in p.marks:
        t = (u - m.center) / m.width
        if m.kind == "nick":
            cut = cut + m.depth * np.clip(1 - np.abs(t), 0, None)
        else:
            cut = cut + m.depth * np.sqrt(np.clip(1 - t * t, 0, None)) ** 0.5
    # the central notch itself stays clean; marks fade there
    return cut * np.clip(au / 0.04, 0.3, 1.0)


def chord(p: ShapeParams, u: np.ndarray) -> np.ndarray:
    """Lobe width from trailing to leading edge; 0 beyond the tip."""
    au = np.abs(u) / _side(p, u, p.lobe_length)
    inside = np.clip(1 - au, 0, None)
    return p.chord * inside ** p.chord_power * (1 + p.chord_bulge * au * inside)


def masks(p: ShapeParams, u: np.ndarray, v: np.ndarray):
    """Boolean masks on the grid u (1, W) x v (H, 1).

    Returns (lobes, tail, box_part, s) where tail = lobes + peduncle, box_part is the
    region a photo-ID box covers (lobes plus the top of the stock) and s is the
    position across the lobe (0 trailing edge, 1 leading edge) for pigment patterns.
    """
    base = trailing_base(p, u)
    top = base + edge_profile(p, u)
    c = chord(p, u)
    bottom = base + c
    lobes = (v >= top) & (v <= bottom) & (c > 0.004)
    root = float(trailing_base(p, np.zeros(1))[0]) + 0.55 * p.chord
    depth = np.clip(v - root, 0, None)
    half = p.peduncle_width + p.peduncle_flare * depth ** 1.3
    peduncle = (np.abs(u) <= half) & (v >= root)
    tail = lobes | peduncle
    box_part = lobes | (peduncle & (v <= root + 0.45 * p.chord + 0.05))
    s = np.clip((v - base) / np.maximum(c, 1e-3), 0, 1)
    return lobes, tail, box_part, s, top
