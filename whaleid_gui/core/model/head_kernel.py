"""Score matrix of the pair head between two feature sets, without building the (pairs, D, 32)
intermediate that plain broadcasting needs (~50 us per pair here).

The logit of a pair is const + sum_j u_j * sum_k w2_k * relu(W1_k . [x*y, x+y, |x-y|, (x-y)^2] + b1_k)
with x = a_j fixed while y runs over the other set, so the pre-activation is
(W1_k0*x + W1_k1) * y + W1_k2*|x-y| + W1_k3*(x-y)^2 + (W1_k1*x + b1_k): three fused multiply-adds per
(pair, feature, hidden unit), vectorised across the pairs of one row. numba compiles it on first use
(cached on disk), so users need no compiler.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency; keep a slow path for odd platforms
    HAVE_NUMBA = False

COLUMN_BLOCK = 1024  # columns per task: small enough to stay in cache, large enough to vectorise


def _logits_python(a, bt, w1, b1, w2, u, const):
    """Reference implementation in numpy (also the fallback without numba)."""
    n, d = a.shape
    m = bt.shape[1]
    out = np.full((n, m), const, dtype=np.float32)
    for i in range(n):
        for f in range(d):
            x = a[i, f]
            y = bt[f]
            diff = x - y
            pre = (np.outer(w1[:, 0] * x + w1[:, 1], y) + np.outer(w1[:, 2], np.abs(diff))
                   + np.outer(w1[:, 3], diff * diff) + (w1[:, 1] * x + b1)[:, None])
            out[i] += u[f] * (w2 @ np.maximum(pre, 0.0))
    return out


if HAVE_NUMBA:

    @njit(parallel=True, fastmath=True, cache=True, nogil=True)  # nogil: the GUI thread keeps running
    def _logits_numba(a, bt, w1, b1, w2, u, const):  # pragma: no cover - compiled
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


def pair_logits(a: np.ndarray, b: np.ndarray, weights: dict, block_rows: int = 256, progress=None) -> np.ndarray:
    """Logits (len(a), len(b)) of the head for every pair; rows in blocks so progress can be reported."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    bt = np.ascontiguousarray(np.asarray(b, dtype=np.float32).T)
    args = (weights["w1"], weights["b1"], weights["w2"], weights["u"], np.float32(weights["const"]))
    fn = _logits_numba if HAVE_NUMBA else _logits_python
    torch_threads = _match_torch_threads() if HAVE_NUMBA else None
    out = np.empty((a.shape[0], bt.shape[1]), dtype=np.float32)
    try:
        for start in range(0, a.shape[0], block_rows):
            stop = min(start + block_rows, a.shape[0])
            out[start:stop] = fn(a[start:stop], bt, *args)
            if progress is not None:
                progress(stop, a.shape[0])
    finally:
        if torch_threads is not None:
            _restore_torch_threads(torch_threads)
    return out


def _match_torch_threads() -> int:
    """Run the kernel on as many threads as torch uses; returns torch's count.

    numba's OpenMP layer sets the OpenMP thread count that torch shares when it starts (to all
    cores), which silently doubled torch's threads where the user had asked for one and made
    training steps 10-30x slower on a busy machine; _restore_torch_threads puts it back."""
    import numba
    import torch

    threads = torch.get_num_threads()
    limit = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # numba.config fills itself at run time
    numba.set_num_threads(max(1, min(threads, limit)))
    return threads


def _restore_torch_threads(threads: int) -> None:
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))).astype(np.float32)
