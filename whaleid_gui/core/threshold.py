"""The new-individual threshold, calibrated on the references alone.

The default ("auto") is the impostor median (impostor_threshold below). The older rule ("loo"),
leave-one-out MAP@5:

Each sampled reference photo is held out and ranked against the others. Its truth is its individual
when that individual has other photos in the catalog, and new_whale when it is the only photo of its
individual or a reference row labelled new_whale (a photo known to be of no catalogued individual).
The threshold is the score that maximises MAP@5 of those held-out rankings with new_whale inserted
where the score falls below it. Without any held-out photo whose truth is new_whale the data cannot
say where "new" begins, and no threshold is set (new_whale is never proposed).
"""

from __future__ import annotations

import numpy as np

NO_TRUTH_RANK = 99
CALIBRATED = ("auto", "loo")  # threshold settings the matcher calibrates itself
# "auto": new_whale goes first when a query's best score is below what half of the catalog's
# impostors reach (a photo's best score against other individuals). Chosen on real photos
# (benchmarks/eval_real.py): leave-one-out MAP@5 calibration sent nearly every known query of a
# catalog of singletons to new (fins: 12 of 13); the impostor median needs no repeat photos.
IMPOSTOR_QUANTILE = 0.5


def impostor_threshold(best_impostor_scores: np.ndarray, quantile: float = IMPOSTOR_QUANTILE) -> float | None:
    """The score that `quantile` of the impostors' best scores stay below (None without impostors)."""
    scores = np.asarray(best_impostor_scores, dtype=np.float64)
    scores = scores[np.isfinite(scores)]
    return float(np.quantile(scores, quantile)) if scores.size else None


def ap_for_thresholds(top_scores: np.ndarray, truth_rank: np.ndarray, truth_is_new: np.ndarray,
                      thresholds: np.ndarray) -> np.ndarray:
    """Mean AP@5 for each threshold.

    top_scores: (n, 5) best individual scores of each held-out photo, descending (pad with -inf);
    truth_rank: (n,) 1-based rank of its individual among individuals (NO_TRUTH_RANK when absent);
    truth_is_new: (n,) whether the right answer is new_whale.
    """
    k = (top_scores[None, :, :5] >= thresholds[:, None, None]).sum(-1)  # individuals before new_whale
    new_ap = np.where(k < 5, 1.0 / (k + 1), 0.0)
    r = truth_rank[None, :].astype(float)
    shifted = r + 1  # new_whale inserted before the truth pushes it one down
    known_ap = np.where(r <= k, 1.0 / r, np.where(shifted <= 5, 1.0 / shifted, 0.0))
    return np.where(truth_is_new[None, :], new_ap, known_ap).mean(axis=1)


def calibrate_threshold(top_scores: np.ndarray, truth_rank: np.ndarray, truth_is_new: np.ndarray) -> float | None:
    if len(top_scores) == 0 or not truth_is_new.any():
        return None
    finite = top_scores[np.isfinite(top_scores)]
    candidates = np.unique(np.concatenate([finite, [finite.max() + 1e-6 if finite.size else 1.0]]))
    if candidates.size > 400:
        candidates = np.unique(np.quantile(candidates, np.linspace(0, 1, 400)))
    scores = ap_for_thresholds(top_scores, truth_rank, truth_is_new, candidates)
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    # Of equally good thresholds take the middle one (the least tuned to these exact scores), placed
    # half-way to the next lower candidate: every value in that gap gives the same ranking.
    b = best[len(best) // 2]
    lower = candidates[b - 1] if b > 0 else candidates[b] - 1e-3
    return float((lower + candidates[b]) / 2)
