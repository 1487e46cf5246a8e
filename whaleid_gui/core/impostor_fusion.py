"""Fusion of the embedding and the keypoint evidence on one scale a person can read: the share of
the catalog's impostors that a candidate beats.

Each score is turned into its rank among impostor scores measured on the catalog itself: the
embedding score among each catalog photo's best score against the other individuals, the inlier
count among the verified inliers of catalog photos against the individuals the embedding ranks
closest (hard impostors); k impostors below out of n give k / (n + 1), so even a score above every
impostor stays below 1 (a threshold of 1 still means "always new"). The fused score is the larger
of the two. So a candidate is promoted by
its keypoints only when more marks line up than between different animals of this catalog, and
never demoted by them: on real photos (benchmarks/eval_real.py) a logistic fusion fitted on the
references lost to the embedding alone on the nyala flanks (0.37 vs 0.44 MAP@5, fold 0) while the
keypoints carried the fins; this rule is meant to keep the better of the two on both.

No Qt here (core).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_INLIERS = 6  # fewer verified matches than this happen between unrelated photos: no evidence


def share_among(impostors: np.ndarray, values: Any) -> np.ndarray:
    """Each value's share of the sorted impostor scores it beats: k below out of n give k / (n + 1)
    (-inf: 0; no impostors: 0). The one scale of every voter (embedding, keypoints, a fin's edge)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if not len(impostors):
        return np.zeros_like(v)
    return np.searchsorted(impostors, v, side="left") / (len(impostors) + 1)


@dataclass
class ImpostorFusion:
    """predict(emb, kp) -> fused scores in [0, 1]; kp: (N, 2) [inliers, spread] or VerifyResults."""

    emb_impostors: np.ndarray  # sorted best embedding scores of impostors
    kp_impostors: np.ndarray  # sorted inlier counts of impostor pairs

    def __post_init__(self) -> None:
        self.emb_impostors = np.sort(np.asarray(self.emb_impostors, dtype=np.float64))
        self.kp_impostors = np.sort(np.asarray(self.kp_impostors, dtype=np.float64))

    def embedding_share(self, emb: Any) -> np.ndarray:
        return share_among(self.emb_impostors, emb)

    def keypoint_share(self, inliers: Any) -> np.ndarray:
        n = np.asarray(inliers, dtype=np.float64).ravel()
        return np.where(n >= MIN_INLIERS, share_among(self.kp_impostors, n), 0.0)

    def predict(self, emb: Any, kp: Any) -> np.ndarray:
        inliers = np.array([k.inliers if hasattr(k, "inliers") else k[0] for k in kp], dtype=np.float64)
        return np.maximum(self.embedding_share(emb), self.keypoint_share(inliers))
