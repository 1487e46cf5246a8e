"""Weights files: round trip, model card inside, atomic writes, corrupt files, no code execution."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from whaleid_gui.core.errors import WeightsError
from whaleid_gui.core.model import build_model, load_model, save_model
from whaleid_gui.core.model import checkpoint
from whaleid_gui.core.model.checkpoint import load_model_file, read_weights_file, weights_id_of

CPU = torch.device("cpu")


def _trained_like_reference(seed: int = 0):
    """A reference model whose weights and BatchNorm statistics are all away from their defaults."""
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.head.parameters():
            p.normal_(0, 0.3)
        for name, buf in model.branch.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    model.card.training_data = {"images": 19, "individuals": 8}
    model.card.metrics = {"val_map5": 0.5}
    return model.eval()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(model, path) of a saved reference model; do not modify the file."""
    model = _trained_like_reference()
    path = tmp_path_factory.mktemp("weights") / "model.pt"
    save_model(model, path)
    return model, path


def test_round_trip_keeps_outputs(saved):
    model, path = saved
    loaded = load_model(path, device="cpu")
    x = torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    fa, fb = model.features(x, autocast=False), loaded.features(x, autocast=False)
    torch.testing.assert_close(fa, fb, rtol=0, atol=0)
    np.testing.assert_array_equal(model.score_matrix(fa.numpy(), fa.numpy()), loaded.score_matrix(fb.numpy(), fb.numpy()))
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    assert loaded.weights_id == model.weights_id == weights_id_of(path)
    assert not loaded.training


def test_card_is_inside_the_file(saved):
    _, path = saved
    payload = read_weights_file(path)
    card = payload["card"]
    assert card["architecture"] == "reference"
    assert card["image_size"] == 64
    assert card["feature_size"] == 512
    assert card["created"]  # ISO time
    assert card["training_data"] == {"images": 19, "individuals": 8}
    assert card["metrics"] == {"val_map5": 0.5}
    loaded = load_model(path, device="cpu")
    assert loaded.card.to_dict() == card
    assert loaded.image_size == 64


def test_image_size_override_changes_the_weights_id(saved):
    _, path = saved
    loaded = load_model(path, device="cpu", image_size=96)
    assert loaded.image_size == 96
    assert loaded.weights_id == f"{weights_id_of(path)}@96"


def test_image_size_below_the_branch_stride_is_refused(saved):
    from whaleid_gui.core.errors import WhaleIDError

    _, path = saved
    with pytest.raises(WhaleIDError, match="too small for the reference branch"):
        load_model(path, device="cpu", image_size=48)


def test_weights_id_is_the_content(tmp_path, saved):
    model, path = saved
    other = _trained_like_reference(seed=1)
    save_model(other, tmp_path / "other.pt")
    assert weights_id_of(tmp_path / "other.pt") != weights_id_of(path)


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path):
    model = _trained_like_reference()
    path = tmp_path / "sub" / "w.pt"
    save_model(model, path)
    save_model(model, path)  # overwrite
    assert sorted(p.name for p in path.parent.iterdir()) == ["w.pt"]


def test_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.pt"
    save_model(_trained_like_reference(0), path)
    before = path.read_bytes()
    real_save = torch.save

    def save_then_crash(obj, handle, *args, **kwargs):
        real_save(obj, handle, *args, **kwargs)  # half-written is worse than nothing: write, then fail
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", save_then_crash)
    with pytest.raises(OSError):
        save_model(_trained_like_reference(1), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pt"]
    load_model(path, device="cpu")  # still a good file


def test_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    """A crash mid-write (here: an exception from inside pickling) never truncates the file."""
    path = tmp_path / "w.pt"
    save_model(_trained_like_reference(0), path)
    before = path.read_bytes()

    def crash_midway(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        save_model(_trained_like_reference(1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.pt"]


# --------------------------------------------------------------------------------------------
# Bad files -> WeightsError naming the file


def _assert_weights_error(path, match: str | None = None):
    with pytest.raises(WeightsError) as info:
        load_model(path, device="cpu")
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    assert "\n" not in str(info.value)  # a one-line reason
    if match:
        assert match in str(info.value)
    return info.value


def test_random_bytes(tmp_path):
    path = tmp_path / "random.pt"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    _assert_weights_error(path, "not a readable weights file")


def test_truncated_file(tmp_path, saved):
    _, good = saved
    path = tmp_path / "truncated.pt"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _assert_weights_error(path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.touch()
    _assert_weights_error(path, "empty")


def test_missing_file_and_directory(tmp_path):
    _assert_weights_error(tmp_path / "absent.pt", "not found")
    _assert_weights_error(tmp_path, "directory")


def test_plain_torch_dict_is_not_a_weights_file(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"state_dict": build_model("reference", imagenet=False).state_dict()}, path)
    _assert_weights_error(path, "not a WhaleID weights file")
    path2 = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path2)
    _assert_weights_error(path2, "not a WhaleID weights file")


def test_newer_format_is_refused(tmp_path, saved):
    _, good = saved
    payload = read_weights_file(good)
    payload["format_version"] = checkpoint.FORMAT_VERSION + 1
    path = tmp_path / "future.pt"
    torch.save(payload, path)
    _assert_weights_error(path, "newer")


def test_file_of_the_other_architecture(tmp_path, saved):
    _, good = saved
    # a reference file asked for as EfficientNet
    with pytest.raises(WeightsError, match="not efficientnet-lite0") as info:
        load_model_file(good, CPU, expect_architecture="efficientnet-lite0")
    assert str(good) in str(info.value)
    # a card that says EfficientNet over reference tensors
    payload = read_weights_file(good)
    payload["card"]["architecture"] = "efficientnet-lite0"
    path = tmp_path / "mislabelled.pt"
    torch.save(payload, path)
    _assert_weights_error(path, "do not fit the efficientnet-lite0 architecture")
    # an architecture this version does not know
    payload["card"]["architecture"] = "vit-huge"
    path = tmp_path / "unknown.pt"
    torch.save(payload, path)
    _assert_weights_error(path, "unknown branch")


def test_missing_tensor_is_reported(tmp_path, saved):
    _, good = saved
    payload = read_weights_file(good)
    payload["state_dict"].pop("head.combine.weight")
    path = tmp_path / "incomplete.pt"
    torch.save(payload, path)
    _assert_weights_error(path, "do not fit")


class _Exploit:
    """Unpickling this creates a folder: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_loading_never_unpickles_code(tmp_path, saved):
    _, good = saved
    marker = tmp_path / "pwned"
    payload = read_weights_file(good)
    payload["card"]["notes"] = _Exploit(str(marker))
    path = tmp_path / "evil.pt"
    torch.save(payload, path)
    # sanity: a plain unpickler would run the payload
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.rmdir()
    _assert_weights_error(path)
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_plain_pickle_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"format": checkpoint.FORMAT, "x": _Exploit(str(marker))}))
    _assert_weights_error(path)
    assert not marker.exists()
