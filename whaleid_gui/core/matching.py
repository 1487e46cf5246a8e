"""Rank catalogued individuals for query photos.

A query's features are scored by the head against every cached reference photo; individuals are
ranked by their best-scoring photo, and `new_whale` is inserted where the score falls below the
new-individual threshold (see threshold.py for how `auto` calibrates it on the references alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ImageError, WhaleIDError
from .embedding_index import Prefilter, model_identity, open_prefilter
from .features import FeatureCache, FeatureSet, ImageItem, iter_features
from .impostor_file import impostor_digest, impostor_file, load_impostors, save_impostors
from .labels import NEW_WHALE
from .progress import Finished, Progress, drive, sub
from .reference_rows import ReferenceRows, score_against
from .threshold import CALIBRATED, IMPOSTOR_QUANTILE, NO_TRUTH_RANK, calibrate_threshold, impostor_threshold

CALIBRATION_PAIR_BUDGET = 4_000_000  # pairs scored for leave-one-out calibration (a few seconds on 2 cores)


def centre_features(features: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Features minus a catalog's mean feature, rescaled to the branch's norm (sqrt(D))."""
    centred = np.asarray(features, dtype=np.float32) - centre
    norms = np.linalg.norm(centred, axis=-1, keepdims=True)
    return (centred / np.maximum(norms, 1e-12) * np.sqrt(centred.shape[-1])).astype(np.float32)


def mean_of_rows(features: np.ndarray, rows: Sequence[int], chunk: int = 65_536) -> np.ndarray:
    """The mean of these rows, summed in float64 a chunk at a time (a float64 copy of every row
    would be 10 GB at 1M photos)."""
    total = np.zeros(features.shape[1], dtype=np.float64)
    for start in range(0, len(rows), chunk):
        total += features[np.asarray(rows[start:start + chunk])].sum(axis=0, dtype=np.float64)
    return (total / len(rows)).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    """One line of a ranking. individual == NEW_WHALE is the new-individual line (score = threshold)."""

    individual: str
    score: float
    rank: int
    image: Path | None = None
    reference_index: int | None = None
    embedding_score: float | None = None  # set when keypoint re-ranking fused the score
    inliers: int | None = None  # verified keypoint matches with the best photo (re-ranking only)

    @property
    def is_new(self) -> bool:
        return self.individual == NEW_WHALE


class IndividualIndex:
    """Reference photos grouped by individual, for a per-individual max of a score row in O(m)."""

    def __init__(self, ids: Sequence[str]):
        labels = np.asarray(ids, dtype=object)
        self.order = np.argsort(labels, kind="stable")
        sorted_ids = labels[self.order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(labels) else np.array([], int)
        self.starts = starts
        self.names = [str(x) for x in sorted_ids[starts]]
        self.counts = np.diff(np.r_[starts, len(labels)])
        self.group_of = np.empty(len(labels), dtype=np.int64)
        self.group_of[self.order] = np.repeat(np.arange(len(starts)), self.counts)

    def best_per_individual(self, scores: np.ndarray) -> np.ndarray:
        """(n_individuals,) best score of each individual for a score row (m,)."""
        return np.maximum.reduceat(scores[self.order], self.starts) if len(self.starts) else np.array([])

    def best_photo(self, scores: np.ndarray, group: int) -> int:
        members = self.order[self.starts[group]:self.starts[group] + self.counts[group]]
        return int(members[np.argmax(scores[members])])


def rank_row(scores: np.ndarray, index: IndividualIndex, threshold: float | None, top: int,
             paths: Sequence[Path] | None = None, exclude_group: int | None = None) -> list[Candidate]:
    best = index.best_per_individual(scores)
    if exclude_group is not None:
        best = best.copy()
        best[exclude_group] = -np.inf
    n_take = min(top, len(best))
    chosen = np.argpartition(-best, n_take - 1)[:n_take] if n_take else np.array([], int)
    chosen = chosen[np.argsort(-best[chosen], kind="stable")]
    lines: list[Candidate] = []
    new_placed = threshold is None
    for group in chosen:
        if not np.isfinite(best[group]):
            continue
        if threshold is not None and not new_placed and best[group] < threshold:
            lines.append(Candidate(NEW_WHALE, float(threshold), len(lines) + 1))
            new_placed = True
        if len(lines) >= top:
            break
        ref = index.best_photo(scores, group)
        lines.append(Candidate(index.names[group], float(best[group]), len(lines) + 1,
                               paths[ref] if paths is not None else None, ref))
    if threshold is not None and not new_placed and len(lines) < top:
        lines.append(Candidate(NEW_WHALE, float(threshold), len(lines) + 1))
    return lines[:top]


class Matcher:
    """Ranks queries against a catalog of reference photos with known individuals.

    threshold: "auto" (the median of the catalog's impostor scores, threshold.py), "loo" (leave-one-
    out calibration on the references), None (never insert new_whale) or a score in [0, 1]. Reference rows whose id is new_whale are not identities: they only serve
    the calibration as photos whose right answer is "new".
    """

    def __init__(self, model, references: Sequence[ImageItem], ids: Sequence[str],
                 threshold: str | float | None = "auto", cache: FeatureCache | None = None, seed: int = 0,
                 index_dir: str | Path | None = None):
        if len(references) != len(ids):
            raise ValueError("references and ids differ in length")
        self.model = model
        self.all_items = list(references)
        self.all_ids = [str(i) for i in ids]
        self.threshold_setting = threshold
        self.threshold: float | None = None if threshold in (None, *CALIBRATED) else float(threshold)
        self.cache = cache
        self.seed = seed
        self.errors: dict[int, ImageError] = {}
        self.calibration: dict = {}
        self.centre: np.ndarray | None = None  # the catalog's mean feature, for models that centre
        self._impostors: np.ndarray | None = None  # impostor_best_scores, once computed
        # where they are saved for this catalog (impostor_file.py): (file, digest); None: not saved
        self._impostor_file: tuple[Path, str] | None = None
        # The saved embedding index (embedding_index.py) that picks the photos a query is scored
        # against in a large catalog; None: score them all (no folder, or a small catalog).
        self.index_dir = index_dir
        self.prefilter: Prefilter | None = None
        # Scoring features of the catalog's photos (features) and of every reference (all_features):
        # in memory, or for a catalog the prefilter indexes, read from its file (reference_rows.py).
        self.features: np.ndarray | ReferenceRows
        self.all_features: np.ndarray | ReferenceRows
        self._ready = False

    # -- preparation -------------------------------------------------------------------------------
    def prepare_job(self):
        """Job: reference features (cached), then calibration. Finished(self)."""
        feature_job = iter_features(self.model, self.all_items, self.cache)
        for event in feature_job:
            if isinstance(event, Finished):
                feature_set: FeatureSet = event.value
                break
            yield Progress(event.done, event.total, "reference features")
        self.errors = dict(feature_set.errors)
        valid = feature_set.valid
        self.valid = valid
        self._impostors = None  # a new catalog
        self._impostor_file = self._impostor_file_for(feature_set)
        keep = [i for i in range(len(self.all_items)) if valid[i] and self.all_ids[i] != NEW_WHALE]
        if getattr(getattr(self.model, "card", None), "centre_on_catalog", False) and keep:
            self.centre = mean_of_rows(feature_set.features, keep)
        self.items = [self.all_items[i] for i in keep]
        self.ids = [self.all_ids[i] for i in keep]
        self.paths = [item.path for item in self.items]
        self.index = IndividualIndex(self.ids)
        if not self.items:
            raise WhaleIDError("the reference catalog has no usable photo of a known individual")
        self.prefilter = None
        if self.index_dir is not None:
            yield Progress(0, 1, "indexing the catalog's embeddings")
            self.prefilter = open_prefilter(self.index_dir, model_identity(self.model, self.centre is not None),
                                            [feature_set.keys[i] for i in keep],
                                            feature_set.features if len(keep) == len(self.all_items)
                                            else feature_set.features[keep],  # no copy of 5 GB at 1M photos
                                            self.centre)
        if self.prefilter is not None:  # a large catalog: its features stay on disk (reference_rows.py)
            self.features, self.all_features = self._rows_on_disk(self.prefilter, feature_set, keep)
            self.prefilter.features = self.features
        else:
            self.all_features = self.scoring_features(feature_set.features)
            self.features = self.all_features[keep]
        if self.threshold_setting in CALIBRATED:
            yield Progress(0, 1, "calibrating the new-individual threshold")
            self.threshold = (self._calibrate(valid) if self.threshold_setting == "loo"
                              else self._calibrate_impostors(valid))
        self._ready = True
        yield Finished(self)

    def _rows_on_disk(self, prefilter: Prefilter, feature_set: FeatureSet,
                      keep: list[int]) -> tuple[ReferenceRows, ReferenceRows]:
        """(features, all_features) read from the index's memory-mapped copy of the raw features;
        the rows it does not hold (new_whale-labelled and unreadable references) kept in memory."""
        index = prefilter.index
        vectors = index.vectors()
        kept = np.zeros(len(self.all_items), dtype=bool)
        kept[keep] = True
        others = np.flatnonzero(~kept)
        positions = np.empty(len(self.all_items), dtype=np.int64)
        positions[keep] = [index.position[feature_set.keys[i]] for i in keep]
        positions[others] = -1 - np.arange(len(others))
        extra = self.scoring_features(feature_set.features[others])
        return (ReferenceRows(vectors, positions[keep], self.scoring_features, extra),
                ReferenceRows(vectors, positions, self.scoring_features, extra))

    def prepare(self, progress: Callable[[Progress], None] | None = None) -> "Matcher":
        return drive(self.prepare_job(), progress)

    def _calibrate_impostors(self, valid: np.ndarray) -> float | None:
        """The score that IMPOSTOR_QUANTILE of the catalog's impostors stay below: each sampled
        catalog photo's best score against the OTHER individuals (and each new_whale-labelled
        reference's best score against all). Needs no repeat photos, so a catalog of singletons
        gets a threshold with the same meaning as any other."""
        best = self.impostor_best_scores(valid)
        threshold = impostor_threshold(best)
        self.calibration = {"rule": "impostors", "impostors": len(best), "quantile": IMPOSTOR_QUANTILE,
                            "threshold": threshold}
        return threshold

    def impostor_best_scores(self, valid: np.ndarray | None = None) -> np.ndarray:
        """Sorted best scores of sampled catalog photos against the other individuals (and of
        new_whale-labelled references against all): how high a photo of no catalogued individual
        scores. Computed once per prepared catalog."""
        if self._impostors is not None:
            return self._impostors
        if self._impostor_file is not None:  # a reopened catalog: the scores of its last opening
            self._impostors = load_impostors(*self._impostor_file)
            if self._impostors is not None:
                return self._impostors
        held, unknown = self._calibration_rows(valid if valid is not None else self.valid)
        best: list[float] = []
        if len(self.index.names) > 1:
            scores = score_against(self.model.score_matrix, self.features[held], self.features)
            for r, i in enumerate(held):
                per_individual = self.index.best_per_individual(scores[r].astype(np.float64))
                per_individual[self.index.group_of[i]] = -np.inf
                best.append(float(per_individual.max()))
        if len(unknown):
            best += [float(v) for v in
                     score_against(self.model.score_matrix, self.all_features[unknown], self.features).max(axis=1)]
        self._impostors = np.sort(np.array(best, dtype=np.float64))
        if self._impostor_file is not None:
            save_impostors(self._impostor_file[0], self._impostor_file[1], self._impostors)
        return self._impostors

    def _impostor_file_for(self, feature_set: FeatureSet) -> tuple[Path, str] | None:
        """The file and digest of this catalog's impostor scores (None without a feature cache)."""
        if self.cache is None:
            return None
        identity = model_identity(self.model, bool(getattr(getattr(self.model, "card", None), "centre_on_catalog", False)))
        keys = [feature_set.keys.get(i) for i in range(len(self.all_items))]
        digest = impostor_digest(identity, keys, self.all_ids, f"seed{self.seed}|budget{CALIBRATION_PAIR_BUDGET}")
        return impostor_file(self.cache.folder, identity), digest

    def _calibration_rows(self, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(catalog rows, new_whale-labelled rows of all_items) that a calibration scores against
        the catalog: all of them, or a sample of both kinds in proportion that keeps the cost
        within CALIBRATION_PAIR_BUDGET scored pairs."""
        rng = np.random.default_rng(self.seed)
        unknown = np.array([i for i in range(len(self.all_items)) if valid[i] and self.all_ids[i] == NEW_WHALE], int)
        held = np.arange(len(self.items))
        budget_rows = max(50, CALIBRATION_PAIR_BUDGET // max(1, len(self.items)))
        if len(held) + len(unknown) > budget_rows:
            n_known = max(1, int(budget_rows * len(held) / (len(held) + len(unknown))))
            held = np.sort(rng.choice(held, size=min(len(held), n_known), replace=False))
            unknown = np.sort(rng.choice(unknown, size=min(len(unknown), budget_rows - len(held)), replace=False))
        return held, unknown

    def _calibrate(self, valid: np.ndarray) -> float | None:
        held, unknown = self._calibration_rows(valid)
        rows = np.concatenate([self.features[held], self.all_features[unknown]]) if len(unknown) else self.features[held]
        scores = score_against(self.model.score_matrix, rows, self.features)
        top_scores = np.full((len(rows), 5), -np.inf)
        truth_rank = np.full(len(rows), NO_TRUTH_RANK)
        truth_new = np.zeros(len(rows), dtype=bool)
        for r in range(len(rows)):
            row = scores[r].astype(np.float64)
            if r < len(held):
                i = held[r]
                row[i] = -np.inf  # leave this photo out
                group = self.index.group_of[i]
                truth_new[r] = self.index.counts[group] == 1
            else:
                group = None
                truth_new[r] = True
            best = self.index.best_per_individual(row)
            if group is not None and truth_new[r]:
                best[group] = -np.inf  # its individual has no other photo: not in the catalog
            order = np.argsort(-best, kind="stable")[:5]
            top_scores[r, :len(order)] = best[order]
            if group is not None and not truth_new[r]:
                better = int((best > best[group]).sum())
                truth_rank[r] = better + 1 if better < 5 else NO_TRUTH_RANK
        threshold = calibrate_threshold(top_scores, truth_rank, truth_new)
        self.calibration = {"held_out": int(len(rows)), "new_truths": int(truth_new.sum()),
                            "threshold": threshold}
        return threshold

    # -- ranking -----------------------------------------------------------------------------------
    def scoring_features(self, features: np.ndarray) -> np.ndarray:
        """The features the head compares: as the network gives them, or, for a model whose card
        says centre_on_catalog, minus the catalog's mean and rescaled to the branch's norm."""
        return features if self.centre is None else centre_features(features, self.centre)

    def score_rows(self, query_features: np.ndarray) -> np.ndarray:
        """(q, m) head scores of queries against every reference photo; with a prefilter, only the
        photos it picks are scored and the others are -inf (ranked after every scored photo)."""
        if not self._ready:
            self.prepare()
        queries = self.scoring_features(np.atleast_2d(query_features))
        prefilter = self.prefilter
        if prefilter is None or prefilter.features is not self.features:  # none, or not this catalog's
            return score_against(self.model.score_matrix, queries, self.features)
        out = np.full((len(queries), len(self.features)), -np.inf, dtype=np.float32)
        for r, raw in enumerate(np.atleast_2d(query_features)):
            rows = prefilter.rows(raw)
            out[r, rows] = self.model.score_matrix(queries[r:r + 1], self.features[rows])[0]
        return out

    def rank_scores(self, row: np.ndarray, top: int = 5) -> list[Candidate]:
        """Ranking of one query's score row (the hook a re-ranking stage overrides)."""
        return rank_row(row, self.index, self.threshold, top, self.paths)

    def rank_job(self, queries: Sequence[ImageItem], top: int = 5):
        """Job: Finished(list of rankings; an ImageError in place of a query that could not be read)."""
        if not self._ready:
            yield from sub(self.prepare_job())
        feature_set: FeatureSet | None = None
        for event in iter_features(self.model, list(queries), self.cache):
            if isinstance(event, Finished):
                feature_set = event.value
            else:
                yield Progress(event.done, event.total, "query features")
        if feature_set is None:
            raise RuntimeError("the query feature job ended without its result")
        valid = feature_set.valid
        results: list = [feature_set.errors.get(i) for i in range(len(queries))]
        good = np.flatnonzero(valid)
        if good.size:
            rows = self.score_rows(feature_set.features[good])
            for n, (i, row) in enumerate(zip(good, rows)):
                results[i] = self.rank_query(queries[int(i)], row, top)
                yield Progress(n + 1, len(good), "ranking")
        yield Finished(results)

    def rank_query(self, query: ImageItem, row: np.ndarray, top: int) -> list[Candidate]:
        return self.rank_scores(row, top)

    def rank_many(self, queries: Sequence[ImageItem], top: int = 5,
                  progress: Callable[[Progress], None] | None = None) -> list:
        return drive(self.rank_job(queries, top), progress)

    def rank(self, query: ImageItem, top: int = 5) -> list[Candidate]:
        result = self.rank_many([query], top)[0]
        if isinstance(result, ImageError):
            raise result
        return result
