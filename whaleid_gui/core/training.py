"""Fine-tuning with LAP-mined pairs (ALGORITHM.md), as a job that yields progress events.

Every `mine_every` epochs the branch features of all training images are computed (no augmentation),
the head scores every pair with the fused kernel, and a linear assignment picks hard non-matching
pairs; matching pairs are derangements within each individual. An epoch alternates matching and
non-matching pairs (about 2n pairs for n images). A checkpoint is written atomically after each
epoch together with the state needed to resume; stopping between epochs never loses the last one.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence, TypeVar

import numpy as np
import torch

from .augment import Augment
from .errors import WhaleIDError
from .features import ImageItem
from .training_sources import CropSource, TrunkCacheSource
from .matching import IndividualIndex, centre_features, rank_row
from .metrics import map_at_k
from .mining import k_schedule, learning_rate_schedule
from .training_objectives import make_objective
from .model import SiameseModel, save_model
from .model.checkpoint import atomic_torch_save
from .model.siamese import bf16_supported
from .progress import Finished
from .training_events import EpochProgress, EpochReport, StartingPoint


@dataclass
class TrainConfig:
    epochs: int = 20
    batch_size: int = 16  # pairs per optimiser step
    learning_rate: float = 64e-5
    weight_decay: float = 0.0
    mine_every: int = 5
    k_values: list[float] | None = None  # None: ALGORITHM.md's schedule scaled to the epochs
    seed: int = 0
    mixed_precision: bool = True
    augment: Augment = field(default_factory=Augment)
    validation_fraction: float = 0.0  # share of individuals held out for validation MAP@5
    objective: str = "siamese"  # or "arcface" (see training_objectives.py)
    fast: bool = False  # freeze the early backbone, cache its activations, train the rest
    augment_copies: int = 4  # fast mode: augmented crops cached per photo
    # Stop when validation MAP@5 has not improved for this many epochs (0: never stop early). On
    # real photos (benchmarks/RESULTS.md, train_real) held-out MAP@5 peaks after a few epochs and
    # then falls while the training accuracy still rises: the head memorises the training animals.
    patience: int = 3

    def ks(self) -> list[float]:
        ks = list(self.k_values) if self.k_values else k_schedule(self.epochs)
        if len(ks) < self.epochs:
            ks += [ks[-1]] * (self.epochs - len(ks))
        return ks[: self.epochs]

    def learning_rates(self) -> list[float]:
        if self.objective == "arcface":
            return warmup_cosine(self.epochs, self.learning_rate)
        return [lr * self.learning_rate / 64e-5 for lr in learning_rate_schedule(self.epochs)]


def warmup_cosine(epochs: int, base: float) -> list[float]:
    """ArcFace's rates: a linear warm-up over the first ~15% of the epochs (the class centres start
    random; full steps at once disturb the pretrained network before they mean anything), then a
    cosine decay to 5% of base. The Siamese schedule instead follows the K drops (ALGORITHM.md),
    which mean nothing without mining; on real photos (benchmarks/train_real.py) it decayed before
    the centres had settled."""
    warm = max(1, round(0.15 * epochs))
    rates = []
    for e in range(epochs):
        if e < warm:
            rates.append(base * (e + 1) / warm)
        else:
            t = (e - warm) / max(1, epochs - warm)
            rates.append(base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))))
    return rates


def split_by_individual(ids: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (train, validation): whole individuals go to validation, never single photos."""
    labels = np.asarray(ids, dtype=object)
    individuals = sorted(set(labels.tolist()))
    rng = np.random.default_rng(seed)
    n_val = int(round(len(individuals) * fraction))
    val_ids = set(rng.choice(individuals, size=n_val, replace=False).tolist()) if n_val else set()
    is_val = np.array([i in val_ids for i in ids], dtype=bool)  # dtype: an empty list must stay boolean
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


Item = TypeVar("Item")  # an ImageItem, or anything else that stands for a photo (e.g. its index)


def training_set(items: Sequence[Item], ids: Sequence[str]) -> tuple[list[Item], list[str]]:
    """ALGORITHM.md: no new_whale photos, only individuals with at least 2 photos."""
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    keep = [k for k, i in enumerate(ids) if i != "new_whale" and counts[i] >= 2]
    return [items[k] for k in keep], [ids[k] for k in keep]


def leave_one_out_map5(model: SiameseModel, features: np.ndarray, ids: Sequence[str]) -> float:
    """MAP@5 of each photo ranked against the others (photos whose individual has another photo)."""
    index = IndividualIndex(ids)
    if getattr(model.card, "centre_on_catalog", False) and len(features):
        features = centre_features(features, features.mean(axis=0))  # as the matcher scores them
    scores = model.score_matrix(features, features)
    predictions, truths = [], []
    for i, row in enumerate(scores):
        if index.counts[index.group_of[i]] < 2:
            continue
        row = row.astype(np.float64)
        row[i] = -np.inf
        predictions.append([c.individual for c in rank_row(row, index, None, 5)])
        truths.append(ids[i])
    return map_at_k(predictions, truths) if truths else float("nan")


def _set_trainable_mode(model: SiameseModel) -> None:
    model.train()
    # A pretrained backbone keeps its BatchNorm statistics: batches of 16 grayscale crops would
    # overwrite ImageNet's with noisy ones. The reference branch learns them, as in ALGORITHM.md.
    if model.card.architecture != "reference":
        for module in model.branch.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eval()


def state_path(out: Path) -> Path:
    return out.with_name(out.name + ".resume")


def train_job(model: SiameseModel, items: Sequence[ImageItem], ids: Sequence[str], out: str | Path,
              config: TrainConfig, resume: bool = False, known_negatives: Sequence[tuple[int, int]] = ()):
    """Job: yields Progress (EpochProgress within an epoch) and EpochReport; Finished(list of EpochReport). Cancel between yields.

    known_negatives: pairs of indices into `items` that scientists rejected (different individuals
    that the model confused); the Siamese objective trains on them every epoch as hard negatives.
    """
    out = Path(out)
    all_items, all_ids = list(items), list(ids)
    items, ids = training_set(all_items, all_ids)
    train_idx, val_idx = split_by_individual(ids, config.validation_fraction, config.seed)
    train_items = [items[i] for i in train_idx]
    train_ids = [ids[i] for i in train_idx]
    val_items = [items[i] for i in val_idx]
    val_ids = [ids[i] for i in val_idx]
    if len(set(train_ids)) < 2:
        raise WhaleIDError("training needs at least 2 individuals with 2 or more photos each")
    device = model.device
    torch.manual_seed(config.seed)
    size = model.image_size
    source_type = TrunkCacheSource if config.fast else CropSource
    if config.fast:
        TrunkCacheSource.freeze_trunk(model)
    model.card.objective = config.objective
    # The head learns on the branch's own features: a trained model is not centred on the catalog
    # (the zero-shot model's centring would shift every input the head has learned).
    centred = bool(getattr(model.card, "centre_on_catalog", False))
    model.card.centre_on_catalog = False
    objective = make_objective(config.objective, model, train_ids, config.batch_size, config.mine_every,
                               _reindex_pairs(known_negatives, all_items, train_items))
    groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr_scale": 1.0}]
    if objective.parameters():
        groups.append({"params": objective.parameters(), "lr_scale": getattr(objective, "LR_SCALE", 1.0)})
    optimizer = torch.optim.Adam(groups, lr=config.learning_rate, weight_decay=config.weight_decay)
    start_epoch = 0
    reports: list[EpochReport] = []
    watch = _BestEpoch(config.patience)
    if resume and state_path(out).exists():
        state = torch.load(state_path(out), map_location="cpu", weights_only=True)
        if state["n_images"] != len(train_ids) or state.get("objective", "siamese") != config.objective:
            raise WhaleIDError(f"{state_path(out)}: the training data or objective changed since this run started; "
                               "start afresh")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        objective.load_state(state)
        start_epoch = int(state["epoch"])
        watch.load(state)
    extra = {"copies": config.augment_copies} if config.fast else {}
    source = source_type(train_items, size, config.augment, config.seed, **extra)
    val_extra = {"copies": 1} if config.fast else {}
    val_source = source_type(val_items, size, config.augment, config.seed, **val_extra) if val_items else None
    for job in (source.build(model), val_source.build(model) if val_source else iter(())):
        yield from job
    if val_source is not None and watch.start is None:
        model.eval()
        model.card.centre_on_catalog = centred  # the start is measured as the model it starts from ranks
        watch.start = _number(leave_one_out_map5(model, val_source.mining_features(model), val_ids))
        model.card.centre_on_catalog = False
    if watch.start is not None:
        yield StartingPoint(watch.start)
    ks = config.ks()
    lrs = config.learning_rates()
    use_amp = config.mixed_precision and bf16_supported(device)
    with ThreadPoolExecutor(max_workers=1) as pool:
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng([config.seed, epoch])  # per-epoch stream: resume reproduces it
            yield EpochProgress(0, 1, f"epoch {epoch + 1}: mining pairs", epoch + 1)
            batches, info = objective.plan_epoch(epoch, ks[epoch], rng, source, model)
            for group in optimizer.param_groups:
                group["lr"] = lrs[epoch] * group.get("lr_scale", 1.0)
            _set_trainable_mode(model)

            def load(n: int):
                return objective.load(source, batches[n], np.random.default_rng([config.seed, epoch, n]))

            total_loss = correct = seen = 0.0
            pending = pool.submit(load, 0)
            for n in range(len(batches)):
                inputs = pending.result()
                if n + 1 < len(batches):
                    pending = pool.submit(load, n + 1)
                loss, right, count = objective.step(model, source, inputs, device, use_amp)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total_loss += float(loss.detach()) * count
                correct += right
                seen += count
                yield EpochProgress(n + 1, len(batches), f"epoch {epoch + 1}/{config.epochs}", epoch + 1)
            model.eval()
            val_map = None
            if val_source is not None:
                val_map = _number(leave_one_out_map5(model, val_source.mining_features(model), val_ids))
            card = model.card
            card.training_data = {"images": len(train_items), "individuals": len(set(train_ids)),
                                  "validation_individuals": len(set(val_ids)), "epochs_done": epoch + 1,
                                  "image_size": size, "seed": config.seed, "objective": config.objective,
                                  "mode": "fast (frozen trunk)" if config.fast else "full fine-tuning"}
            card.metrics = {"loss": total_loss / max(seen, 1), "accuracy": correct / max(seen, 1),
                            **({"val_map5": val_map} if val_map is not None else {}),
                            **({"val_map5_before_training": watch.start} if watch.start is not None else {})}
            card.created = ""
            if watch.improved(epoch + 1, val_map):
                card.training_data["best_epoch"] = epoch + 1
                save_model(model, out)  # the weights file keeps the best epoch; the state the last
            atomic_torch_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                               "n_images": len(train_ids), "objective": config.objective,
                               "config": _plain(asdict(config)), **objective.state(), **watch.state()},
                              state_path(out))
            stop = watch.should_stop() and epoch + 1 < config.epochs
            report = EpochReport(epoch + 1, config.epochs, total_loss / max(seen, 1), correct / max(seen, 1),
                                 info["hard_pair_score"], ks[epoch], lrs[epoch], val_map, time.perf_counter() - t0,
                                 info["mining_seconds"], str(out), best_epoch=watch.best_epoch, stopped_early=stop)
            reports.append(report)
            yield report
            if stop:
                break
    yield Finished(reports)


class _BestEpoch:
    """Which epoch the weights file keeps (the best validation MAP@5 so far; without validation,
    the last) and when to stop: `patience` epochs in a row without improvement."""

    def __init__(self, patience: int):
        self.patience = patience
        self.start: float | None = None  # validation MAP@5 of the initial model
        self.best: float | None = None
        self.best_epoch = 0
        self.stale = 0  # epochs since the best

    def improved(self, epoch: int, val_map: float | None) -> bool:
        if val_map is None or self.best is None or val_map > self.best:
            self.best, self.best_epoch, self.stale = val_map, epoch, 0
            return True
        self.stale += 1
        return False

    def should_stop(self) -> bool:
        return self.patience > 0 and self.best is not None and self.stale >= self.patience

    def state(self) -> dict:
        return {"watch": {"start": self.start, "best": self.best, "best_epoch": self.best_epoch, "stale": self.stale}}

    def load(self, state: dict) -> None:
        saved = state.get("watch") or {}
        self.start, self.best = saved.get("start"), saved.get("best")
        self.best_epoch, self.stale = int(saved.get("best_epoch", 0)), int(saved.get("stale", 0))


def _reindex_pairs(pairs, all_items: list[ImageItem], train_items: list[ImageItem]) -> list[tuple[int, int]]:
    """Pairs of indices into all_items -> indices into train_items (pairs leaving the set are dropped)."""
    position = {id(item): n for n, item in enumerate(train_items)}
    out = []
    for a, b in pairs:
        pa, pb = position.get(id(all_items[a])), position.get(id(all_items[b]))
        if pa is not None and pb is not None:
            out.append((pa, pb))
    return out


def _number(value: float) -> float | None:
    """None for NaN (no validation individual with 2 photos: nothing to measure)."""
    return None if value != value else float(value)


def _plain(value):
    """Config as plain types (weights_only loading accepts no dataclasses)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
