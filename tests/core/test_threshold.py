"""Leave-one-out threshold calibration: the vectorised MAP@5 per threshold against a brute-force
ranking scored by metrics.py, and the choice of threshold on constructed score tables."""

from __future__ import annotations

import numpy as np
import pytest

from whaleid_gui.core.metrics import average_precision_at_k
from whaleid_gui.core.threshold import NO_TRUTH_RANK, ap_for_thresholds, calibrate_threshold


def _brute_force_map(top_scores, truth_rank, truth_new, threshold) -> float:
    """Build each prediction list (r1..r5 with new_whale inserted) and score it with metrics.py."""
    aps = []
    for scores, rank, new in zip(top_scores, truth_rank, truth_new):
        labels = []
        placed = False
        for r, s in enumerate(scores, start=1):
            if not np.isfinite(s):
                break
            if not placed and s < threshold:
                labels.append("new_whale")
                placed = True
            labels.append(f"r{r}")
        if not placed:
            labels.append("new_whale")
        truth = "new_whale" if new else (f"r{rank}" if rank != NO_TRUTH_RANK else "absent")
        aps.append(average_precision_at_k(labels[:5], truth))
    return float(np.mean(aps))


def test_vectorised_ap_equals_brute_force():
    rng = np.random.default_rng(0)
    n = 200
    top = -np.sort(-rng.random((n, 5)), axis=1)
    truth_new = rng.random(n) < 0.3
    truth_rank = np.where(truth_new, NO_TRUTH_RANK, rng.choice([1, 2, 3, 4, 5, NO_TRUTH_RANK], n))
    thresholds = np.array([-1.0, 0.05, 0.3, 0.5, 0.77, 0.95, 2.0])
    fast = ap_for_thresholds(top, truth_rank, truth_new, thresholds)
    slow = [_brute_force_map(top, truth_rank, truth_new, t) for t in thresholds]
    np.testing.assert_allclose(fast, slow, atol=1e-12)


def test_no_new_truths_gives_no_threshold():
    top = np.array([[0.9, 0.5, 0.4, 0.3, 0.2], [0.8, 0.7, 0.1, 0.0, -0.1]])
    assert calibrate_threshold(top, np.array([1, 2]), np.array([False, False])) is None
    assert calibrate_threshold(np.empty((0, 5)), np.empty(0, int), np.empty(0, bool)) is None


def test_threshold_separates_same_from_different():
    rng = np.random.default_rng(1)
    n_known, n_new = 60, 20
    known_top = np.sort(rng.uniform(0.80, 0.99, (n_known, 1)), 0)  # the truth scores high...
    known = np.hstack([known_top, rng.uniform(0.0, 0.6, (n_known, 4))])
    new = rng.uniform(0.0, 0.7, (n_new, 5))  # ...no true match: the best is some other whale
    top = -np.sort(-np.vstack([known, new]), axis=1)
    truth_new = np.r_[np.zeros(n_known, bool), np.ones(n_new, bool)]
    truth_rank = np.where(truth_new, NO_TRUTH_RANK, 1)
    t = calibrate_threshold(top, truth_rank, truth_new)
    assert new.max() < t <= known_top.min()
    best = ap_for_thresholds(top, truth_rank, truth_new, np.array([t]))[0]
    assert best == pytest.approx(1.0)


def test_threshold_is_a_best_map_choice_when_classes_overlap():
    rng = np.random.default_rng(2)
    n = 300
    truth_new = rng.random(n) < 0.4
    first = np.where(truth_new, rng.normal(0.6, 0.1, n), rng.normal(0.75, 0.1, n))
    top = np.column_stack([first] + [first - rng.uniform(0.05, 0.3, n) * (k + 1) for k in range(4)])
    truth_rank = np.where(truth_new, NO_TRUTH_RANK, rng.choice([1, 1, 1, 2, 3, NO_TRUTH_RANK], n))
    t = calibrate_threshold(top, truth_rank, truth_new)
    grid = np.linspace(top.min() - 0.01, top.max() + 0.01, 2001)
    achieved = ap_for_thresholds(top, truth_rank, truth_new, np.array([t]))[0]
    assert achieved >= ap_for_thresholds(top, truth_rank, truth_new, grid).max() - 1e-9


def test_all_new_puts_new_whale_first():
    top = -np.sort(-np.random.default_rng(3).random((10, 5)), axis=1)
    t = calibrate_threshold(top, np.full(10, NO_TRUTH_RANK), np.ones(10, bool))
    assert t > top.max()
