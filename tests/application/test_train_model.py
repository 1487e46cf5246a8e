"""The training use case's one rule for the initial model (the panel and `whaleid train` share it)
and its reading of an Image,Id CSV. Real weights files, real photos of the small demo."""

from __future__ import annotations

import pytest
import torch

from whaleid_gui.application.train_model import architecture_of, csv_training_data, initial_model
from whaleid_gui.application.train_settings import TrainSettings
from whaleid_gui.core.errors import WeightsError
from whaleid_gui.core.model import build_model, save_model


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)


def _reference_weights(path):
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    save_model(model, path)
    return model


def test_the_reference_branch_without_initial_weights_starts_from_random_weights(tmp_path):
    model = initial_model(TrainSettings(out=str(tmp_path / "w.pt"), branch="reference", image_size=64,
                                        device="cpu"))
    assert model.card.architecture == "reference" and model.image_size == 64
    assert model.weights_id == "fresh"


def test_initial_weights_of_the_branch_are_fine_tuned(tmp_path):
    saved = _reference_weights(tmp_path / "start.pt")
    assert architecture_of(tmp_path / "start.pt") == "reference"
    model = initial_model(TrainSettings(out=str(tmp_path / "w.pt"), branch="reference", image_size=64,
                                        device="cpu", init_weights=str(tmp_path / "start.pt")))
    assert _same_weights(model, saved)


def test_the_branch_of_a_named_model_and_of_a_missing_file(tmp_path):
    assert architecture_of("untrained") == "efficientnet-lite0"
    with pytest.raises(WeightsError, match="not found"):
        architecture_of(tmp_path / "no.pt")


def test_scratch_ignores_the_initial_weights(tmp_path):
    saved = _reference_weights(tmp_path / "start.pt")
    model = initial_model(TrainSettings(out=str(tmp_path / "w.pt"), branch="reference", image_size=64,
                                        device="cpu", init_weights=str(tmp_path / "start.pt"), scratch=True))
    assert model.card.architecture == "reference" and not _same_weights(model, saved)


def test_initial_weights_of_another_branch_give_a_fresh_model_of_the_asked_branch(tmp_path):
    """The panel passes the project's active weights; a run of the other branch starts afresh
    (EfficientNet-Lite0 from ImageNet) instead of failing."""
    _reference_weights(tmp_path / "active.pt")
    model = initial_model(TrainSettings(out=str(tmp_path / "w.pt"), branch="efficientnet-lite0", image_size=64,
                                        device="cpu", init_weights=str(tmp_path / "active.pt")))
    assert model.card.architecture == "efficientnet-lite0" and model.image_size == 64


def test_resume_starts_from_the_run_s_own_last_epoch(tmp_path):
    saved = _reference_weights(tmp_path / "w.pt")  # the interrupted run's last saved epoch
    model = initial_model(TrainSettings(out=str(tmp_path / "w.pt"), branch="reference", image_size=64,
                                        device="cpu", resume=True))
    assert _same_weights(model, saved)


def test_a_csv_s_missing_photos_are_left_out_and_named(small_demo, tmp_path):
    rows = [line.split(",") for line in small_demo.train_csv.read_text(encoding="utf-8").splitlines()[1:]]
    train_csv = tmp_path / "train.csv"  # absolute Image paths: the demo's folder stays as it is
    lines = [f"{small_demo.root / image},{code}" for image, code in rows] + ["not_there.jpg,HW-1001"]
    train_csv.write_text("Image,Id\n" + "\n".join(lines) + "\n", encoding="utf-8")
    data, missing = csv_training_data(train_csv, small_demo.boxes_csv)
    assert [p.name for p in missing] == ["not_there.jpg"]
    assert data.ids == [code for _image, code in rows]
    assert all(p.box is not None for p in data.photos)  # every demo photo has a row in the boxes CSV
