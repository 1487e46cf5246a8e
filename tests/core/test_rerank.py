"""Keypoint re-ranking: leave-one-out pair building from the references, query-time re-ranking with
the impostor fusion (the fusion itself: test_impostor_fusion.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whaleid_gui.core import rerank as rr
from whaleid_gui.core.impostor_fusion import ImpostorFusion


@dataclass
class FakeResult:
    inliers: int
    spread: float
    score: float = 0.0


def test_reference_pairs_leave_one_out():
    # 4 individuals x 3 photos, + 2 singletons; keypoints find the truth, embedding is noisy
    ids = [f"I{k}" for k in range(4) for _ in range(3)] + ["S1", "S2"]
    r = len(ids)
    rng = np.random.default_rng(0)
    same = np.array([[a == b for b in ids] for a in ids])
    emb = np.clip(0.5 + 0.2 * same + rng.normal(0, 0.15, (r, r)), 0, 1)
    calls = []

    def kp_fn(i, j):
        calls.append((i, j))
        assert i != j  # the anchor itself is never its own reference
        return FakeResult(30 if ids[i] == ids[j] else 2, 0.3 if ids[i] == ids[j] else 0.01)

    e, k, y = rr.reference_pairs(ids, emb, kp_fn, n_hard=2)
    assert len(e) == len(k) == len(y)
    assert y.sum() == 12  # each of the 12 photos with siblings gives one positive
    assert (y == 0).sum() == 14 * 2  # every anchor gives n_hard negatives
    assert (k[y > 0, 0] == 30).all() and (k[y == 0, 0] == 2).all()
    # the anchors come back when asked for (the matcher calibrates its threshold per anchor)
    e2, k2, y2, anchors = rr.reference_pairs(ids, emb, kp_fn, n_hard=2, return_anchors=True)
    np.testing.assert_array_equal(y2, y)
    assert anchors.shape == y.shape and set(anchors.tolist()) == set(range(r))
    # max_photos: only that many photos of each individual are verified per anchor
    calls.clear()
    rr.reference_pairs(ids, emb, kp_fn, n_hard=2, max_photos=1)
    assert len(calls) == len(y)  # one verification per pair


def test_rerank_puts_verified_individual_first():
    # impostors: best embedding scores 0.3 .. 0.7, inliers 2 .. 10 between different individuals
    model = ImpostorFusion(np.array([0.3, 0.5, 0.55, 0.7]), np.array([2, 5, 8, 10]))
    verified = {"p_b2": FakeResult(40, 0.4, 0.97)}

    def verify(q, photo):
        return verified.get(photo, FakeResult(1, 0.0, 0.0))

    cands = [("A", 0.6, ["p_a1"]), ("B", 0.5, ["p_b1", "p_b2"]), ("C", 0.4, []), ("D", 0.1, ["p_d"])]
    out = rr.rerank("q", cands, verify, model, top_n=3)
    assert [r.individual for r in out][:2] == ["B", "A"]
    b = out[0]
    assert b.best_photo == 1 and b.inliers == 40 and b.result is verified["p_b2"]
    # B beats 4 of the 4 impostor inlier counts (4/5); A beats 3 of 4 impostor embedding scores (3/5)
    assert (b.fused, out[1].fused) == (0.8, 0.6)
    assert out[-1].individual == "D" and np.isnan(out[-1].fused)  # beyond top_n: not verified
    c = next(r for r in out if r.individual == "C")
    assert c.best_photo is None and c.inliers == 0
    # no model: embedding order kept
    plain = rr.rerank("q", cands, verify, None)
    assert [r.individual for r in plain] == ["A", "B", "C", "D"]
