"""A large catalog's reference features read from disk row by row, not held in memory.

Why (issue 13 point 5): at 1M photos the matcher's float32 feature matrix is 5 GB. When the
embedding index (embedding_index.py) is in use it already keeps every indexed photo's raw feature
in a float16 memory-mapped file; ReferenceRows is the matcher's feature matrix as a view of that
file: indexing it reads only the rows asked for (the prefilter's few hundred candidates, the
calibration's sample) and turns them into scoring features (centred, as Matcher.scoring_features).
Rows that are not in the file (new_whale-labelled or unreadable references, photos confirmed since
the preparation: few) live in a small in-memory block.

Scores read from the float16 copy differ from the float32 ones in the fourth digit; the fins'
rankings do not change (tests/core/test_reference_rows.py). No Qt (core).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

CHUNK_ROWS = 65_536  # rows read at a time when every reference is scored (a calibration): 300 MB at D=1280


class ReferenceRows:
    """(n, D) float32 scoring features: row r is file row `positions[r]` when >= 0, else row
    -1 - positions[r] of `extra` (already scoring features). Immutable: deleted/appended give new ones."""

    def __init__(self, vectors: np.ndarray, positions: np.ndarray,
                 to_scoring: Callable[[np.ndarray], np.ndarray], extra: np.ndarray | None = None):
        self.vectors = vectors  # the index's (count, D) float16 memmap
        self.positions = np.asarray(positions, dtype=np.int64)
        self.to_scoring = to_scoring
        width = int(vectors.shape[1])
        self.extra = np.zeros((0, width), np.float32) if extra is None else np.asarray(extra, np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.positions), int(self.vectors.shape[1]))

    @property
    def ndim(self) -> int:
        return 2

    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, rows) -> np.ndarray:
        """Scoring features of these rows (an int, a slice, a boolean mask or row numbers)."""
        single = np.ndim(rows) == 0 and not isinstance(rows, slice)
        at = np.atleast_1d(self.positions[rows])
        out = np.empty((len(at), self.shape[1]), np.float32)
        on_file = at >= 0
        if on_file.any():
            wanted = at[on_file]
            order = np.argsort(wanted, kind="stable")  # read the file in order (memmap fancy indexing)
            read = np.empty((len(wanted), self.shape[1]), np.float32)
            read[order] = self.vectors[wanted[order]]
            out[on_file] = self.to_scoring(read)
        if not on_file.all():
            out[~on_file] = self.extra[-1 - at[~on_file]]
        return out[0] if single else out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """Every row in memory (what this class avoids; numpy functions given it end up here)."""
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def chunks(self, size: int | None = None) -> Iterator[np.ndarray]:
        size = size or CHUNK_ROWS
        for start in range(0, len(self), size):
            yield self[start:start + size]

    def deleted(self, row: int) -> "ReferenceRows":
        return ReferenceRows(self.vectors, np.delete(self.positions, row), self.to_scoring, self.extra)

    def appended(self, scoring_rows: np.ndarray) -> "ReferenceRows":
        """These rows (scoring features, kept in memory) added at the end."""
        rows = np.asarray(scoring_rows, np.float32).reshape(-1, self.shape[1])
        start = len(self.extra)
        positions = np.concatenate([self.positions, -1 - np.arange(start, start + len(rows), dtype=np.int64)])
        return ReferenceRows(self.vectors, positions, self.to_scoring, np.vstack([self.extra, rows]))


def score_against(score_matrix: Callable[[np.ndarray, np.ndarray], np.ndarray], queries: np.ndarray,
                  references) -> np.ndarray:
    """(q, n) scores of queries against every reference: at once for an in-memory matrix, a chunk
    of rows at a time for ReferenceRows (memory: the scores plus one chunk)."""
    if not isinstance(references, ReferenceRows):
        return score_matrix(queries, references)
    out = np.empty((len(queries), len(references)), np.float32)
    start = 0
    for chunk in references.chunks():
        out[:, start:start + len(chunk)] = score_matrix(queries, chunk)
        start += len(chunk)
    return out


def delete_row(rows, row: int):
    return rows.deleted(row) if isinstance(rows, ReferenceRows) else np.delete(rows, row, axis=0)


def append_rows(rows, new: np.ndarray):
    return rows.appended(new) if isinstance(rows, ReferenceRows) else np.vstack([rows, new])
