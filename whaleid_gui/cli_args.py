"""argparse value types shared by every CLI module (one definition each, one wording of errors)."""

from __future__ import annotations

import argparse


def threshold(value: str):
    """--new-threshold: "auto", "none" (-> None) or a score in [0, 1]."""
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be auto, none or a number in [0, 1], not {value!r}") from None
    if not 0.0 <= t <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold {t} is outside [0, 1]")
    return t


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be at least 1")
    return n
