"""Training pairs as in ALGORITHM.md.

Matching pairs: each image of an individual with a random derangement of that individual's images.
Non-matching pairs: a linear assignment on cost = -score + K * uniform noise over the score matrix of
all training images, with same-individual pairs (and the diagonal) forbidden, so that each image is
paired with the hardest different individual the assignment allows; K sets how random the choice is
(K = 1000: random pairs; K ~ 1: the hardest). Pairs already used get a forbidding cost in the next
epochs, so hard pairs change from epoch to epoch.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

try:
    import lap

    HAVE_LAP = True
except ImportError:  # pragma: no cover - lap is a dependency; scipy is the fallback
    HAVE_LAP = False

FORBIDDEN = 1e6  # far above any -score + K * noise that the K schedule can produce


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A permutation of range(n) with no fixed point (n >= 2)."""
    if n < 2:
        raise ValueError("a derangement needs at least 2 elements")
    while True:  # ~1/e of random permutations are derangements: a few tries on average
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            return perm


def matching_pairs(ids: Sequence[str], rng: np.random.Generator) -> np.ndarray:
    """(P, 2) index pairs of the same individual: every image of an individual with >= 2 images once."""
    labels = np.asarray(ids, dtype=object)
    pairs = []
    for individual in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == individual)
        if len(members) >= 2:
            pairs.append(np.stack([members, members[derangement(len(members), rng)]], axis=1))
    return np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)


def same_individual_mask(ids: Sequence[str]) -> np.ndarray:
    codes = np.unique(np.asarray(ids, dtype=object), return_inverse=True)[1]
    return codes[:, None] == codes[None, :]


def solve_assignment(cost: np.ndarray) -> np.ndarray:
    """Row -> column of the minimum-cost assignment (lapjv, else scipy's linear_sum_assignment)."""
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    if HAVE_LAP:
        _, x, _ = lap.lapjv(cost, extend_cost=False)
        return np.asarray(x, dtype=np.int64)
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    out = np.empty(len(rows), dtype=np.int64)
    out[rows] = cols
    return out


class NegativeMiner:
    """Keeps the score matrix and the pairs already used; proposes hard non-matching pairs each epoch."""

    def __init__(self, ids: Sequence[str], known_negatives: Sequence[tuple[int, int]] = ()):
        self.ids = list(ids)
        self.forbidden = same_individual_mask(self.ids)
        np.fill_diagonal(self.forbidden, True)
        self.used = np.zeros_like(self.forbidden)
        self.scores = np.zeros(self.forbidden.shape, dtype=np.float32)
        # Pairs scientists rejected are known hard negatives: they are always proposed first.
        self.known_negatives = [(int(a), int(b)) for a, b in known_negatives]

    def set_scores(self, scores: np.ndarray) -> None:
        if scores.shape != self.forbidden.shape:
            raise ValueError(f"score matrix {scores.shape} does not fit {len(self.ids)} images")
        self.scores = np.asarray(scores, dtype=np.float32)

    def epoch_pairs(self, k: float, rng: np.random.Generator) -> np.ndarray:
        """(P, 2) non-matching pairs, every image used as the first element of one pair."""
        n = len(self.ids)
        cost = -self.scores.astype(np.float64) + k * rng.random((n, n))
        cost[self.forbidden | self.used] = FORBIDDEN
        cols = solve_assignment(cost)
        rows = np.arange(n)
        ok = ~self.forbidden[rows, cols]  # an individual with over half the images can force a bad pair
        pairs = np.stack([rows[ok], cols[ok]], axis=1)
        self.used[pairs[:, 0], pairs[:, 1]] = True
        self.used[pairs[:, 1], pairs[:, 0]] = True
        if self.used[~self.forbidden].all():  # every pair spent: start over rather than run dry
            self.used[:] = False
        if self.known_negatives:
            pairs = np.concatenate([np.asarray(self.known_negatives, dtype=np.int64), pairs])
        return pairs


def k_schedule(epochs: int) -> list[float]:
    """ALGORITHM.md's randomness schedule scaled to `epochs`.

    Reference (~400 epochs): K = 1000 for 10 epochs, then 100 decaying by 100^-0.1 every 5 epochs to
    ~1.6, then 1.0, 0.5, 0.25 with the learning-rate drops. Here the same phases take the same share
    of the epochs.
    """
    # 100 -> ~1.6 is 10 steps of 5 epochs (decaying for longer would fall below the 1.0 phase).
    phases = [1000.0] * 10 + [100.0 * (100 ** -0.1) ** (i // 5) for i in range(50)]
    phases += [1.0] * 140 + [0.5] * 100 + [0.25] * 100  # 400 epochs in all
    if epochs <= 0:
        return []
    idx = np.minimum((np.arange(epochs) * len(phases)) // epochs, len(phases) - 1)
    return [float(phases[i]) for i in idx]


def learning_rate_schedule(epochs: int, base: float = 64e-5) -> list[float]:
    """64e-5 -> 16e-5 -> 4e-5 -> 1e-5 at the same points as the K drops (scaled to the epochs)."""
    ks = k_schedule(epochs)
    return [base if k > 1.0 else base / 4 if k == 1.0 else base / 16 if k == 0.5 else base / 64 for k in ks]
