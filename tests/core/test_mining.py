"""Pair mining of ALGORITHM.md: derangements within individuals, LAP-mined non-matching pairs that
never join one individual, use every image, avoid pairs used before and get harder as K falls."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from whaleid_gui.core import mining
from whaleid_gui.core.mining import (
    FORBIDDEN,
    NegativeMiner,
    derangement,
    k_schedule,
    learning_rate_schedule,
    matching_pairs,
    solve_assignment,
)

BALANCED = [f"w{i // 4}" for i in range(48)]  # 12 individuals x 4 photos


def _scores(n: int, seed: int) -> np.ndarray:
    s = np.random.default_rng(seed).random((n, n)).astype(np.float32)
    return (s + s.T) / 2  # the head is symmetric


@pytest.mark.parametrize("n", [2, 3, 5, 17])
def test_derangement_has_no_fixed_point(n):
    for seed in range(50):
        perm = derangement(n, np.random.default_rng(seed))
        assert sorted(perm.tolist()) == list(range(n))
        assert not np.any(perm == np.arange(n))


def test_derangement_needs_two():
    with pytest.raises(ValueError):
        derangement(1, np.random.default_rng(0))


def test_matching_pairs_stay_within_the_individual():
    ids = ["a", "b", "a", "c", "b", "a", "d", "d", "e"]  # e: a singleton
    for seed in range(20):
        pairs = matching_pairs(ids, np.random.default_rng(seed))
        assert all(ids[i] == ids[j] and i != j for i, j in pairs)
        usable = [i for i, x in enumerate(ids) if ids.count(x) >= 2]
        assert sorted(pairs[:, 0].tolist()) == usable  # every usable image once as first element
        assert sorted(pairs[:, 1].tolist()) == usable  # ... and once as second
    assert matching_pairs(["a", "b"], np.random.default_rng(0)).shape == (0, 2)


def test_matching_pairs_vary_between_epochs():
    ids = ["a"] * 6
    seen = {tuple(map(tuple, matching_pairs(ids, np.random.default_rng(s)))) for s in range(10)}
    assert len(seen) > 1


def test_non_matching_pairs_never_join_one_individual_and_use_every_image():
    miner = NegativeMiner(BALANCED)
    miner.set_scores(_scores(48, 0))
    for epoch in range(6):
        pairs = miner.epoch_pairs(1.0, np.random.default_rng(epoch))
        assert all(BALANCED[i] != BALANCED[j] for i, j in pairs)
        assert sorted(pairs[:, 0].tolist()) == list(range(48))  # each image first in one pair
        assert sorted(pairs[:, 1].tolist()) == list(range(48))  # an assignment: a permutation


def test_used_pairs_are_excluded_in_following_epochs():
    miner = NegativeMiner(BALANCED)
    miner.set_scores(_scores(48, 1))
    used: set[frozenset] = set()
    for epoch in range(5):
        pairs = miner.epoch_pairs(0.1, np.random.default_rng(epoch))  # low K: would pick the same hard pairs
        now = {frozenset((int(i), int(j))) for i, j in pairs}
        assert not now & used, f"epoch {epoch} repeats a pair"
        used |= now


def test_used_pairs_start_over_when_all_are_spent():
    ids = ["a", "a", "b", "b"]  # 4 different-individual pairs in all (unordered)
    miner = NegativeMiner(ids)
    for epoch in range(4):
        pairs = miner.epoch_pairs(1.0, np.random.default_rng(epoch))
        assert len(pairs) == 4 and all(ids[i] != ids[j] for i, j in pairs)


def test_mean_score_of_chosen_pairs_rises_as_k_falls():
    means = {1000: [], 10: [], 0.1: []}
    for seed in range(3):
        scores = _scores(48, seed)
        for k in means:
            miner = NegativeMiner(BALANCED)
            miner.set_scores(scores)
            pairs = miner.epoch_pairs(k, np.random.default_rng(100 + seed))
            means[k].append(scores[pairs[:, 0], pairs[:, 1]].mean())
    m1000, m10, m01 = (np.mean(means[k]) for k in (1000, 10, 0.1))
    assert m1000 < m10 < m01
    assert m1000 == pytest.approx(0.5, abs=0.06)  # K = 1000: random pairs
    assert m01 > 0.8  # K = 0.1: the hardest pairs the assignment allows


def test_known_negatives_come_first():
    miner = NegativeMiner(BALANCED, known_negatives=[(0, 5), (9, 30)])
    pairs = miner.epoch_pairs(1.0, np.random.default_rng(0))
    assert pairs[:2].tolist() == [[0, 5], [9, 30]]
    assert len(pairs) == 50


def test_score_matrix_must_fit():
    with pytest.raises(ValueError):
        NegativeMiner(BALANCED).set_scores(np.zeros((3, 3)))


def _brute_force_cost(cost: np.ndarray) -> float:
    n = len(cost)
    return min(cost[np.arange(n), list(p)].sum() for p in itertools.permutations(range(n)))


def test_scipy_fallback_equals_lap(monkeypatch):
    rng = np.random.default_rng(7)
    cost = rng.random((7, 7))
    cost[2, 3] = cost[4, 4] = FORBIDDEN
    assert mining.HAVE_LAP  # lap is a dependency
    with_lap = solve_assignment(cost)
    monkeypatch.setattr(mining, "HAVE_LAP", False)
    with_scipy = solve_assignment(cost)
    np.testing.assert_array_equal(with_lap, with_scipy)
    assert sorted(with_scipy.tolist()) == list(range(7))
    assert cost[np.arange(7), with_scipy].sum() == pytest.approx(_brute_force_cost(cost))


def test_miner_works_on_the_scipy_fallback(monkeypatch):
    monkeypatch.setattr(mining, "HAVE_LAP", False)
    miner = NegativeMiner(BALANCED)
    miner.set_scores(_scores(48, 3))
    pairs = miner.epoch_pairs(1.0, np.random.default_rng(0))
    assert sorted(pairs[:, 0].tolist()) == list(range(48))
    assert all(BALANCED[i] != BALANCED[j] for i, j in pairs)


def test_k_schedule_follows_siamese_md():
    ks = k_schedule(400)
    assert ks[:10] == [1000.0] * 10
    assert ks[10] == pytest.approx(100.0)
    assert ks[-1] == 0.25 and 1.0 in ks and 0.5 in ks
    assert all(a >= b for a, b in zip(ks, ks[1:]))  # randomness only decreases
    assert min(k for k in ks if k > 1.0) == pytest.approx(100 * 100**-0.9)  # 100 decays to ~1.6, no further
    small = k_schedule(8)
    assert len(small) == 8 and small[0] == 1000.0 and small[-1] == 0.25
    assert k_schedule(0) == []
    lrs = learning_rate_schedule(400)
    assert lrs[0] == pytest.approx(64e-5) and lrs[-1] == pytest.approx(1e-5)
    assert sorted(set(lrs), reverse=True) == pytest.approx([64e-5, 16e-5, 4e-5, 1e-5])
