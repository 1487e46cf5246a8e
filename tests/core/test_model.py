"""Branches and head: sizes of ALGORITHM.md, EfficientNet-Lite0 ImageNet mapping, symmetry, the
untrained distance head, the default model."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from whaleid_gui.core import model as model_pkg
from whaleid_gui.core.errors import WeightsError
from whaleid_gui.core.model import PairHead, build_model, load_model
from whaleid_gui.core.model import efficientnet_branch as eb
from whaleid_gui.core.model.efficientnet_lite import EfficientNetLite
from whaleid_gui.core.model.reference_branch import ReferenceBranch
from whaleid_gui.core.model.siamese import bf16_supported

# --------------------------------------------------------------------------------------------
# Reference branch and head sizes (ALGORITHM.md)


def test_reference_branch_has_the_reference_size():
    branch = ReferenceBranch()
    trainable = sum(p.numel() for p in branch.parameters() if p.requires_grad)
    running = sum(b.numel() for name, b in branch.named_buffers()
                  if name.endswith("running_mean") or name.endswith("running_var"))
    assert trainable == 2_674_304
    assert running == 17_792
    # ALGORITHM.md's Keras count (2,692,096) = trainable + BN running statistics
    assert trainable + running == 2_692_096


def test_head_has_706_parameters():
    assert sum(p.numel() for p in PairHead(512).parameters()) == 706


def test_reference_branch_output_shape_and_batch_independence():
    torch.manual_seed(0)
    branch = ReferenceBranch().eval()
    x = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        out = branch(x)
        single = branch(x[1:2])
    assert out.shape == (3, 512)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[1:2], single, rtol=1e-4, atol=1e-5)


def test_unknown_branch_is_rejected():
    with pytest.raises(ValueError, match="unknown branch"):
        build_model("resnet-9000")


# --------------------------------------------------------------------------------------------
# EfficientNet-Lite0: every tensor of the packaged ImageNet file is mapped


def _file_state() -> dict[str, torch.Tensor]:
    return torch.load(eb.imagenet_weights_path(), map_location="cpu", weights_only=True)


def test_every_imagenet_tensor_is_mapped(lite0_model):
    branch = lite0_model.branch
    state = _file_state()
    assert branch.mapped_tensors == len(state) == 296
    renamed = eb.rename_efficientnet_pytorch_keys(state, eb._block_layout(branch.backbone))
    assert len(renamed) == len(state)  # renaming is one-to-one
    model_state = branch.backbone.state_dict()
    # The classifier was dropped after loading (features only); every other tensor is the file's.
    assert set(renamed) - set(model_state) == {"classifier.weight", "classifier.bias"}
    assert set(model_state) <= set(renamed)
    for key, tensor in model_state.items():
        assert torch.equal(tensor, renamed[key]), key


def test_imagenet_weights_matter(lite0_model):
    """A branch without ImageNet weights gives different features (the mapping is really used)."""
    fresh = eb.EfficientNetLite0Branch(imagenet=False).eval()
    assert fresh.mapped_tensors == 0
    x = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert not torch.allclose(fresh(x), lite0_model.branch(x))


@pytest.fixture(scope="module")
def timm_backbone():
    """A Lite0 without weights (named for the module names it shares with timm)."""
    return EfficientNetLite("lite0")


@pytest.mark.parametrize("variant", ["lite0", "lite2"])
def test_plain_torch_lite_equals_timm(variant):
    """The app builds EfficientNet-Lite without timm (3 s of import on 2 cores); it must be timm's
    network: same state_dict keys and shapes, same outputs for the same weights, including odd
    input sizes where TF "same" padding is asymmetric."""
    import timm  # the reference implementation: a test dependency only, the app never imports it
    reference = timm.create_model(f"tf_efficientnet_{variant}", pretrained=False).eval()
    ours = EfficientNetLite(variant).eval()
    reference_state = reference.state_dict()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in reference_state.items()}
    generator = torch.Generator().manual_seed(0)
    state = {k: (torch.rand(v.shape, generator=generator) * 0.2 + (0.5 if "running_var" in k else -0.1)
                 if v.is_floating_point() else v) for k, v in reference_state.items()}
    reference.load_state_dict(state)
    ours.load_state_dict(state)
    x = torch.randn(2, 3, 67, 90, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=0)


def test_dropped_key_fails(monkeypatch, timm_backbone):
    real = eb.rename_efficientnet_pytorch_keys

    def drop_one(state, layout):
        renamed = real(state, layout)
        renamed.pop("blocks.3.1.conv_dw.weight")
        return renamed

    monkeypatch.setattr(eb, "rename_efficientnet_pytorch_keys", drop_one)
    with pytest.raises(WeightsError, match="missing") as info:
        eb.load_imagenet_weights(copy.deepcopy(timm_backbone))
    assert info.value.path == eb.imagenet_weights_path()


def test_misnamed_key_fails(monkeypatch, timm_backbone):
    real = eb.rename_efficientnet_pytorch_keys

    def misname(state, layout):
        renamed = real(state, layout)
        renamed["blocks.3.1.conv_dw.weights"] = renamed.pop("blocks.3.1.conv_dw.weight")
        return renamed

    monkeypatch.setattr(eb, "rename_efficientnet_pytorch_keys", misname)
    with pytest.raises(WeightsError, match="unexpected"):
        eb.load_imagenet_weights(copy.deepcopy(timm_backbone))


def test_unmapped_layer_name_fails(monkeypatch, timm_backbone):
    table = dict(eb._BLOCK)
    del table["_bn1"]
    monkeypatch.setattr(eb, "_BLOCK", table)
    with pytest.raises(WeightsError, match="cannot map"):
        eb.load_imagenet_weights(copy.deepcopy(timm_backbone))


def test_wrong_shape_fails(monkeypatch, timm_backbone):
    real_load = torch.load

    def load_with_wrong_shape(*args, **kwargs):
        state = real_load(*args, **kwargs)
        state["_conv_stem.weight"] = state["_conv_stem.weight"][:16]
        return state

    monkeypatch.setattr(eb.torch, "load", load_with_wrong_shape)
    with pytest.raises(WeightsError, match="shape"):
        eb.load_imagenet_weights(copy.deepcopy(timm_backbone))


def test_lite0_features_are_normalised(lite0_model):
    x = torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(2))
    f = lite0_model.features(x).numpy()
    assert f.shape == (4, 512) and f.dtype == np.float32
    # bf16 autocast on the CPU: about 3 significant digits
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), np.sqrt(512), rtol=1e-2)


# --------------------------------------------------------------------------------------------
# Head: symmetry and the distance initialisation


def _trained_like_head(seed: int = 0, feature_size: int = 512) -> PairHead:
    torch.manual_seed(seed)
    head = PairHead(feature_size)
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0.0, 0.5)
    return head.eval()


def test_head_is_symmetric():
    head = _trained_like_head(3)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(64, 512, generator=g) * 2
    b = torch.randn(64, 512, generator=g) * 2
    with torch.no_grad():
        ab = head(a, b)
        ba = head(b, a)
    assert not torch.allclose(ab, ab.mean().expand_as(ab))  # scores actually vary
    assert torch.equal(ab, ba)


def test_model_pair_scores_symmetric_and_in_unit_interval():
    model = build_model("reference", image_size=32, imagenet=False, distance_head=False)
    model.head.load_state_dict(_trained_like_head(4).state_dict())
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(10, 512)), rng.normal(size=(10, 512))
    s_ab, s_ba = model.pair_scores(a, b), model.pair_scores(b, a)
    np.testing.assert_array_equal(s_ab, s_ba)
    assert ((s_ab >= 0) & (s_ab <= 1)).all()


def _features_with_cosines(cosines: np.ndarray, dim: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A query q and rows r_i with cos(q, r_i) = cosines[i]; all of norm sqrt(dim) (like Lite0 features)."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=dim)
    q /= np.linalg.norm(q)
    rows = []
    for c in cosines:
        v = rng.normal(size=dim)
        v -= v @ q * q
        v /= np.linalg.norm(v)
        rows.append(c * q + np.sqrt(1 - c * c) * v)
    scale = np.sqrt(dim)
    return (q * scale)[None].astype(np.float32), (np.asarray(rows) * scale).astype(np.float32)


def test_untrained_distance_head_ranks_by_cosine():
    model = build_model("reference", image_size=32, imagenet=False, distance_head=True)
    cosines = np.random.default_rng(5).uniform(-0.9, 0.999, size=40)
    q, rows = _features_with_cosines(cosines)
    kernel = model.score_matrix(q, rows)[0]
    torch_scores = model.pair_scores(np.repeat(q, len(rows), 0), rows)
    np.testing.assert_allclose(kernel, torch_scores, atol=1e-5)
    # strictly monotone in cosine: sorting by score sorts by cosine
    order = np.argsort(cosines)
    assert np.all(np.diff(kernel[order]) > 0)
    # documented calibration: score 0.5 at cosine 0, sigmoid(6) at cosine 1
    q0, r0 = _features_with_cosines(np.array([0.0, 1.0]))
    np.testing.assert_allclose(model.score_matrix(q0, r0)[0], [0.5, 1 / (1 + np.exp(-6))], atol=1e-4)


def test_untrained_default_model_prefers_the_same_picture(lite0_model):
    """On real pixels: a slightly shifted copy of a photo scores above another photo."""
    g = torch.Generator().manual_seed(7)
    base = torch.nn.functional.interpolate(torch.rand(2, 1, 8, 8, generator=g), size=72, mode="bilinear")
    a = base[0:1, :, :64, :64]
    a_shifted = base[0:1, :, 3:67, 2:66]
    other = base[1:2, :, :64, :64]
    f = lite0_model.features(torch.cat([a, a_shifted, other])).numpy()
    s = lite0_model.score_matrix(f[:1], f[1:])[0]
    assert s[0] > s[1]


# --------------------------------------------------------------------------------------------
# The default model


def test_default_model_is_the_zero_shot_model_and_names_are_models(monkeypatch, lite0_model, tmp_path):
    calls = []

    def fake_zero_shot(*args, **kwargs):
        calls.append("zero-shot")
        return copy.deepcopy(lite0_model)

    monkeypatch.setattr(model_pkg, "build_zero_shot_model", fake_zero_shot)
    model = load_model(None, device="cpu", image_size=48)
    assert calls == ["zero-shot"]  # the documented default, chosen on real photos
    assert model.image_size == 48 and not model.training
    assert model.weights_id.endswith("@48")  # a size change is another cache key
    load_model("imagenet", device="cpu")
    assert calls == ["zero-shot", "zero-shot"]
    monkeypatch.setattr(model_pkg, "SHIPPED_WEIGHTS", tmp_path / "absent.pt")
    with pytest.raises(WeightsError, match="shipped fluke weights are missing"):
        load_model("flukes", device="cpu")


def test_build_model_untrained_id_only_for_the_default():
    assert build_model("reference", imagenet=False).weights_id == "fresh"


def test_bf16_autocast_only_where_the_cpu_computes_bf16_itself(monkeypatch):
    # On an AVX2-only CPU bf16 autocast ran the encoder 10x slower than fp32 (issue 15's machine,
    # 2026-12-03): it is used only where oneDNN has bf16 kernels, and never when switched off.
    from pathlib import Path

    cpu = torch.device("cpu")
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    native = "avx512_bf16" in info or "amx_bf16" in info or not info
    if not (torch.ops.mkldnn._is_mkldnn_bf16_supported() and native):
        assert not bf16_supported(cpu)
    monkeypatch.setenv("WHALEID_NO_BF16", "1")
    assert not bf16_supported(cpu)
