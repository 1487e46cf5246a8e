"""The "local features alone" mode of eval_real.py: the product's keypoint machinery with the
embedding taken out, the third input the default's fusion must not lose to (issue 10, point 4).

Candidates: the 30 individuals with the most LNBNN votes (core/local_votes.py) over the whole
catalog; each is verified against its first two photos in catalog order (no embedding to choose
them); ranked by verified inliers, then votes. new_whale goes first when the best
candidate's inliers are below the median of the catalog's best impostor inliers (the keypoint side
of the product's impostor rule), else after the candidates that reach it.
"""

from __future__ import annotations

import time

import numpy as np

CANDIDATES = 30
PHOTOS = 2


def rank(split, work) -> tuple[list[list[str]], float]:
    from pathlib import Path

    from whaleid_gui.core.features import ImageItem
    from whaleid_gui.core.keypoints import KeypointVerifier
    from whaleid_gui.core.local_votes import LocalVoteIndex
    from whaleid_gui.core.matching import IndividualIndex

    verifier = KeypointVerifier(cache_dir=Path(work) / "cache" / "keypoints")
    index = IndividualIndex(split.ref_ids)
    refs = [verifier.describe(p) for p in split.ref_paths]
    votes_index = LocalVoteIndex([d.descriptors for d in refs], index.group_of, len(index.names))
    members = [index.order[index.starts[g]:index.starts[g] + index.counts[g]][:PHOTOS] for g in range(len(index.names))]

    def candidates(desc, exclude_group=None):
        votes = votes_index.votes(desc.descriptors)
        if exclude_group is not None:
            votes[exclude_group] = -1
        out = []
        for g in np.argsort(-votes, kind="stable")[:CANDIDATES]:
            if votes[g] <= 0:
                continue
            inliers = max(verifier.verify(desc, refs[m]).inliers for m in members[g])
            out.append((inliers, float(votes[g]), index.names[g]))
        return sorted(out, reverse=True)

    # The threshold: each sampled catalog photo's best inliers against the other individuals.
    rng = np.random.default_rng(0)
    sample = rng.choice(len(refs), min(len(refs), 60), replace=False)
    impostors = [max([c[0] for c in candidates(refs[i], index.group_of[i])] or [0]) for i in sample]
    threshold = float(np.median(impostors))
    start = time.perf_counter()
    predictions = []
    for path in split.query_paths:
        ranked = candidates(verifier.describe(ImageItem(path).path))
        top = [name for _inl, _v, name in ranked[:5]]
        top.insert(sum(1 for inl, _v, _n in ranked[:5] if inl > threshold), "new_whale")
        predictions.append(top[:5])
    return predictions, (time.perf_counter() - start) / max(1, len(split.query_paths))
