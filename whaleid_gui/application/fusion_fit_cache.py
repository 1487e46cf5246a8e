"""The keypoint fusion's fit, saved beside the project's feature cache so that reopening a
project does not fit it again.

Why: the fit verifies thousands of reference pairs by keypoints (about a minute for 1,000
catalog photos on two cores); without it the first match after opening a 1,000-photo project
took that long. What is saved is small: the inlier counts of the catalog's impostor pairs and
the fused new-individual threshold (core/keypoint_matching.py: preset_fit). It is reused while
the catalog is within FIT_REUSE_GROWTH of the size it was fitted on; beyond that a full fit runs
(and is saved again). The embedding's own impostor scores are always recomputed (cheap).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from whaleid_gui.core.atomic_write import atomic_write

FIT_REUSE_GROWTH = 0.2  # a saved fit serves a catalog up to 20% larger or smaller than its own


def fit_file(cache_folder: Path, engine_key: tuple, threshold: Any) -> Path:
    """One file per model and threshold setting (the fit depends on both, not on the query)."""
    name = hashlib.sha1(json.dumps([repr(engine_key), repr(threshold)]).encode()).hexdigest()[:16]
    return Path(cache_folder) / "fusion_fit" / f"{name}.npz"


def load_fit(path: Path, n_references: int) -> tuple[np.ndarray, float | None] | None:
    """(keypoint impostor inliers, fused threshold) saved for a catalog of about this size, or None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            fitted_on = int(z["references"])
            kp = z["kp_impostors"].astype(np.float64)
            threshold = float(z["threshold"])
    except (OSError, KeyError, ValueError):  # missing or unreadable: fit anew, never trust it
        return None
    if abs(n_references - fitted_on) > FIT_REUSE_GROWTH * max(fitted_on, 1):
        return None
    return kp, (None if np.isnan(threshold) else threshold)


def save_fit(path: Path, state: tuple[np.ndarray, float | None], n_references: int) -> None:
    kp, threshold = state
    try:
        with atomic_write(path, "wb", make_parents=True, fsync=False) as fh:  # a cache: no fsync
            np.savez(fh, kp_impostors=np.asarray(kp, dtype=np.float64),
                     threshold=np.float64(np.nan if threshold is None else threshold),
                     references=np.int64(n_references))
    except OSError:
        pass  # a fit that cannot be saved is fitted again next time
