"""The fused numba score-matrix kernel against the torch head: same numbers, symmetric, chunked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from whaleid_gui.core.model import PairHead, build_model
from whaleid_gui.core.model import head_kernel
from whaleid_gui.core.model.head_kernel import pair_logits
from whaleid_gui.core.model.head_kernel_numba import COLUMN_BLOCK


def _random_head(seed: int, feature_size: int = 512, scale: float = 0.5) -> PairHead:
    """A head with random weights everywhere (not the distance initialisation)."""
    torch.manual_seed(seed)
    head = PairHead(feature_size)
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0.0, scale)
    return head.eval()


def _torch_logits(head: PairHead, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The direct (n*m, D, 32) broadcast: what the kernel avoids building."""
    x = torch.as_tensor(a, dtype=torch.float64)
    y = torch.as_tensor(b, dtype=torch.float64)
    head64 = PairHead(head.feature_size).double()
    head64.load_state_dict(head.state_dict())
    with torch.no_grad():
        xx = x[:, None, :].expand(-1, len(b), -1).reshape(-1, x.shape[1])
        yy = y[None].expand(len(a), -1, -1).reshape(-1, x.shape[1])
        return head64(xx, yy).reshape(len(a), len(b)).numpy()


@pytest.fixture(scope="module")
def features():
    rng = np.random.default_rng(0)
    return rng.normal(size=(13, 512)).astype(np.float32), rng.normal(size=(21, 512)).astype(np.float32)


@pytest.mark.parametrize("distance_head", [False, True])
def test_kernel_equals_torch_head(features, distance_head):
    a, b = features
    model = build_model("reference", image_size=32, imagenet=False, distance_head=distance_head)
    if not distance_head:
        model.head.load_state_dict(_random_head(1).state_dict())
    logits = model.score_matrix(a, b, logits=True)
    expected = _torch_logits(model.head, a, b)
    assert np.std(expected) > 0.1  # a non-trivial head
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    scores = model.score_matrix(a, b)
    np.testing.assert_allclose(scores, 1 / (1 + np.exp(-logits.astype(np.float64))), atol=1e-6)


def test_python_fallback_equals_numba(features):
    a, b = features
    w = _random_head(2).kernel_weights()
    args = (w["w1"], w["b1"], w["w2"], w["u"], np.float32(w["const"]))
    bt = np.ascontiguousarray(b.T)
    from whaleid_gui.core.model.head_kernel_numba import logits_numba

    fast = logits_numba(a[:4], bt, *args)
    slow = head_kernel._logits_python(a[:4], bt, *args)
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-3)


def test_kernel_is_symmetric(features):
    a, b = features
    model = build_model("reference", image_size=32, imagenet=False, distance_head=False)
    model.head.load_state_dict(_random_head(3).state_dict())
    ab = model.score_matrix(a, b, logits=True)
    ba = model.score_matrix(b, a, logits=True)
    np.testing.assert_allclose(ab, ba.T, rtol=1e-5, atol=1e-4)
    aa = model.score_matrix(a, a, logits=True)
    np.testing.assert_allclose(aa, aa.T, rtol=1e-5, atol=1e-4)


def test_chunked_score_matrix_equals_direct_computation():
    """Row blocks (block_rows) and column blocks (COLUMN_BLOCK) give the direct result."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=(7, 64)).astype(np.float32)
    b = rng.normal(size=(COLUMN_BLOCK + 77, 64)).astype(np.float32)  # crosses a column block
    head = _random_head(5, feature_size=64)
    w = head.kernel_weights()
    expected = _torch_logits(head, a, b)
    calls = []
    blocked = pair_logits(a, b, w, block_rows=3, progress=lambda done, total: calls.append((done, total)))
    whole = pair_logits(a, b, w, block_rows=1000)
    np.testing.assert_allclose(blocked, expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(blocked, whole)
    assert calls == [(3, 7), (6, 7), (7, 7)]


def test_torch_path_chunks_rows_and_equals_kernel(monkeypatch):
    """The CUDA path (the torch head on chunks of rows), run on the CPU, equals the kernel."""
    rng = np.random.default_rng(6)
    a = rng.normal(size=(11, 512)).astype(np.float32)
    b = rng.normal(size=(9, 512)).astype(np.float32)
    model = build_model("reference", image_size=32, imagenet=False, distance_head=False)
    model.head.load_state_dict(_random_head(6).state_dict())
    calls = []
    with torch.no_grad():  # score_matrix, its caller, runs without gradients
        out = model._score_matrix_torch(a, b, lambda d, t: calls.append((d, t)))
    np.testing.assert_allclose(out, model.score_matrix(a, b, logits=True), rtol=1e-5, atol=1e-4)
    assert calls[-1] == (11, 11)


def test_kernel_sees_head_updates(features):
    """The cached kernel weights are re-read after the head changes (e.g. an optimiser step)."""
    a, b = features
    model = build_model("reference", image_size=32, imagenet=False, distance_head=True)
    before = model.score_matrix(a, b, logits=True)
    with torch.no_grad():
        model.head.combine.bias.add_(1.5)
    after = model.score_matrix(a, b, logits=True)
    np.testing.assert_allclose(after, before + 1.5, atol=1e-4)


def test_sigmoid_is_stable():
    out = head_kernel.sigmoid(np.array([-1e4, 0.0, 1e4], dtype=np.float32))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0], atol=1e-6)


def test_score_kernel_leaves_torch_thread_count_alone():
    """numba's OpenMP layer resets the shared OpenMP thread count when it starts; the kernel must put
    torch's back (with one thread asked for, torch silently ran on all cores, 10-30x slower)."""
    import torch

    from whaleid_gui.core.model.head import PairHead
    from whaleid_gui.core.model.head_kernel import pair_logits

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = np.random.default_rng(0).standard_normal((5, 512)).astype(np.float32)
        pair_logits(a, a, PairHead().kernel_weights())
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_distance_head_is_scored_by_matrix_products_without_numba(features):
    """The zero-shot model's head (init_as_distance) is a plain feature distance: scored exactly by
    matrix products, and numba (a second of the first candidates at a project's opening, issue 15)
    is not even imported; any other head still goes through the kernel."""
    import subprocess
    import sys

    from whaleid_gui.core.model.head import PairHead

    a, b = features
    distance = PairHead(a.shape[1])
    distance.init_as_distance()
    w = distance.kernel_weights()
    assert head_kernel.distance_coefficient(w) is not None
    assert head_kernel.distance_coefficient(_random_head(4).kernel_weights()) is None
    args = (w["w1"], w["b1"], w["w2"], w["u"], np.float32(w["const"]))
    reference = head_kernel._logits_python(a[:3], np.ascontiguousarray(b.T), *args)
    np.testing.assert_allclose(pair_logits(a[:3], b, w), reference, rtol=1e-5, atol=1e-4)
    code = ("import sys, numpy as np\n"
            "from whaleid_gui.core.model.head import PairHead\n"
            "from whaleid_gui.core.model.head_kernel import pair_logits\n"
            "h = PairHead(64); h.init_as_distance()\n"
            "pair_logits(np.ones((2, 64), np.float32), np.zeros((3, 64), np.float32), h.kernel_weights())\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
