"""The keypoint evidence the compare view draws: matched points of the query and one candidate,
as fractions of the two crops the screen shows (photo_display.crop_rgb)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whaleid_gui.core.boxes import BoundingBox

from .match_photos import keypoint_cache_dir
from .photo_display import display_region


@dataclass(frozen=True)
class KeypointLines:
    lines: Any  # (K, 4) float32 (uq, vq, uc, vc): fractions of the displayed query and candidate crops
    inliers: int
    tentative: int


def _display_fractions(points, box: BoundingBox | None, image_size: tuple[int, int], rotation: int, flip: bool):
    """Photo pixels -> fractions (u, v) of the crop that crop_rgb displays (same margin, oriented)."""
    import numpy as np

    x0, y0, x1, y1 = display_region(box, *image_size)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    u = (pts[:, 0] - x0) / max(x1 - x0, 1)
    v = (pts[:, 1] - y0) / max(y1 - y0, 1)
    if rotation == 180:
        u, v = 1.0 - u, 1.0 - v
    if flip:
        u = 1.0 - u
    return np.stack([u, v], axis=1)


def keypoint_lines(folder: str | Path | None, query: tuple, candidate: tuple) -> KeypointLines:
    """Worker job: verify the query against one candidate photo by keypoints and return the
    matched pairs ready to draw. query / candidate: (path, box, rotation, flip)."""
    import numpy as np

    from whaleid_gui.core.keypoints import KeypointVerifier

    verifier = KeypointVerifier(cache_dir=keypoint_cache_dir(folder) if folder is not None else None)
    # A mirrored photo is described mirrored (as the matcher does); photo_points undoes it.
    qd = verifier.describe(query[0], query[1], bool(query[3]))
    cd = verifier.describe(candidate[0], candidate[1], bool(candidate[3]))
    if qd.image_size is None or cd.image_size is None:  # describe() always reads the photo's size
        raise ValueError("keypoints without the photo's size cannot be drawn on it")
    result = verifier.verify(qd, cd)
    m = np.asarray(result.matches, dtype=np.float32).reshape(-1, 4)
    if not len(m):
        return KeypointLines(np.zeros((0, 4), np.float32), int(result.inliers), int(result.tentative))
    qf = _display_fractions(qd.photo_points(m[:, :2]), query[1], qd.image_size, query[2], query[3])
    cf = _display_fractions(cd.photo_points(m[:, 2:]), candidate[1], cd.image_size, candidate[2], candidate[3])
    lines = np.concatenate([qf, cf], axis=1)
    inside = np.all((lines >= 0.0) & (lines <= 1.0), axis=1)  # the keypoint crop is a bit wider than shown
    return KeypointLines(lines[inside].astype(np.float32), int(result.inliers), int(result.tentative))
