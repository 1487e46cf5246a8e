"""Smooth random fields made by upsampling small Gaussian grids (fast, vectorised)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def _normalise(a: np.ndarray) -> np.ndarray:
    a = a - a.mean()
    return (a / (a.std() + 1e-6)).astype(np.float32)


def upsample(grid: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Bicubic upsampling of a float grid to (height, width); PIL does it in C."""
    h, w = out_hw
    img = Image.fromarray(np.ascontiguousarray(grid, dtype=np.float32))
    return np.asarray(img.resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)


def smooth_noise(rng: np.random.Generator, grid_hw: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """A smooth field with mean 0 and std 1; grid_hw sets how many blobs fit across."""
    return _normalise(upsample(rng.standard_normal(grid_hw), out_hw))


def symmetric_noise(rng: np.random.Generator, grid_hw: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """Like smooth_noise but mirror-symmetric about the vertical centre line.

    grid_hw gives the half grid; out width must be even so the mirror line falls
    between two pixel columns exactly.
    """
    half = rng.standard_normal(grid_hw)
    full = np.concatenate([half[:, ::-1], half], axis=1)
    return _normalise(upsample(full, out_hw))


def noise_1d(rng: np.random.Generator, n_knots: int, n_out: int) -> np.ndarray:
    """A smooth 1-D curve of n_out samples, mean 0 / std 1."""
    knots = rng.standard_normal(n_knots)
    x = np.linspace(0, n_knots - 1, n_out)
    return _normalise(np.interp(x, np.arange(n_knots), knots))
