"""Re-ranking of embedding candidates by keypoint verification.

Flow per query (the Matcher supplies the embedding side):
  1. the embedding ranks individuals; the top N (default 20) are kept with their reference photos;
  2. the query crop is verified against each photo (keypoints.py); an individual's keypoint evidence
     is its best photo (most inliers);
  3. a score fusion (any object with predict(emb, kp), in the product impostor_fusion.ImpostorFusion:
     the share of the catalog's impostors a candidate beats) turns both into one score, used for the
     final top-5 and for the new-individual threshold.

reference_pairs builds the calibration data from the catalog alone, by leave-one-out: each
reference photo plays the query against the other references (positives: its own individual,
negatives: the hardest other individuals by embedding score). No query labels are ever used.

Plain numpy; no Qt. Inputs are arrays and callables so it plugs into any matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence

import numpy as np


class ScoreFusion(Protocol):
    """What rerank needs of a fusion: fused scores (N,) from embedding scores (N,) and keypoint
    evidence (N, 2) [inliers, spread]; higher is more likely the same individual."""

    def predict(self, emb: Any, kp: Any) -> np.ndarray: ...


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
    model: ScoreFusion | None = None,
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
    """Glue for the Matcher: a KeypointVerifier plus the score fusion the matcher calibrated on the
    references (keypoint_matching.py sets `model`; None ranks by the embedding).

    reranker = KeypointReranker(verifier, model=fusion)
    ranked = reranker.rerank((q_path, q_box), [(ind, emb_score, [(path, box), ...]), ...])
    """

    def __init__(self, verifier: Any, model: ScoreFusion | None = None, top_n: int = 20):
        self.verifier = verifier
        self.model = model
        self.top_n = int(top_n)

    def verify_items(self, q: Any, c: Any) -> Any:
        qd = q if hasattr(q, "descriptors") else self.verifier.describe(*q)
        cd = c if hasattr(c, "descriptors") else self.verifier.describe(*c)
        return self.verifier.verify(qd, cd)

    def rerank(self, query: Any, candidates: Sequence[tuple[str, float, Sequence[Any]]]) -> list[Reranked]:
        q = query if hasattr(query, "descriptors") else self.verifier.describe(*query)
        return rerank(q, candidates, self.verify_items, self.model, self.top_n)
