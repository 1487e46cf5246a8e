"""Training with LAP-mined pairs on a tiny set: a loadable checkpoint after every epoch, resume from
the last completed epoch, an interrupted epoch leaves the previous checkpoint usable."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from whaleid_gui.core.csv_io import read_boxes, read_labels
from whaleid_gui.core.errors import WhaleIDError
from whaleid_gui.core.features import ImageItem
from whaleid_gui.core.model import build_model, load_model
from whaleid_gui.core.progress import Finished, Progress
from whaleid_gui.core.training import (
    EpochReport,
    TrainConfig,
    split_by_individual,
    state_path,
    train_job,
    training_set,
)


@pytest.fixture(scope="module")
def tiny_set(small_demo):
    """4 individuals x 2 photos of the demo's training set, with their boxes (16 pairs an epoch)."""
    boxes = read_boxes(small_demo.boxes_csv)
    rows = read_labels(small_demo.train_csv)
    chosen: dict[str, list] = {}
    for r in rows:
        chosen.setdefault(r.id, [])
        if len(chosen[r.id]) < 2:
            chosen[r.id].append(r)
    picked = [r for group in list(chosen.values())[:4] for r in group]
    assert len(picked) == 8
    return [ImageItem(r.path, boxes.get(r.path.resolve())) for r in picked], [r.id for r in picked]


def _config(epochs: int = 2) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=8, seed=0)


def _state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_reference_branch_checkpoints_every_epoch_and_resumes(tmp_path, tiny_set):
    items, ids = tiny_set
    out = tmp_path / "ref.pt"
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    start = _state(model)
    job = train_job(model, items, ids, out, _config(2))
    reports = []
    for event in job:
        if isinstance(event, EpochReport):
            reports.append(event)
            saved = load_model(out, device="cpu")
            assert saved.card.training_data["epochs_done"] == event.epoch == 1
            assert saved.card.architecture == "reference" and saved.image_size == 64
            assert np.isfinite(saved.card.metrics["loss"])
            for key, value in model.state_dict().items():
                assert torch.equal(saved.state_dict()[key], value), key
            after_epoch_1 = _state(model)
        elif isinstance(event, Progress) and reports and event.message.startswith("epoch 2/"):
            break  # stopped ("Ctrl-C") in the middle of epoch 2
    job.close()
    assert [r.epoch for r in reports] == [1]
    assert any(not torch.equal(start[k], after_epoch_1[k]) for k in start)  # it learned something
    # the half-done epoch changed nothing on disk: the file is epoch 1
    assert load_model(out, device="cpu").card.training_data["epochs_done"] == 1
    assert state_path(out).exists()

    # --resume continues from the saved epoch, with a fresh model object
    fresh = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    resumed = [e for e in train_job(fresh, items, ids, out, _config(2), resume=True) if isinstance(e, EpochReport)]
    assert [r.epoch for r in resumed] == [2]
    assert len(reports) + len(resumed) == 2  # the epochs reported add up
    final = load_model(out, device="cpu")
    assert final.card.training_data["epochs_done"] == 2
    assert final.card.training_data == {**final.card.training_data, "images": 8, "individuals": 4}
    assert any(not torch.equal(after_epoch_1[k], final.state_dict()[k]) for k in after_epoch_1)

    # resuming a finished run trains nothing more
    done = list(train_job(fresh, items, ids, out, _config(2), resume=True))
    assert isinstance(done[-1], Finished) and done[-1].value == []


def test_resume_with_changed_data_is_refused(tmp_path, tiny_set):
    items, ids = tiny_set
    out = tmp_path / "ref.pt"
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    job = train_job(model, items, ids, out, _config(2))
    for event in job:
        if isinstance(event, EpochReport):
            break
    job.close()
    with pytest.raises(WhaleIDError, match="changed"):
        list(train_job(model, items[:6], ids[:6], out, _config(2), resume=True))


def test_efficientnet_fine_tunes_and_keeps_imagenet_batchnorm(tmp_path, tiny_set, lite0_model):
    items, ids = tiny_set
    model = copy.deepcopy(lite0_model)
    model.card.image_size = 32
    bn_before = {k: v.clone() for k, v in model.branch.state_dict().items() if "running" in k}
    head_before = _state(model.head)
    out = tmp_path / "lite0.pt"
    events = list(train_job(model, items, ids, out, _config(2)))
    reports = [e for e in events if isinstance(e, EpochReport)]
    assert [r.epoch for r in reports] == [1, 2]
    assert isinstance(events[-1], Finished) and events[-1].value == reports
    assert all(np.isfinite(r.loss) and 0 <= r.pair_accuracy <= 1 for r in reports)
    assert reports[0].k == 1000.0  # the K schedule starts random
    for k, v in model.branch.state_dict().items():
        if "running" in k:
            assert torch.equal(v, bn_before[k]), k  # pretrained statistics are kept
    assert any(not torch.equal(head_before[k], v) for k, v in model.head.state_dict().items())
    saved = load_model(out, device="cpu")
    assert saved.card.architecture == "efficientnet-lite0" and saved.image_size == 32
    assert saved.weights_id != lite0_model.weights_id
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(saved.features(x, autocast=False), model.features(x, autocast=False))


def test_too_few_individuals_is_an_error(tmp_path, tiny_set):
    items, ids = tiny_set
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    with pytest.raises(WhaleIDError, match="at least 2 individuals"):
        list(train_job(model, items[:2], ids[:2], tmp_path / "w.pt", _config(1)))
    assert not (tmp_path / "w.pt").exists()


def test_training_set_drops_new_whale_and_singletons():
    items = [ImageItem(f"{i}.jpg") for i in range(6)]
    kept, ids = training_set(items, ["a", "new_whale", "a", "b", "new_whale", "c"])
    assert ids == ["a", "a"] and [str(i.path) for i in kept] == ["0.jpg", "2.jpg"]


def test_validation_split_keeps_individuals_whole():
    ids = [f"w{i // 3}" for i in range(30)]
    train, val = split_by_individual(ids, 0.3, seed=0)
    assert len({ids[i] for i in val}) == 3
    assert not {ids[i] for i in train} & {ids[i] for i in val}
    assert sorted(np.r_[train, val].tolist()) == list(range(30))
    train, val = split_by_individual(ids, 0.0, seed=0)
    assert len(val) == 0 and len(train) == 30


class _TinyBranch(torch.nn.Module):
    """A 4x4 average-pooled thumbnail -> 8 features: enough to tell apart the patterns below."""

    name = "tiny"
    feature_size = 8

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(16, 8)

    def forward(self, x):
        return self.linear(torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1) * 4 - 2)


def test_loss_decreases_on_a_trivially_learnable_set(tmp_path):
    """4 individuals = 4 distinct brightness layouts (2 noisy photos each): the pair loss must fall."""
    from PIL import Image

    from whaleid_gui.core.augment import Augment
    from whaleid_gui.core.model import ModelCard, PairHead, SiameseModel

    rng = np.random.default_rng(0)
    half = np.kron(np.array([[0.0, 1.0], [0.0, 1.0]]), np.ones((24, 24)))  # right half bright
    layouts = [half, 1 - half, half.T, 1 - half.T]  # right, left, bottom, top
    items, ids = [], []
    for k, layout in enumerate(layouts):
        for j in range(2):
            pixels = np.clip(layout * 0.8 + 0.1 + rng.normal(0, 0.03, layout.shape), 0, 1)
            path = tmp_path / f"w{k}_{j}.png"
            Image.fromarray((pixels * 255).astype(np.uint8)).convert("RGB").save(path)
            items.append(ImageItem(path))
            ids.append(f"W{k}")
    torch.manual_seed(0)
    model = SiameseModel(_TinyBranch(), PairHead(8), ModelCard("tiny", image_size=32, feature_size=8), "tiny")
    config = TrainConfig(epochs=10, batch_size=8, seed=0, learning_rate=2e-2, mixed_precision=False,
                         k_values=[1.0], augment=Augment(rotation_deg=0, shear_deg=0, zoom=(1.0, 1.0), shift=0.0))
    config.learning_rates = lambda: [2e-2] * 10  # constant: this checks learning, not the schedule
    losses = [e.loss for e in train_job(model, items, ids, tmp_path / "tiny.pt", config)
              if isinstance(e, EpochReport)]
    assert len(losses) == 10
    assert losses[0] > 0.6  # starts near chance (ln 2)
    assert np.mean(losses[-3:]) < 0.5 * np.mean(losses[:3]), losses


def test_split_by_individual_of_no_photos_is_empty():
    from whaleid_gui.core.training import split_by_individual

    train, val = split_by_individual([], 0.2, seed=0)
    assert len(train) == 0 and len(val) == 0


def test_fine_tuning_the_zero_shot_model_keeps_its_colour_crops_and_stops_centring(tmp_path, tiny_set):
    from whaleid_gui.core.model import ZERO_SHOT
    from whaleid_gui.core.training import TrainConfig as Config

    items, ids = tiny_set
    model = load_model(ZERO_SHOT, device="cpu", image_size=32)
    assert model.card.centre_on_catalog and model.card.input_style == "rgb-square"
    out = tmp_path / "zero-shot-tuned.pt"
    reports = [e for e in train_job(model, items, ids, out, Config(epochs=1, batch_size=8, seed=0, fast=True))
               if isinstance(e, EpochReport)]
    assert len(reports) == 1 and np.isfinite(reports[0].loss)
    saved = load_model(out, device="cpu")
    assert saved.feature_size == 1280 and saved.card.input_style == "rgb-square"
    assert not saved.card.centre_on_catalog  # the head learned on uncentred features


def test_best_epoch_watch_keeps_the_best_and_stops_after_patience():
    from whaleid_gui.core.training import _BestEpoch

    watch = _BestEpoch(patience=2)
    assert watch.improved(1, 0.30) and watch.best_epoch == 1
    assert watch.improved(2, 0.40) and watch.best_epoch == 2
    assert not watch.improved(3, 0.35) and not watch.should_stop()
    assert not watch.improved(4, 0.40)  # equal is not better: the earlier epoch stays
    assert watch.should_stop() and watch.best_epoch == 2
    again = _BestEpoch(patience=2)
    again.load(watch.state())  # resume carries the watch on
    assert (again.best, again.best_epoch, again.stale) == (0.40, 2, 2) and again.should_stop()
    no_validation = _BestEpoch(patience=2)
    assert all(no_validation.improved(e, None) for e in (1, 2, 3))  # without validation: the last epoch
    assert not no_validation.should_stop()


def test_weights_file_keeps_the_best_validation_epoch(tmp_path, tiny_set):
    """With validation, the weights file is the epoch with the best validation MAP@5 (not the last),
    the run reports MAP@5 before training, and an early stop ends the run."""
    from whaleid_gui.core.training import StartingPoint

    items, ids = tiny_set
    out = tmp_path / "best.pt"
    model = build_model("reference", image_size=64, imagenet=False, distance_head=False)
    config = TrainConfig(epochs=4, batch_size=8, seed=0, validation_fraction=0.5, learning_rate=3e-3, patience=2)
    states, reports, starts = {}, [], []
    for event in train_job(model, items, ids, out, config):
        if isinstance(event, StartingPoint):
            starts.append(event.val_map5)
        if isinstance(event, EpochReport):
            reports.append(event)
            states[event.epoch] = torch.load(state_path(out), weights_only=True)["model"]
    assert len(starts) == 1 and 0.0 <= starts[0] <= 1.0
    vals = [r.val_map5 for r in reports]
    best = 1 + int(np.argmax(vals))  # the first of equal bests
    assert all(r.best_epoch == 1 + int(np.argmax(vals[:n + 1])) for n, r in enumerate(reports))
    saved = load_model(out, device="cpu").state_dict()
    for key, value in states[best].items():
        assert torch.equal(saved[key], value), key
    stopped = [r for r in reports if r.stopped_early]
    if stopped:  # it stops only after `patience` epochs without a better one
        assert stopped == reports[-1:] and reports[-1].epoch - best >= 2
    else:
        assert len(reports) == 4


def test_arcface_rates_warm_up_then_decay_and_siamese_keeps_the_k_schedule():
    from whaleid_gui.core.mining import learning_rate_schedule

    rates = TrainConfig(epochs=12, objective="arcface", learning_rate=1e-3).learning_rates()
    peak = int(np.argmax(rates))
    assert rates[0] < rates[peak] == pytest.approx(1e-3) and peak >= 1
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1:])) and rates[-1] < 0.1 * rates[peak]
    assert TrainConfig(epochs=12).learning_rates() == learning_rate_schedule(12)


def test_arcface_centres_start_at_each_individuals_mean_embedding(tiny_set):
    """Weight imprinting: before the first epoch each class centre is the mean direction of its
    photos' embeddings, so the first batches already classify the training photos."""
    from whaleid_gui.core.augment import Augment
    from whaleid_gui.core.training_objectives import ArcFaceObjective
    from whaleid_gui.core.training_sources import CropSource

    items, ids = tiny_set
    model = build_model("reference", image_size=64)
    source = CropSource(items, 64, Augment(), seed=0)
    list(source.build(model))
    objective = ArcFaceObjective(model, ids, batch_size=4)
    objective.plan_epoch(0, 1.0, np.random.default_rng(0), source, model)

    feats = torch.nn.functional.normalize(torch.from_numpy(source.mining_features(model)).float(), dim=1)
    centres = torch.nn.functional.normalize(objective.head.weight.detach(), dim=1)
    nearest = (feats @ centres.T).argmax(dim=1).numpy()
    assert (nearest == objective.labels).mean() >= 0.75  # random centres: about 1 in 4
    first = torch.nn.functional.normalize(feats[objective.labels == 0].mean(dim=0), dim=0)
    assert torch.allclose(centres[0], first, atol=1e-5)

    resumed = ArcFaceObjective(model, ids, batch_size=4)
    resumed.load_state(objective.state())
    resumed.head.weight.data.zero_()
    resumed.plan_epoch(1, 1.0, np.random.default_rng(0), source, model)
    assert float(resumed.head.weight.detach().abs().sum()) == 0.0  # a resumed run keeps its own centres
