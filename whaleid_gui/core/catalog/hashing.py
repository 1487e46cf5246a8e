"""Perceptual hash and the near-duplicate rule of ALGORITHM.md (no extra dependency: scipy DCT).

phash: 32x32 grayscale -> 2-D DCT -> top-left 8x8 -> bit = coefficient > median -> 64-bit int.
Two photos are the same picture when their phashes are equal, or differ by at most 6 bits with
the same size and a mean squared difference of at most 0.1 after standardising each.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy.fft import dctn

NEAR_BITS = 6
NEAR_MSE = 0.1
_MASK64 = (1 << 64) - 1


def phash(image: Image.Image) -> int:
    """64-bit perceptual hash (unsigned) of a PIL image."""
    small = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    coeffs = dctn(np.asarray(small, dtype=np.float64), norm="ortho")[:8, :8]
    bits = (coeffs > np.median(coeffs)).ravel()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def to_signed(value: int | None) -> int | None:
    """Unsigned 64-bit -> signed, to fit a database BIGINT."""
    if value is None:
        return None
    return value - (1 << 64) if value >= (1 << 63) else value


def to_unsigned(value: int | None) -> int | None:
    return None if value is None else value & _MASK64


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


def hamming_many(value: int, others: np.ndarray) -> np.ndarray:
    """Bit distances from one hash to an array of hashes (uint64)."""
    x = np.bitwise_xor(others, np.uint64(value & _MASK64))
    return np.bitwise_count(x)


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    """The pixel half of the rule: same size and standardised MSE <= 0.1."""
    if a.size != b.size:
        return False
    xa = _standardised(a)
    xb = _standardised(b)
    return float(np.mean((xa - xb) ** 2)) <= NEAR_MSE


def _standardised(image: Image.Image) -> np.ndarray:
    x = np.asarray(image.convert("L"), dtype=np.float32)
    return (x - x.mean()) / max(float(x.std()), 1e-6)
