"""A prepared matcher that follows its catalog: a confirmed photo joins it, an undone one leaves
it, at the cost of one feature lookup and one keypoint description, not a new preparation.

Why: preparing a keypoint matcher fits the score fusion on thousands of verified reference
pairs (a minute at 1,000 photos on two cores); redoing that after every confirm made the
reviewer wait seconds per photo (issue 15). One photo more or less hardly moves the catalog's
impostor statistics, so what a change costs here is:
- the photo's branch feature (the feature cache has it: it was matched as a query with the same
  box) and its keypoint descriptors (cached too), appended to the matcher's arrays and to the
  local-feature vote index (core/local_votes.py);
- the individuals regrouped (IndividualIndex is rebuilt: O(n log n) over photo labels);
- the embedding side of the calibration updated incrementally: the new photo's best score
  against the other individuals joins the sorted impostor scores (the new-individual threshold
  of the plain matcher follows; the keypoint fusion's saved fit stays until the next full fit).

Copy on write: `grown` returns a new matcher sharing the unchanged parts; the old one stays valid
for a ranking still running on another thread. No Qt (core).
"""

from __future__ import annotations

import copy
from typing import Any, Generator, Sequence

import numpy as np

from .features import FeatureSet, ImageItem, iter_features
from .labels import NEW_WHALE
from .matching import IndividualIndex, Matcher
from .progress import Finished, Progress
from .reference_rows import append_rows, delete_row, score_against
from .threshold import impostor_threshold


def reference_key(item: ImageItem, individual: str) -> tuple:
    """What identifies one reference row of a matcher: photo, box, orientation and individual."""
    return (str(item.path), item.box.key() if item.box is not None else None, int(item.rotation),
            bool(item.flip), str(individual))


def grown(matcher: Matcher, added: Sequence[tuple[ImageItem, str]],
          removed: Sequence[tuple] = ()) -> Generator[Any, None, Matcher]:
    """Job: a copy of a prepared matcher with `added` (item, individual) references joined and
    the `removed` ones (their reference_key) taken out; returns it (the argument is left as it was).

    Raises KeyError when a removed reference is not in the matcher (the caller prepares anew)."""
    if not getattr(matcher, "_ready", False):
        raise ValueError("only a prepared matcher can grow")
    new = copy.copy(matcher)
    new._impostor_file = None  # its impostor scores follow below; the saved ones are the old catalog's
    new.all_items = list(matcher.all_items)
    new.all_ids = list(matcher.all_ids)
    new.items, new.ids, new.paths = list(matcher.items), list(matcher.ids), list(matcher.paths)
    local = getattr(matcher, "local", None)
    new_local = copy.copy(local) if local is not None else None
    slots = list(getattr(matcher, "local_slots", None) or range(len(matcher.items)))
    all_features, valid, features = matcher.all_features, matcher.valid, matcher.features
    # What the embedding index (core/embedding_index.py) follows: catalog rows removed, in turn,
    # then the appended photos' feature-cache keys and raw features.
    removed_rows: list[int] = []
    added_keys: list[str] = []
    added_raw: list[np.ndarray] = []

    for key in removed:
        at = next(i for i, (it, c) in enumerate(zip(new.all_items, new.all_ids)) if reference_key(it, c) == key)
        if bool(valid[at]) and new.all_ids[at] != NEW_WHALE:
            k = _catalog_row(new, at, valid)
            removed_rows.append(k)
            del new.items[k], new.ids[k], new.paths[k]
            features = delete_row(features, k)
            if new_local is not None:
                new_local.remove_photo(slots[k])
            del slots[k]
        del new.all_items[at], new.all_ids[at]
        all_features = delete_row(all_features, at)
        valid = np.delete(valid, at)

    fresh: list[tuple[np.ndarray, str]] = []
    if added:
        feature_set: FeatureSet | None = None
        for event in iter_features(matcher.model, [it for it, _ in added], matcher.cache):
            if isinstance(event, Finished):
                feature_set = event.value
            else:
                yield Progress(event.done, event.total, "features of the new catalog photos")
        assert feature_set is not None
        rows = new.scoring_features(feature_set.features)
        for n, (item, individual) in enumerate(added):
            ok = bool(feature_set.valid[n])
            new.all_items.append(item)
            new.all_ids.append(str(individual))
            all_features = append_rows(all_features, rows[n:n + 1])
            valid = np.append(valid, ok)
            if not ok or individual == NEW_WHALE:
                continue
            new.items.append(item)
            new.ids.append(str(individual))
            new.paths.append(item.path)
            features = append_rows(features, rows[n:n + 1])
            added_keys.append(feature_set.keys[n])
            added_raw.append(feature_set.features[n])
            fresh.append((rows[n], str(individual)))
            if new_local is not None:
                d = matcher.verifier.describe(item.path, item.box, item.flip)  # type: ignore[attr-defined]
                slots.append(new_local.add_photo(d.descriptors, 0))
    new.all_features, new.valid, new.features = all_features, valid, features
    if matcher.prefilter is not None:  # a large catalog's index follows (else every photo is scored)
        raw = np.stack(added_raw) if added_raw else np.zeros((0, features.shape[1]), np.float32)
        new.prefilter = matcher.prefilter.followed(removed_rows, added_keys, raw, new.features)
    new.index = IndividualIndex(new.ids)
    new.errors = {}  # positions of unreadable references moved; they are re-read on a full prepare
    if new_local is not None:
        groups = np.full(len(new_local.photo_group), -1, dtype=np.int64)
        groups[np.asarray(slots, dtype=np.int64)] = new.index.group_of
        new_local.set_groups(groups, len(new.index.names))
        new.local = new_local  # type: ignore[attr-defined]
        new.local_slots = slots  # type: ignore[attr-defined]
    _update_impostors(matcher, new, fresh)
    # how many reference changes this matcher followed since its preparation (status, tests)
    new.followed_changes = getattr(matcher, "followed_changes", 0) + len(added) + len(removed)  # type: ignore[attr-defined]
    yield Progress(1, 1, "catalog updated")
    return new


def _catalog_row(matcher: Matcher, at: int, valid: np.ndarray) -> int:
    """Position in matcher.items of all_items[at] (a valid reference of a known individual)."""
    return sum(1 for i in range(at) if valid[i] and matcher.all_ids[i] != NEW_WHALE)


def _update_impostors(old: Matcher, new: Matcher, fresh: list[tuple[np.ndarray, str]]) -> None:
    """The new photos' best scores against the other individuals join the impostor scores (a
    sample of the catalog's photos, so one more row keeps their meaning)."""
    impostors = old._impostors
    if impostors is None or not fresh:
        return
    scores = score_against(new.model.score_matrix, np.stack([f for f, _ in fresh]), new.features)
    extra = []
    for row, (_f, individual) in zip(scores, fresh):
        best = new.index.best_per_individual(np.asarray(row, dtype=np.float64))
        best[new.index.names.index(individual)] = -np.inf
        if len(best) > 1:
            extra.append(float(best.max()))
    new._impostors = np.sort(np.concatenate([impostors, extra])) if extra else impostors
    reranker = getattr(new, "reranker", None)
    fusion = getattr(reranker, "model", None)
    if fusion is not None:  # the keypoint fusion reads the same embedding impostors
        new.reranker = copy.copy(reranker)  # type: ignore[attr-defined]
        new.reranker.model = type(fusion)(new._impostors, fusion.kp_impostors)  # type: ignore[attr-defined]
    elif new.threshold_setting == "auto" and type(new) is Matcher:
        new.threshold = impostor_threshold(new._impostors)
