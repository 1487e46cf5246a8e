"""argparse value types shared by every command (one definition each, one wording of errors)."""

from __future__ import annotations

import argparse


def threshold(value: str) -> float | str | None:
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


def count(value: str) -> int:
    """A whole number of things, 0 included (e.g. --synthetic 0: none)."""
    return 0 if value.strip() == "0" else positive_int(value)


def share(value: str) -> float:
    """A share of the data held out: a number in [0, 1)."""
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"{v} must be in [0, 1)")
    return v
