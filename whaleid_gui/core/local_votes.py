"""Local features as a matcher of their own: every catalog descriptor in one nearest-neighbour
index, and each query descriptor votes for the individuals of its nearest neighbours (LNBNN, the
scoring of HotSpotter, Crall et al. 2013).

Why: the embedding sees the whole photo; a match it ranks 200th (another pose, another light)
can still share a dozen distinctive marks. The votes find such candidates anywhere in the catalog
so that keypoint verification (keypoints.py) can check them, instead of only re-checking the
embedding's own top 20.

A vote weighs how distinctive the match is: the distance to the (k+1)-th neighbour (what an
unremarkable descriptor reaches anyway) minus the distance to the voting neighbour; an individual
takes at most one vote per query descriptor (its best).

No Qt here (core). faiss-cpu is imported when an index is built.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

K_NEIGHBOURS = 5
# Exact search up to this many catalog descriptors (about 600 per photo: ~500 photos); beyond it
# an inverted-file index of 8-bit vectors (about 4 * sqrt(n) lists, NPROBE searched) keeps a query
# near 100 ms and the index near 75 KB per photo.
EXACT_LIMIT = 300_000
NPROBE = 16
TRAIN_SAMPLE = 100_000


class LocalVoteIndex:
    """descriptors[i]: (n_i, d) unit rows of catalog photo i; groups[i]: its individual (0..n_groups-1)."""

    def __init__(self, descriptors: Sequence[np.ndarray], groups: Sequence[int] | np.ndarray, n_groups: int,
                 k: int = K_NEIGHBOURS, seed: int = 0):
        import faiss

        self.k = int(k)
        self.n_groups = int(n_groups)
        parts = [np.asarray(d, dtype=np.float32) for d in descriptors if len(d)]
        labels = [np.full(len(d), g, dtype=np.int64) for d, g in zip(descriptors, groups) if len(d)]
        self.size = int(sum(len(p) for p in parts))
        self.labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
        dim = parts[0].shape[1] if parts else 128
        self.index: faiss.Index
        if self.size <= EXACT_LIMIT:
            self.index = faiss.IndexFlatL2(dim)
        else:
            lists = int(4 * np.sqrt(self.size))
            # 8-bit scalar-quantised vectors: a quarter of float32's memory (about 75 KB per photo)
            inverted = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatL2(dim), dim, lists,
                                                     faiss.ScalarQuantizer.QT_8bit)
            every = np.concatenate(parts)
            rng = np.random.default_rng(seed)
            sample = every[rng.choice(len(every), min(len(every), max(TRAIN_SAMPLE, 40 * lists)), replace=False)]
            inverted.train(sample)
            inverted.nprobe = NPROBE
            self.index = inverted
        for part in parts:
            self.index.add(part)

    def votes(self, query_descriptors: np.ndarray) -> np.ndarray:
        """(n_groups,) LNBNN score of every individual for one query photo's descriptors."""
        out = np.zeros(self.n_groups)
        q = np.asarray(query_descriptors, dtype=np.float32)
        if len(q) == 0 or self.size <= self.k:
            return out
        dist2, nn = self.index.search(q, self.k + 1)
        dist = np.sqrt(np.maximum(dist2, 0.0))
        found = nn >= 0
        weight = np.maximum(dist[:, self.k:self.k + 1] - dist[:, :self.k], 0.0)
        weight[~found[:, :self.k]] = 0.0
        weight[~found[:, self.k]] = 0.0  # no normaliser: the descriptor cannot say how distinctive it is
        group = np.where(found[:, :self.k], self.labels[np.maximum(nn[:, :self.k], 0)], 0)
        # One vote per individual per query descriptor (its best neighbour): the k neighbours of a
        # descriptor sorted by (descriptor, individual, weight descending), keep the first of each
        # pair. Sparse, so memory stays (descriptors x k) however many individuals the catalog holds.
        rows = np.repeat(np.arange(len(q)), self.k)
        groups, weights = group.ravel(), weight.ravel()
        order = np.lexsort((-weights, groups, rows))
        rows, groups, weights = rows[order], groups[order], weights[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (groups[1:] != groups[:-1])
        np.add.at(out, groups[first], weights[first])
        return out
