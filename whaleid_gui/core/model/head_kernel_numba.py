"""The pair head's score kernel compiled by numba (head_kernel.py explains the arithmetic).

A module of its own so that numba is imported only when a head that is not a plain feature distance
needs it: importing numba and loading its compiled kernel took about a second of the first
candidates at a project's opening (issue 15), and the default zero-shot model never needs it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

COLUMN_BLOCK = 1024  # columns per task: small enough to stay in cache, large enough to vectorise


@njit(parallel=True, fastmath=True, cache=True, nogil=True)  # nogil: the GUI thread keeps running
def logits_numba(a, bt, w1, b1, w2, u, const):  # pragma: no cover - compiled
    n, d = a.shape
    m = bt.shape[1]
    hidden = w1.shape[0]
    out = np.empty((n, m), dtype=np.float32)
    n_col_blocks = (m + COLUMN_BLOCK - 1) // COLUMN_BLOCK
    for task in prange(n * n_col_blocks):
        i = task // n_col_blocks
        j0 = (task % n_col_blocks) * COLUMN_BLOCK
        j1 = min(j0 + COLUMN_BLOCK, m)
        width = j1 - j0
        acc = np.full(width, const, dtype=np.float32)
        ys = np.empty(width, dtype=np.float32)
        absdiff = np.empty(width, dtype=np.float32)
        sqdiff = np.empty(width, dtype=np.float32)
        for f in range(d):
            x = a[i, f]
            uf = u[f]
            for j in range(width):
                y = bt[f, j0 + j]
                ys[j] = y
                diff = x - y
                absdiff[j] = abs(diff)
                sqdiff[j] = diff * diff
            for k in range(hidden):
                coef_y = w1[k, 0] * x + w1[k, 1]
                coef_abs = w1[k, 2]
                coef_sq = w1[k, 3]
                bias = w1[k, 1] * x + b1[k]
                weight = uf * w2[k]
                if weight == 0.0:
                    continue
                for j in range(width):
                    pre = coef_y * ys[j] + coef_abs * absdiff[j] + coef_sq * sqdiff[j] + bias
                    acc[j] += weight * max(pre, np.float32(0.0))
        out[i, j0:j1] = acc
    return out
