"""Exact nearest neighbours (squared L2) of descriptor rows by one matrix product per block: the
vote index's exact search (local_votes.py), with faiss.IndexFlatL2's interface (d, ntotal, add,
search).

Why not faiss's flat index: on the AVX2 machine of issue 15, faiss-cpu 1.15's IndexFlatL2 searched
180 query descriptors against 180,000 catalog rows in 0.66-0.84 s (about 10 GFLOP/s, by BLAS or
by its own kernels alike), while numpy's matrix product of the same sizes takes 0.2 s. The search
was the largest part of every keypoint query (benchmarks/RESULTS_gui.md). The same neighbours and
distances (up to float32 rounding); rows at exactly the k-th distance (duplicate descriptors) are
picked among arbitrarily, as faiss does.

No Qt (core); numpy, and torch for the k smallest of each row (_smallest).
"""

from __future__ import annotations

import numpy as np

BLOCK_ROWS = 32_768  # catalog rows per product: the (queries x block) distances stay bounded (24 MB at 180 queries)


def _smallest(d2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k smallest values and their columns, in no order. torch.topk, not
    np.argpartition: on the AMD machine of issue 15 argpartition took 0.45 s of a 1,000-photo
    keypoint query's 0.88 s (61 ms for 200 x 32,768, against 18 ms for topk on one thread;
    benchmarks/RESULTS_gui.md). Imported here, not at the top: torch is in the process that
    searches (the engine's) and stays out of any other that imports this module."""
    import torch

    values, columns = torch.topk(torch.from_numpy(d2), k, dim=1, largest=False, sorted=False)
    return values.numpy(), columns.numpy()


class ExactNeighbours:
    """Rows of dimension d, appended with add; search returns (squared distances, row numbers) of
    each query's k nearest rows, nearest first; -1 and inf where there are fewer than k rows."""

    def __init__(self, d: int, rows: np.ndarray | None = None) -> None:
        self.d = int(d)
        # rows read back from a file are converted once, straight into the buffer (no second copy)
        self._rows = np.array(rows if rows is not None else np.zeros((0, self.d)), dtype=np.float32, order="C")
        self._rows = self._rows.reshape(-1, self.d)
        self._norms = np.einsum("ij,ij->i", self._rows, self._rows)
        self.ntotal = len(self._rows)

    def add(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float32).reshape(-1, self.d)
        need = self.ntotal + len(rows)
        if need > len(self._rows):  # grown by a quarter: a confirm adds one photo's rows, not a copy of all
            capacity = max(need, int(1.25 * len(self._rows)), 1024)
            grown = np.empty((capacity, self.d), np.float32)
            grown[:self.ntotal] = self._rows[:self.ntotal]
            norms = np.empty(capacity, np.float32)
            norms[:self.ntotal] = self._norms[:self.ntotal]
            self._rows, self._norms = grown, norms
        self._rows[self.ntotal:need] = rows
        self._norms[self.ntotal:need] = np.einsum("ij,ij->i", rows, rows)
        self.ntotal = need

    def rows(self) -> np.ndarray:
        """A copy of the rows added so far (what the index file saves)."""
        return self._rows[:self.ntotal].copy()

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.d)
        k = int(k)
        dist = np.full((len(q), k), np.inf, np.float32)
        found = np.full((len(q), k), -1, np.int64)
        if len(q) == 0 or self.ntotal == 0 or k <= 0:
            return dist, found
        q_norms = np.einsum("ij,ij->i", q, q)[:, None]
        best_d: list[np.ndarray] = []
        best_i: list[np.ndarray] = []
        for start in range(0, self.ntotal, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, self.ntotal)
            d2 = q @ self._rows[start:stop].T
            d2 *= -2.0
            d2 += self._norms[start:stop][None, :]
            d2 += q_norms
            take = min(k, stop - start)
            if take < stop - start:
                near_d, part = _smallest(d2, take)
            else:
                part = np.broadcast_to(np.arange(stop - start), (len(q), stop - start))
                near_d = d2
            best_d.append(near_d)
            best_i.append(part + start)
        cand_d, cand_i = np.concatenate(best_d, axis=1), np.concatenate(best_i, axis=1)
        order = np.lexsort((cand_i, cand_d), axis=1)[:, :k]  # nearest first (among the blocks' picks: row order on ties)
        n = order.shape[1]
        dist[:, :n] = np.maximum(np.take_along_axis(cand_d, order, axis=1), 0.0)
        found[:, :n] = np.take_along_axis(cand_i, order, axis=1)
        return dist, found
