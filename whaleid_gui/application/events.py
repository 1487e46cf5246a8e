"""Typed events that the application's picture jobs yield to whoever drives them (a GUI worker
delivers them on its ``progress`` signal). Consumers dispatch with isinstance; progress of long
work stays ``core.progress.Progress`` (and its subclasses, e.g. ``core.training.EpochProgress``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whaleid_gui.core.boxes import BoundingBox


@dataclass(frozen=True)
class Thumbnail:
    """One thumbnail is ready: `key` is what the caller named the picture by (a photo id, a
    candidate's index), `image` an (H, W, 3) uint8 array."""

    key: int
    image: Any


@dataclass(frozen=True)
class ThumbnailFailed:
    """One picture could not be read; the others go on."""

    key: int
    reason: str


@dataclass(frozen=True)
class BoxProposed:
    """The box model proposed a box for a photo that had none (`path`: the resolved photo path)."""

    photo_id: int
    path: str
    box: BoundingBox
    model: str = ""  # the box model's weights id (what the catalog keeps beside the box)
