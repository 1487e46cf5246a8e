"""Re-ranking of embedding candidates by keypoint verification, and the fusion of both scores.

Flow per query (the Matcher supplies the embedding side):
  1. the embedding ranks individuals; the top N (default 20) are kept with their reference photos;
  2. the query crop is verified against each photo (keypoints.py); an individual's keypoint evidence
     is its best photo (most inliers);
  3. a logistic regression on [logit(embedding score), log1p(inliers), spread] turns both into one
     probability "same individual", used for the final top-5 and for the new-individual threshold.

The fusion is fitted on the catalog alone, by leave-one-out: each reference photo plays the query
against the other references (positives: its own individual, negatives: the hardest other
individuals by embedding score). No query labels are ever used. The coefficients are kept
non-negative, so more evidence of either kind can never lower the fused probability.

Plain numpy (IRLS / Newton with an L2 penalty); no Qt, no sklearn. Inputs are arrays and callables so
it plugs into any matcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

FEATURES = ("embedding", "log1p_inliers", "spread")
_EPS = 1e-4


def _as_kp(kp: Any) -> tuple[np.ndarray, np.ndarray]:
    """(inliers, spread) arrays from an (N, 2) array or a sequence of VerifyResult-like objects."""
    if isinstance(kp, np.ndarray) or (isinstance(kp, (list, tuple)) and kp and not hasattr(kp[0], "inliers")):
        a = np.asarray(kp, dtype=np.float64).reshape(-1, 2)
        return a[:, 0], a[:, 1]
    items = list(kp)
    return (
        np.array([float(r.inliers) for r in items], dtype=np.float64),
        np.array([float(r.spread) for r in items], dtype=np.float64),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


@dataclass
class FusionModel:
    """p(same individual) = sigmoid(intercept + coef . standardised([emb', log1p(inliers), spread]))."""

    coef: np.ndarray  # (3,), >= 0 when fitted with monotone=True
    intercept: float
    mean: np.ndarray  # (3,) feature standardisation
    std: np.ndarray  # (3,)
    emb_logit: bool = True  # embedding scores are probabilities in [0, 1] -> use their logit
    threshold: float = 0.5  # fused probability below which the query is called a new individual
    n_pos: int = 0
    n_neg: int = 0
    meta: dict = field(default_factory=dict)

    def features(self, emb: Any, kp: Any) -> np.ndarray:
        return _design(np.asarray(emb, dtype=np.float64).ravel(), *_as_kp(kp), self.emb_logit)

    def decision(self, emb: Any, kp: Any) -> np.ndarray:
        x = (self.features(emb, kp) - self.mean) / self.std
        return self.intercept + x @ self.coef

    def predict(self, emb: Any, kp: Any) -> np.ndarray:
        """Fused probabilities, shape (N,). emb: (N,) embedding scores; kp: (N, 2) [inliers, spread]
        or a sequence of VerifyResult."""
        return _sigmoid(self.decision(emb, kp))

    def to_dict(self) -> dict:
        return {
            "kind": "logistic-fusion-v1",
            "features": list(FEATURES),
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
            "emb_logit": bool(self.emb_logit),
            "threshold": float(self.threshold),
            "n_pos": int(self.n_pos),
            "n_neg": int(self.n_neg),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "FusionModel":
        if d.get("kind") != "logistic-fusion-v1":
            raise ValueError(f"not a fusion model: kind={d.get('kind')!r}")
        return cls(
            coef=np.asarray(d["coef"], dtype=np.float64),
            intercept=float(d["intercept"]),
            mean=np.asarray(d["mean"], dtype=np.float64),
            std=np.asarray(d["std"], dtype=np.float64),
            emb_logit=bool(d.get("emb_logit", True)),
            threshold=float(d.get("threshold", 0.5)),
            n_pos=int(d.get("n_pos", 0)),
            n_neg=int(d.get("n_neg", 0)),
            meta=dict(d.get("meta", {})),
        )


def _design(emb: np.ndarray, inliers: np.ndarray, spread: np.ndarray, emb_logit: bool) -> np.ndarray:
    if emb_logit:
        e = np.clip(emb, _EPS, 1.0 - _EPS)
        e = np.log(e) - np.log1p(-e)
    else:
        e = emb
    return np.stack([e, np.log1p(np.maximum(inliers, 0.0)), np.clip(spread, 0.0, 1.0)], axis=1)


def _irls(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, steps: int = 50) -> tuple[float, np.ndarray]:
    """Weighted L2-penalised logistic regression by Newton steps (intercept not penalised)."""
    n, k = x.shape
    xa = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(k + 1)
    pen = np.full(k + 1, l2)
    pen[0] = 0.0
    for _ in range(steps):
        p = _sigmoid(xa @ beta)
        grad = xa.T @ (w * (p - y)) + pen * beta
        h = (xa * (w * np.maximum(p * (1 - p), 1e-9))[:, None]).T @ xa + np.diag(pen + 1e-9)
        step = np.linalg.solve(h, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return float(beta[0]), beta[1:]


def fit_fusion(
    emb_scores: Any,
    kp_features: Any,
    labels: Any,
    l2: float = 1.0,
    emb_logit: bool | str = "auto",
    monotone: bool = True,
    balance: bool = False,
) -> FusionModel:
    """Fit the fusion on (emb score, [inliers, spread], same-individual label) pairs.

    emb_logit="auto" uses the logit when every embedding score lies in [0, 1] (probabilities), the raw
    score otherwise (e.g. cosine similarities). monotone=True keeps every coefficient >= 0 by dropping
    features whose fitted weight comes out negative and refitting (a tiny sample can otherwise learn
    "more inliers = less likely", which no scientist would accept). balance=True weights the classes
    equally; the default keeps the catalog's own positive/negative mix, which is the prior a query sees.
    """
    emb = np.asarray(emb_scores, dtype=np.float64).ravel()
    inl, spr = _as_kp(kp_features)
    y = np.asarray(labels, dtype=np.float64).ravel()
    if not (len(emb) == len(inl) == len(y)):
        raise ValueError(f"lengths differ: emb {len(emb)}, kp {len(inl)}, labels {len(y)}")
    if emb_logit == "auto":
        emb_logit = bool(len(emb) and emb.min() >= 0.0 and emb.max() <= 1.0)
    x = _design(emb, inl, spr, bool(emb_logit))
    n_pos, n_neg = int((y > 0.5).sum()), int((y <= 0.5).sum())
    mean = x.mean(axis=0) if len(x) else np.zeros(3)
    std = x.std(axis=0) if len(x) else np.ones(3)
    std = np.where(std > 1e-9, std, 1.0)
    xs = (x - mean) / std
    if balance and n_pos and n_neg:
        w = np.where(y > 0.5, len(y) / (2.0 * n_pos), len(y) / (2.0 * n_neg))
    else:
        w = np.ones_like(y)
    coef = np.zeros(3)
    intercept = 0.0
    if n_pos and n_neg:
        active = [j for j in range(3) if np.ptp(x[:, j]) > 1e-12]
        while active:
            b0, b = _irls(xs[:, active], y, w, l2)
            if not monotone or (b >= 0).all():
                coef[:] = 0.0
                coef[active] = b
                intercept = b0
                break
            active = [a for a, bj in zip(active, b) if bj >= 0]
        else:
            intercept = float(np.log((y * w).sum() / ((1 - y) * w).sum()))
    elif len(y):  # one class only: a constant prior, never a crash
        p = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
        intercept = float(np.log(p / (1 - p)))
    return FusionModel(coef, intercept, mean, std, bool(emb_logit), 0.5, n_pos, n_neg, {"l2": l2})


# --------------------------------------------------------------------------- leave-one-out pairs


def reference_pairs(
    ids: Sequence[str],
    emb_matrix: np.ndarray,
    kp_fn: Callable[[int, int], Any],
    n_hard: int = 5,
    max_anchors: int | None = 300,
    seed: int = 0,
    return_anchors: bool = False,
    max_photos: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Training pairs from the references alone, shaped like query time.

    ids: individual of each reference photo; emb_matrix: (R, R) embedding scores between references;
    kp_fn(i, j) -> VerifyResult (or (inliers, spread)) of reference i against reference j.
    Each anchor photo i is a pseudo-query with itself removed: every individual's embedding score is
    its best photo (max), its keypoint evidence its best photo (most inliers). Positive: the anchor's
    own individual (if it has another photo). Negatives: the n_hard other individuals with the highest
    embedding score (the ones re-ranking must beat). Anchors with no sibling photo give negatives only,
    like a query of a new individual.
    max_photos: verify only that many photos of each individual (its best by embedding score).
    Returns (emb (M,), kp (M, 2) [inliers, spread], labels (M,)) and, with return_anchors, the anchor
    photo of each pair (M,) so that per-anchor rankings can calibrate a threshold.
    """
    ids = [str(v) for v in ids]
    s = np.asarray(emb_matrix, dtype=np.float64)
    r = len(ids)
    if s.shape != (r, r):
        raise ValueError(f"emb_matrix must be ({r}, {r}), got {s.shape}")
    by_ind: dict[str, list[int]] = {}
    for i, ind in enumerate(ids):
        by_ind.setdefault(ind, []).append(i)
    anchors = np.arange(r)
    if max_anchors is not None and r > max_anchors:
        # prefer anchors that give a positive; fill with singletons
        rng = np.random.default_rng(seed)
        with_sib = [i for i in anchors if len(by_ind[ids[i]]) > 1]
        single = [i for i in anchors if len(by_ind[ids[i]]) == 1]
        rng.shuffle(with_sib)
        rng.shuffle(single)
        n_sib = min(len(with_sib), max(max_anchors * 3 // 4, max_anchors - len(single)))
        anchors = np.array(sorted(with_sib[:n_sib] + single[: max_anchors - n_sib]))
    emb_out, kp_out, lab_out, anchor_out = [], [], [], []
    for i in anchors.tolist():
        own = ids[i]
        scored = []
        for ind, photos in by_ind.items():
            others = [j for j in photos if j != i]
            if not others:
                continue
            scored.append((max(s[i, j] for j in others), ind, others))
        negs = sorted((t for t in scored if t[1] != own), key=lambda t: -t[0])[:n_hard]
        chosen = [t for t in scored if t[1] == own] + negs
        for emb, ind, others in chosen:
            best = (0.0, 0.0)
            if max_photos is not None:  # as at query time: the individual's photos the embedding ranks highest
                others = sorted(others, key=lambda j: -s[i, j])[:max_photos]
            for j in others:
                res = kp_fn(int(i), int(j))
                inl, spr = (res.inliers, res.spread) if hasattr(res, "inliers") else (res[0], res[1])
                if (inl, spr) > best:
                    best = (float(inl), float(spr))
            emb_out.append(emb)
            kp_out.append(best)
            lab_out.append(1.0 if ind == own else 0.0)
            anchor_out.append(int(i))
    out = (
        np.asarray(emb_out, dtype=np.float64),
        np.asarray(kp_out, dtype=np.float64).reshape(-1, 2),
        np.asarray(lab_out, dtype=np.float64),
    )
    return out + (np.asarray(anchor_out, dtype=np.int64),) if return_anchors else out


# --------------------------------------------------------------------------- query-time re-ranking


@dataclass
class Reranked:
    """One candidate individual after verification. `best_photo` indexes its photo list;
    `result` is the VerifyResult of that photo (matches for drawing), None if it had no photo."""

    individual: str
    emb_score: float
    inliers: int
    spread: float
    kp_score: float
    fused: float
    best_photo: int | None
    result: Any = None


def best_verification(query: Any, photos: Iterable[Any], verify: Callable[[Any, Any], Any]) -> tuple[int | None, Any]:
    """Index and result of the photo with the most inliers (ties: larger spread)."""
    best_i, best_r = None, None
    for k, photo in enumerate(photos):
        res = verify(query, photo)
        if best_r is None or (res.inliers, res.spread) > (best_r.inliers, best_r.spread):
            best_i, best_r = k, res
    return best_i, best_r


def rerank(
    query: Any,
    candidates: Sequence[tuple[str, float, Sequence[Any]]],
    verify: Callable[[Any, Any], Any],
    model: FusionModel | None = None,
    top_n: int = 20,
) -> list[Reranked]:
    """Re-rank (individual, embedding score, photos) candidates, best first.

    query / photos are whatever `verify` takes (Descriptors, or (path, box) with a verify that
    describes them). Only the top_n candidates by embedding score are verified; the rest keep
    their order below them. Without a model the keypoint score breaks ties of the embedding order
    only (so re-ranking is off).
    """
    cands = sorted(candidates, key=lambda c: -float(c[1]))
    head, tail = cands[:top_n], cands[top_n:]
    out: list[Reranked] = []
    for ind, emb, photos in head:
        k, res = best_verification(query, photos, verify)
        inl = int(res.inliers) if res is not None else 0
        spr = float(res.spread) if res is not None else 0.0
        kps = float(res.score) if res is not None else 0.0
        out.append(Reranked(str(ind), float(emb), inl, spr, kps, float("nan"), k, res))
    if model is not None and out:
        fused = model.predict([r.emb_score for r in out], [[r.inliers, r.spread] for r in out])
        for r, p in zip(out, fused):
            r.fused = float(p)
        out.sort(key=lambda r: (-r.fused, -r.inliers, -r.emb_score))  # equal shares: more marks first
    else:
        out.sort(key=lambda r: (-r.emb_score, -r.inliers))
    for ind, emb, _photos in tail:
        out.append(Reranked(str(ind), float(emb), 0, 0.0, 0.0, float("nan"), None, None))
    return out


class KeypointReranker:
    """Glue for the Matcher: a KeypointVerifier plus a FusionModel fitted on the references.

    reranker = KeypointReranker(verifier)
    reranker.fit(ref_items, ref_ids, emb_matrix)          # ref_items: list of (path, box)
    ranked = reranker.rerank((q_path, q_box), [(ind, emb_score, [(path, box), ...]), ...])
    """

    def __init__(self, verifier: Any, model: FusionModel | None = None, top_n: int = 20, n_hard: int = 5):
        self.verifier = verifier
        self.model = model
        self.top_n = int(top_n)
        self.n_hard = int(n_hard)

    def verify_items(self, q: Any, c: Any) -> Any:
        qd = q if hasattr(q, "descriptors") else self.verifier.describe(*q)
        cd = c if hasattr(c, "descriptors") else self.verifier.describe(*c)
        return self.verifier.verify(qd, cd)

    def fit(self, ref_items: Sequence[tuple[Any, Any]], ref_ids: Sequence[str], emb_matrix: np.ndarray, max_anchors: int | None = 300, l2: float = 1.0) -> FusionModel:
        descs = [self.verifier.describe(p, b) for p, b in ref_items]
        emb, kp, y = reference_pairs(
            ref_ids, emb_matrix, lambda i, j: self.verifier.verify(descs[i], descs[j]), self.n_hard, max_anchors
        )
        self.model = fit_fusion(emb, kp, y, l2=l2)
        return self.model

    def rerank(self, query: Any, candidates: Sequence[tuple[str, float, Sequence[Any]]]) -> list[Reranked]:
        q = query if hasattr(query, "descriptors") else self.verifier.describe(*query)
        return rerank(q, candidates, self.verify_items, self.model, self.top_n)
