"""Matching with keypoint re-ranking: the embedding ranks individuals, the top N are verified by local
features (keypoints.py), and the fusion of both on the scale of the catalog's own impostors
(impostor_fusion.py) gives the final score, used for the top-5 and for the new-individual decision.
The individuals that the catalog-wide keypoint votes (local_votes.py) find are verified too."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .labels import NEW_WHALE
from .matching import Candidate, Matcher
from .progress import Finished, Progress, sub
from .local_votes import K_NEIGHBOURS, LocalVoteIndex
from .edge_evidence import EDGE_CANDIDATES, EdgeEvidence
from .impostor_fusion import MIN_INLIERS, ImpostorFusion
from .rerank import KeypointReranker, reference_pairs, rerank
from .threshold import CALIBRATED, NO_TRUTH_RANK, calibrate_threshold, impostor_threshold

FUSION_MAX_REFERENCES = 3000  # the fusion is fitted on at most this many references (R x R scores)
# Individuals the local-feature votes (local_votes.py) add to the embedding's top_n for verification:
# a match the embedding ranks far down can still reach the top 5.
LOCAL_CANDIDATES = 10
# Photos verified per candidate individual (its best by embedding score): a verification costs
# 15-35 ms on 2 cores, and an individual with 30 photos must not cost a second.
VERIFIED_PHOTOS = 2


def best_impostor_per_anchor(values: np.ndarray, labels: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """For each anchor photo with impostor pairs (label 0), the highest value among them."""
    negatives = labels == 0
    return np.array([values[negatives & (anchors == a)].max() for a in np.unique(anchors[negatives])],
                    dtype=np.float64)


class KeypointRerankMatcher(Matcher):
    def __init__(self, *args, keypoint_cache_dir: str | Path | None = None, top_n: int = 20,
                 local_candidates: int = LOCAL_CANDIDATES, edges: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from .keypoints import KeypointVerifier

        self.verifier = KeypointVerifier(cache_dir=keypoint_cache_dir)
        self.reranker = KeypointReranker(self.verifier, top_n=top_n)
        self.top_n = top_n
        self.local_candidates = local_candidates
        self.local: LocalVoteIndex | None = None
        # photo number in `local` of each catalog photo (items), when they differ (a vote index
        # read from its file: vote_index_file.py); None: photo i is number i
        self.local_slots: list[int] | None = None
        self.fusion_threshold: float | None = None
        self.note = ""  # why re-ranking is off, when it had to be (shown to the user)
        # A fit saved from an earlier prepare of (nearly) this catalog: (keypoint impostor inliers,
        # fused threshold). Set before prepare_job to skip the fit (thousands of verifications,
        # a minute at 1,000 photos); application/fusion_fit_cache.py saves and loads it.
        self.preset_fit: tuple[np.ndarray, float | None] | None = None
        # The fins' trailing edge as a third voter (the "fin edges" profile; None: off)
        self.edge_evidence = EdgeEvidence(keypoint_cache_dir) if edges else None

    def prepare_job(self):
        yield from sub(super().prepare_job())
        rng = np.random.default_rng(self.seed)
        subset = np.arange(len(self.items))
        if len(subset) > FUSION_MAX_REFERENCES:
            subset = np.sort(rng.choice(subset, FUSION_MAX_REFERENCES, replace=False))
        # Every photo's descriptors are read only when the fit needs them (no saved fit) or the
        # vote index has no usable file: reading 1,000 cache files took 3.3 s of a reopening.
        every: list | None = None
        if self.preset_fit is None:
            every = yield from self._describe_all()
        if self.local_candidates:
            try:
                every = yield from self._vote_index(every)
            except ImportError:  # no faiss wheel for this platform: verify the embedding's top_n only
                self.local = None
                self.note = "keypoint votes off: faiss-cpu is not installed"
        if self.edge_evidence is not None:  # its scale is measured anew: seconds (edges cached on disk)
            yield from self.edge_evidence.describe_job(self.items)
            yield from self.edge_evidence.fit_job(self.items, self.ids, rng)
        if self.preset_fit is not None:  # the embedding's impostors are fresh (cheap), the rest saved
            kp_impostors, fused_threshold = self.preset_fit
            self.reranker.model = ImpostorFusion(self.impostor_best_scores(), kp_impostors)
            self.fusion_threshold = self.threshold = self._preset_threshold(fused_threshold)
            yield Finished(self)
            return
        assert every is not None
        descriptors = [every[i] for i in subset]
        ids = [self.ids[i] for i in subset]
        emb = self.model.score_matrix(self.features[subset], self.features[subset])
        yield Progress(0, 1, "fitting the score fusion")
        e, kp, labels, anchors = reference_pairs(
            ids, emb, lambda i, j: self.verifier.verify(descriptors[i], descriptors[j]), return_anchors=True,
            max_photos=VERIFIED_PHOTOS)
        if not (labels == 0).any():
            # No impostor pair to calibrate against: rank by the embedding alone rather than fail.
            self.note = "keypoint re-ranking off: the catalog needs at least two individuals to calibrate it"
            self.reranker.model = None
            yield Finished(self)
            return
        # Each anchor's best impostor inlier count: the same "best impostor" as the embedding side.
        self.reranker.model = ImpostorFusion(self.impostor_best_scores(),
                                             best_impostor_per_anchor(kp[:, 0], labels, anchors))
        fused = self.reranker.model.predict(e, kp)
        if self.edge_evidence is not None and self.threshold_setting == "auto":
            self.fusion_threshold = yield from self._threshold_with_edges(fused, labels, anchors, subset)
        else:
            self.fusion_threshold = self._calibrate_fused(fused, labels, anchors)
        self.threshold = self.fusion_threshold
        yield Finished(self)

    def _describe_all(self):
        every = []
        for n, item in enumerate(self.items):
            every.append(self.verifier.describe(item.path, item.box, item.flip))
            if n % 8 == 0 or n + 1 == len(self.items):
                yield Progress(n + 1, len(self.items), "reference keypoints")
        return every

    def _vote_index(self, every: list | None):
        """Job: the catalog's vote index (self.local, its photo numbers in self.local_slots), read
        from its file beside the keypoint cache when that still fits the catalog (the photos it
        lacks described and added), else built and saved; returns `every` (read if it was built)."""
        from .vote_index_file import FILE_NAME, load_vote_index, save_vote_index

        yield Progress(0, 1, "indexing the catalog's keypoints")
        groups, n_groups = self.index.group_of, len(self.index.names)
        folder = self.verifier.cache_dir
        keys = [self.verifier.photo_key(it.path, it.box, it.flip) for it in self.items] if folder else []
        loaded = None
        if folder is not None and every is None:
            loaded = load_vote_index(folder / FILE_NAME, keys, groups, n_groups, K_NEIGHBOURS)
        if loaded is not None:
            self.local, slots, file_keys = loaded
            added = [i for i, s in enumerate(slots) if s is None]
            for i in added:
                d = self.verifier.describe(self.items[i].path, self.items[i].box, self.items[i].flip)
                slots[i] = self.local.add_photo(d.descriptors, int(groups[i]))
            self.local_slots = [int(s) for s in slots if s is not None]
            if added and folder is not None:  # the file follows the catalog (its photos gone stay in it, counted as changes)
                save_vote_index(folder / FILE_NAME, self.local, file_keys + [keys[i] for i in added])
            return every
        if every is None:
            every = yield from self._describe_all()
        self.local = LocalVoteIndex([d.descriptors for d in every], groups, n_groups, k=K_NEIGHBOURS)
        self.local_slots = None
        if folder is not None:
            save_vote_index(folder / FILE_NAME, self.local, keys)
        return every

    def _preset_threshold(self, saved: float | None) -> float | None:
        if self.threshold_setting is None:
            return None
        return saved if self.threshold_setting in CALIBRATED else float(self.threshold_setting)

    def fit_state(self) -> tuple[np.ndarray, float | None] | None:
        """What preset_fit takes (None: re-ranking is off for this catalog, nothing to save)."""
        fusion = self.reranker.model
        if not isinstance(fusion, ImpostorFusion):
            return None
        return np.asarray(fusion.kp_impostors), self.fusion_threshold

    def _threshold_with_edges(self, fused: np.ndarray, labels: np.ndarray, anchors: np.ndarray, subset: np.ndarray):
        """Job: the impostor threshold where each anchor's best impostor is also its best edge
        impostor against the whole catalog (a query's edge is compared with every photo, not the
        five individuals the embedding ranks closest)."""
        assert self.edge_evidence is not None
        with_impostors = np.unique(anchors[labels == 0])
        edge = yield from self.edge_evidence.anchor_shares_job(self.items, self.ids, subset[with_impostors])
        return impostor_threshold(np.maximum(best_impostor_per_anchor(fused, labels, anchors), edge))

    def _calibrate_fused(self, fused: np.ndarray, labels: np.ndarray, anchors: np.ndarray) -> float | None:
        if self.threshold_setting is None:
            return None
        if self.threshold_setting not in CALIBRATED:
            return float(self.threshold_setting)  # a given number is read on the fused scale
        groups = np.unique(anchors)
        if self.threshold_setting == "auto":  # each anchor's best fused score against other individuals
            return impostor_threshold(best_impostor_per_anchor(fused, labels, anchors))
        top = np.full((len(groups), 5), -np.inf)
        truth_rank = np.full(len(groups), NO_TRUTH_RANK)
        truth_new = np.ones(len(groups), dtype=bool)
        for g, a in enumerate(groups):
            mine = np.flatnonzero(anchors == a)
            order = mine[np.argsort(-fused[mine], kind="stable")]
            top[g, :min(5, len(order))] = fused[order[:5]]
            positive = np.flatnonzero(labels[order] == 1)
            if positive.size:
                truth_new[g] = False
                truth_rank[g] = positive[0] + 1 if positive[0] < 5 else NO_TRUTH_RANK
        return calibrate_threshold(top, truth_rank, truth_new)

    def rank_query(self, query, row: np.ndarray, top: int) -> list[Candidate]:
        if self.reranker.model is None:
            return super().rank_query(query, row, top)
        best = self.index.best_per_individual(row)
        order = list(np.argsort(-best, kind="stable")[: self.top_n])
        q = self.verifier.describe(query.path, query.box, query.flip)
        if self.local is not None:
            votes = self.local.votes(q.descriptors)
            chosen = set(order)
            order += [g for g in np.argsort(-votes, kind="stable")[: self.local_candidates]
                      if votes[g] > 0 and g not in chosen]
        edge_share = None
        if self.edge_evidence is not None:
            edge_share, edge_photo = self.edge_evidence.shares(query, self.items, self.index.group_of,
                                                               len(self.index.names))
            chosen = set(order)
            order += [g for g in np.argsort(-edge_share, kind="stable")[:EDGE_CANDIDATES]
                      if edge_share[g] > 0 and g not in chosen]
        candidates = []
        for group in order:
            members = self.index.order[self.index.starts[group]:self.index.starts[group] + self.index.counts[group]]
            members = members[np.argsort(-row[members], kind="stable")[:VERIFIED_PHOTOS]]
            candidates.append((self.index.names[group], float(best[group]),
                               [(self.items[m].path, self.items[m].box, self.items[m].flip) for m in members], members))
        # Every candidate is verified, those the votes brought in too (not only the embedding's top_n).
        ranked = rerank(q, [c[:3] for c in candidates], self.reranker.verify_items, self.reranker.model,
                        top_n=len(candidates))
        members_of = {c[0]: c[3] for c in candidates}
        shown_by_edge: dict[str, int] = {}  # candidates whose edge decided their score: that photo is shown
        if edge_share is not None:  # the larger share, as the fusion does for the other two
            share_of = {c[0]: (float(edge_share[g]), int(edge_photo[g])) for c, g in zip(candidates, order)}
            for r in ranked:
                share, photo = share_of[r.individual]
                if share > r.fused and photo >= 0 and r.inliers < MIN_INLIERS:
                    shown_by_edge[r.individual] = photo
                r.fused = max(r.fused, share)
            ranked.sort(key=lambda r: (-r.fused, -r.inliers, -r.emb_score))
        lines: list[Candidate] = []
        threshold = self.threshold
        new_placed = threshold is None
        for r in ranked:
            score = r.fused if np.isfinite(r.fused) else r.emb_score
            if threshold is not None and not new_placed and score < threshold:
                lines.append(Candidate(NEW_WHALE, float(threshold), len(lines) + 1))
                new_placed = True
            if len(lines) >= top:
                break
            members = members_of[r.individual]
            ref = int(members[r.best_photo]) if r.best_photo is not None else int(members[np.argmax(row[members])])
            inliers = r.inliers
            if r.individual in shown_by_edge:  # its edge, not its marks, placed it: show that fin,
                ref = shown_by_edge[r.individual]  # and its own keypoint count (the card says "shown photo")
                item = self.items[ref]
                inliers = int(self.reranker.verify_items(q, (item.path, item.box, item.flip)).inliers)
            lines.append(Candidate(r.individual, float(score), len(lines) + 1, self.paths[ref], ref,
                                   embedding_score=r.emb_score, inliers=inliers))
        if threshold is not None and not new_placed and len(lines) < top:
            lines.append(Candidate(NEW_WHALE, float(threshold), len(lines) + 1))
        return lines[:top]
