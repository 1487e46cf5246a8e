"""Score matrix of the pair head between two feature sets, without building the (pairs, D, 32)
intermediate that plain broadcasting needs (~50 us per pair here).

The logit of a pair is const + sum_j u_j * sum_k w2_k * relu(W1_k . [x*y, x+y, |x-y|, (x-y)^2] + b1_k)
with x = a_j fixed while y runs over the other set, so the pre-activation is
(W1_k0*x + W1_k1) * y + W1_k2*|x-y| + W1_k3*(x-y)^2 + (W1_k1*x + b1_k): three fused multiply-adds per
(pair, feature, hidden unit), vectorised across the pairs of one row. numba compiles it on first use
(cached on disk; head_kernel_numba.py), so users need no compiler. A head that is a plain feature
distance (the zero-shot model's, distance_coefficient) is scored by matrix products instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


def distance_coefficient(weights: dict) -> float | None:
    """c when the head is a plain feature distance, logit = const + c * sum_j (x_j - y_j)^2 (the
    zero-shot model's head as PairHead.init_as_distance leaves it), else None.

    Only hidden unit 0 sees anything, and only the squared difference, so every other unit is
    relu(0) = 0 whatever its output weight; with one weight u for every feature the sum is a
    distance, which matrix products compute exactly (no numba, no per-pair loop)."""
    w1 = np.asarray(weights["w1"], dtype=np.float64)
    b1 = np.asarray(weights["b1"], dtype=np.float64)
    u = np.asarray(weights["u"], dtype=np.float64)
    w2 = np.asarray(weights["w2"], dtype=np.float64)
    if w1.ndim != 2 or w1.shape[1] < 4 or not u.size or w1[0, 3] < 0:
        return None
    others = w1.copy()
    others[0, 3] = 0.0
    if others.any() or b1.any() or not np.all(u == u[0]):
        return None
    return float(u[0] * w2[0] * w1[0, 3])


def _distance_logits(a: np.ndarray, b: np.ndarray, c: float, const: float, block_rows: int, progress) -> np.ndarray:
    b64 = np.asarray(b, dtype=np.float64)
    b_sq = (b64 * b64).sum(axis=1)
    out = np.empty((a.shape[0], b64.shape[0]), dtype=np.float32)
    for start in range(0, a.shape[0], block_rows):
        stop = min(start + block_rows, a.shape[0])
        a64 = np.asarray(a[start:stop], dtype=np.float64)
        sq = (a64 * a64).sum(axis=1)[:, None] + b_sq[None, :] - 2.0 * (a64 @ b64.T)
        out[start:stop] = const + c * np.maximum(sq, 0.0)
        if progress is not None:
            progress(stop, a.shape[0])
    return out


def pair_logits(a: np.ndarray, b: np.ndarray, weights: dict, block_rows: int = 256, progress=None) -> np.ndarray:
    """Logits (len(a), len(b)) of the head for every pair; rows in blocks so progress can be reported."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    c = distance_coefficient(weights)
    if c is not None:
        return _distance_logits(a, b, c, float(weights["const"]), block_rows, progress)
    bt = np.ascontiguousarray(np.asarray(b, dtype=np.float32).T)
    args = (weights["w1"], weights["b1"], weights["w2"], weights["u"], np.float32(weights["const"]))
    fn: Any = _logits_python
    try:  # numba is imported here, only when a head needs the kernel (head_kernel_numba.py)
        from .head_kernel_numba import logits_numba

        fn = logits_numba
    except ImportError:  # numba missing (an odd platform) or unusable (a NumPy it does not support)
        pass
    torch_threads = _match_torch_threads() if fn is not _logits_python else None
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
