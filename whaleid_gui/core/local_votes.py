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

No Qt here (core). Exact search is numpy's (exact_neighbours.py); faiss-cpu is imported for the
inverted-file index of a large catalog.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from .exact_neighbours import ExactNeighbours

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
        self.k = int(k)
        self.n_groups = int(n_groups)
        self._lock = threading.Lock()
        parts = [np.asarray(d, dtype=np.float32) for d in descriptors if len(d)]
        # Each descriptor row remembers its photo, and each photo its individual: a catalog that
        # grows (a confirm adds a photo, a new individual renumbers the groups) or shrinks (an undo)
        # updates these two small arrays, never the index (match_ahead's incremental update).
        owners = [np.full(len(d), i, dtype=np.int64) for i, d in enumerate(descriptors) if len(d)]
        self.owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        self.photo_group = np.asarray(groups, dtype=np.int64).copy()
        self.size = int(sum(len(p) for p in parts))
        dim = parts[0].shape[1] if parts else 128
        self.index: Any
        if self.size <= EXACT_LIMIT:
            self.index = ExactNeighbours(dim)
        else:
            import faiss

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

    @classmethod
    def restored(cls, rows: np.ndarray | None, blob: np.ndarray | None, dim: int, owner: np.ndarray,
                 photo_group: np.ndarray, n_groups: int, k: int = K_NEIGHBOURS) -> "LocalVoteIndex | None":
        """An index read back from a file (vote_index_file.py): the exact index's descriptor rows,
        or an inverted-file index serialised by faiss; None when they do not fit `owner`."""
        self = cls.__new__(cls)
        self.k = int(k)
        self.n_groups = int(n_groups)
        self._lock = threading.Lock()
        if rows is not None:
            self.index = ExactNeighbours(int(dim), rows)
        elif blob is not None:
            import faiss

            self.index = faiss.deserialize_index(np.asarray(blob, dtype=np.uint8))
            if hasattr(self.index, "nprobe"):
                self.index.nprobe = NPROBE
        else:
            return None
        if self.index.ntotal != len(owner) or (len(owner) and int(owner.max()) >= len(photo_group)):
            return None
        self.owner = np.asarray(owner, dtype=np.int64)
        self.photo_group = np.asarray(photo_group, dtype=np.int64).copy()
        self.size = int(self.index.ntotal)
        return self

    def votes(self, query_descriptors: np.ndarray) -> np.ndarray:
        """(n_groups,) LNBNN score of every individual for one query photo's descriptors."""
        out = np.zeros(self.n_groups)
        q = np.asarray(query_descriptors, dtype=np.float32)
        if len(q) == 0 or self.size <= self.k:
            return out
        owner, photo_group = self.owner, self.photo_group  # this copy's catalog (see add_photo)
        with self._lock:  # the index may be shared with a newer copy adding to it
            dist2, nn = self.index.search(q, self.k + 1)
        dist = np.sqrt(np.maximum(dist2, 0.0))
        found = (nn >= 0) & (nn < len(owner))  # rows a newer copy added are not this catalog's
        weight = np.maximum(dist[:, self.k:self.k + 1] - dist[:, :self.k], 0.0)
        weight[~found[:, :self.k]] = 0.0
        weight[~found[:, self.k]] = 0.0  # no normaliser: the descriptor cannot say how distinctive it is
        group = np.where(found[:, :self.k], photo_group[owner[np.clip(nn[:, :self.k], 0, max(len(owner) - 1, 0))]], -1)
        weight[group < 0] = 0.0  # a photo taken out of the catalog (remove_photo) votes for no one
        group = np.maximum(group, 0)
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

    # -- a catalog that changes (one confirm, one undo) without rebuilding the index --------------
    @property
    def labels(self) -> np.ndarray:
        """The individual of every descriptor row (-1: its photo was taken out)."""
        return self.photo_group[self.owner]

    def add_photo(self, descriptors: np.ndarray, group: int) -> int:
        """Append one catalog photo's descriptors; returns its photo number (for remove_photo).

        Copy on write: the arrays are replaced, never changed in place, so a shallow copy.copy()
        taken before (a matcher still ranking the previous catalog in another thread) keeps its
        own catalog; the index (exact or faiss's inverted file) is shared and locked, and the older
        copy ignores the rows added after it."""
        photo = len(self.photo_group)
        self.photo_group = np.append(self.photo_group, np.int64(group))
        d = np.asarray(descriptors, dtype=np.float32)
        if len(d):
            with self._lock:
                if self.index.ntotal != len(self.owner):
                    raise RuntimeError("the vote index grew in another copy; rebuild it")
                self.index.add(d)
            self.owner = np.append(self.owner, np.full(len(d), photo, dtype=np.int64))
            self.size += int(len(d))
        return photo

    def remove_photo(self, photo: int) -> None:
        """Take a photo out: its descriptors stay in the index (they still shape the normaliser of
        their neighbours a little) but vote for no one."""
        groups = self.photo_group.copy()
        groups[photo] = -1
        self.photo_group = groups

    def set_groups(self, photo_group: Sequence[int] | np.ndarray, n_groups: int) -> None:
        """The individual of every photo number after the catalog's individuals were renumbered."""
        groups = np.asarray(photo_group, dtype=np.int64)
        if len(groups) != len(self.photo_group):
            raise ValueError(f"{len(groups)} groups for {len(self.photo_group)} photos")
        self.photo_group = groups.copy()
        self.n_groups = int(n_groups)
