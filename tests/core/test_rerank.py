"""Fusion of embedding and keypoint scores: calibration on constructed data, monotonicity,
leave-one-out pair building from references, query-time re-ranking, save/load."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from whaleid_gui.core import rerank as rr


def constructed(n=400, seed=0):
    """Positives: higher embedding prob, more inliers, wider spread; with overlap."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(float)
    emb = np.clip(np.where(y > 0, rng.beta(5, 2, n), rng.beta(2, 5, n)), 0, 1)
    inl = np.where(y > 0, rng.poisson(25, n), rng.poisson(3, n)).astype(float)
    spread = np.clip(np.where(y > 0, rng.normal(0.4, 0.15, n), rng.normal(0.05, 0.05, n)), 0, 1)
    return emb, np.stack([inl, spread], axis=1), y


def auc(score, y):
    pos, neg = score[y > 0.5], score[y <= 0.5]
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def test_fit_separates_and_beats_each_score_alone():
    emb, kp, y = constructed()
    model = rr.fit_fusion(emb, kp, y)
    p = model.predict(emb, kp)
    assert p.shape == y.shape and ((p >= 0) & (p <= 1)).all()
    assert auc(p, y) > 0.97
    assert auc(p, y) >= max(auc(emb, y), auc(kp[:, 0], y)) - 1e-9
    assert (model.coef >= 0).all() and model.emb_logit
    # calibrated on its own training mix: mean prediction ~ base rate
    assert abs(p.mean() - y.mean()) < 0.03
    # held-out data from the same distribution
    emb2, kp2, y2 = constructed(seed=1)
    assert auc(model.predict(emb2, kp2), y2) > 0.95


def test_monotone_in_each_score():
    emb, kp, y = constructed()
    model = rr.fit_fusion(emb, kp, y)
    grid = np.linspace(0.01, 0.99, 30)
    base_kp = np.tile([[5.0, 0.1]], (30, 1))
    assert (np.diff(model.predict(grid, base_kp)) >= 0).all()
    inl = np.arange(0, 60, 2, dtype=float)
    assert (np.diff(model.predict(np.full(30, 0.4), np.stack([inl, np.full(30, 0.1)], 1))) >= 0).all()
    spr = np.linspace(0, 1, 30)
    assert (np.diff(model.predict(np.full(30, 0.4), np.stack([np.full(30, 5.0), spr], 1))) >= 0).all()


def test_monotone_even_when_data_say_otherwise():
    # spread anti-correlated with the label: the fit must drop it rather than learn a negative weight
    emb, kp, y = constructed()
    kp = kp.copy()
    kp[:, 1] = np.where(y > 0, 0.05, 0.5)
    model = rr.fit_fusion(emb, kp, y)
    assert (model.coef >= 0).all() and model.coef[2] == 0.0


def test_degenerate_inputs_do_not_crash():
    m = rr.fit_fusion([0.2, 0.3], [[0, 0], [1, 0]], [0, 0])
    assert (m.predict([0.9], [[50, 0.5]]) < 0.5).all()
    m = rr.fit_fusion([], np.zeros((0, 2)), [])
    assert m.predict([0.5], [[3, 0.1]]).shape == (1,)
    # cosine-like scores outside [0, 1]: raw scores, no logit
    emb, kp, y = constructed()
    m = rr.fit_fusion(emb * 2 - 1, kp, y)
    assert not m.emb_logit and auc(m.predict(emb * 2 - 1, kp), y) > 0.97
    with pytest.raises(ValueError):
        rr.fit_fusion([0.1, 0.2], [[1, 0]], [0, 1])


def test_save_load_round_trip():
    emb, kp, y = constructed()
    model = rr.fit_fusion(emb, kp, y)
    model.threshold = 0.37
    d = json.loads(json.dumps(model.to_dict()))
    again = rr.FusionModel.from_dict(d)
    np.testing.assert_allclose(again.predict(emb, kp), model.predict(emb, kp), rtol=1e-12)
    assert again.threshold == 0.37 and again.emb_logit == model.emb_logit
    with pytest.raises(ValueError):
        rr.FusionModel.from_dict({"kind": "other"})


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
    model = rr.fit_fusion(e, k, y)
    assert model.predict([0.5], [[30, 0.3]])[0] > 0.8 > 0.2 > model.predict([0.5], [[2, 0.01]])[0]


def test_rerank_puts_verified_individual_first():
    model = rr.FusionModel(np.array([1.0, 3.0, 0.5]), -2.0, np.zeros(3), np.ones(3))
    verified = {"p_b2": FakeResult(40, 0.4, 0.97)}

    def verify(q, photo):
        return verified.get(photo, FakeResult(1, 0.0, 0.0))

    cands = [("A", 0.6, ["p_a1"]), ("B", 0.5, ["p_b1", "p_b2"]), ("C", 0.4, []), ("D", 0.1, ["p_d"])]
    out = rr.rerank("q", cands, verify, model, top_n=3)
    assert [r.individual for r in out][:2] == ["B", "A"]
    b = out[0]
    assert b.best_photo == 1 and b.inliers == 40 and b.result is verified["p_b2"]
    assert out[-1].individual == "D" and np.isnan(out[-1].fused)  # beyond top_n: not verified
    c = next(r for r in out if r.individual == "C")
    assert c.best_photo is None and c.inliers == 0
    # no model: embedding order kept
    plain = rr.rerank("q", cands, verify, None)
    assert [r.individual for r in plain] == ["A", "B", "C", "D"]
