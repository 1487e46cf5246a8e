"""Errors that carry a message fit to show a scientist (they name the file and the fault)."""

from __future__ import annotations

from pathlib import Path


class WhaleIDError(Exception):
    """Base of every error WhaleID reports to a user as a one-line reason."""


class BadInputError(WhaleIDError):
    """An input file (CSV, JSON, weights, image) is missing or malformed."""

    def __init__(self, path: str | Path | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class ImageError(BadInputError):
    """An image cannot be read: missing, empty, truncated, not an image, too large."""


class WeightsError(BadInputError):
    """A weights file is corrupt, of another architecture, or not a weights file."""
