"""One score scale for every ranking mode, in words a scientist reads: the share of the catalog's
different-whale look-alikes that a candidate beats.

Why: the raw scores of the modes mean different things (a cosine-like embedding score, the Siamese
head's output, the fused impostor share of keypoint re-ranking) and "0.15 against a threshold of
0.03" says nothing to a person. The catalog itself says what a score is worth: each catalog photo's
best score against the OTHER individuals (Matcher.impostor_best_scores, the sample the "auto"
threshold is the median of) is how high a photo of a different whale scores. A raw score becomes its
rank among those, k impostors below out of n gives k / (n + 1) (the rule of impostor_fusion.py, so
the fused score of keypoint re-ranking is already on this scale and passes through unchanged).
The mapping is monotone, so it never changes a ranking; the threshold maps the same way.

No Qt here (core).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ScoreScale:
    """share(raw score) -> the share of the catalog's impostors it beats, in [0, 1), or None.

    impostors: the catalog's sorted impostor scores on the raw scale; None when the raw scores are
    already shares (the fused score). An empty array: no impostors to compare with (a catalog of
    one individual), so no share can be given."""

    impostors: np.ndarray | None
    raw_name: str = "embedding score"  # what the raw score is, for a tooltip

    @property
    def available(self) -> bool:
        return self.impostors is None or len(self.impostors) > 0

    def share(self, score: float | None) -> float | None:
        if score is None or not math.isfinite(float(score)) or not self.available:
            return None
        if self.impostors is None:
            return float(score)
        n = len(self.impostors)
        return float(np.searchsorted(self.impostors, float(score), side="left") / (n + 1))


def scale_of(matcher: Any) -> ScoreScale:
    """The scale of a prepared matcher's scores: the fused score of keypoint re-ranking is already a
    share; the embedding score (plain Matcher, or re-ranking that fell back to it) is mapped through
    the matcher's impostor scores (computed once per prepared catalog)."""
    reranker = getattr(matcher, "reranker", None)
    if reranker is not None and getattr(reranker, "model", None) is not None:
        if getattr(matcher, "edge_evidence", None) is not None:
            return ScoreScale(None, "fused embedding + keypoint + trailing-edge score")
        return ScoreScale(None, "fused embedding + keypoint score")
    impostors = np.asarray(matcher.impostor_best_scores(), dtype=np.float64)
    card = getattr(getattr(matcher, "model", None), "card", None)
    if card is None:
        name = "embedding score"
    elif getattr(card, "objective", "siamese") == "siamese" and not getattr(card, "centre_on_catalog", False):
        name = "Siamese head score"
    else:  # ArcFace embeddings and the zero-shot model compare by cosine
        name = "embedding score (cosine)"
    return ScoreScale(np.sort(impostors), name)


def share_words(share: float | None) -> str:
    """'beats 97% of different-whale pairs', floored so that 100% is never shown for a share below
    1 (a score above every impostor reads 'beats >99%')."""
    if share is None:
        return "no different-whale pairs to compare with"
    if share > 0.99:
        return "beats >99% of different-whale pairs"
    return f"beats {int(math.floor(share * 100 + 1e-9))}% of different-whale pairs"


def percent(share: float | None) -> str:
    """The share as a short percentage for a threshold line or a caption ('50%', '>99%', '?')."""
    if share is None:
        return "?"
    return ">99%" if share > 0.99 else f"{int(math.floor(share * 100 + 1e-9))}%"


EXPLANATION = (
    "Scores are shown on one scale for every model and mode: the share of different-whale pairs a "
    "candidate beats. For each photo in the catalog, its closest look-alike among the OTHER individuals "
    "was scored; 'beats 97% of different-whale pairs' means this candidate scores higher than 97% of "
    "those look-alikes. Candidates below the new-individual threshold (by default the median look-alike: "
    "about 50%) are more likely a whale not yet in the catalog.")
