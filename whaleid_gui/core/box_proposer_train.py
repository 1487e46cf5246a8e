"""Training and measuring the box proposer (box_proposer.BoxNet).

train_box_proposer is a job: a generator yielding Progress events and finally Finished(TrainReport),
so the app's worker and the CLI drive it the same way. Photos are read once, in grayscale and
downscaled (long side <= max_side px), and kept in memory; each epoch draws fresh augmentations
from them: a random framing of the photo that still holds the whole fluke (scale / shift / aspect),
extra zoom-out with the mean-gray border, horizontal flip, brightness / contrast / gamma, blur and
noise. Loss: smooth-L1 on the 4 coordinates + (1 - GIoU). No Qt here (core).
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from .box_proposer import (ANISOTROPY, DEFAULT_CHANNELS, INPUT_SIZE, BoxNet, BoxProposer, iou_stats, place_photo,
                           save_box_proposer)
from .boxes import BoundingBox
from .errors import ImageError, WhaleIDError
from .photo_files import load_image
from .progress import Finished, Progress

__all__ = ["TrainReport", "train_box_proposer", "render_synthetic_boxes", "evaluate_box_proposer",
           "SYNTHETIC_SIZES"]

# Photo sizes (w, h) of the synthetic training photos: the usual camera aspects, mostly 3:2.
SYNTHETIC_SIZES = ((384, 256), (384, 256), (384, 288), (384, 216), (320, 320))


# --------------------------------------------------------------------------------------------
# Synthetic training photos


def render_synthetic_boxes(out_dir: str | Path, n: int, seed: int = 1, photos_per_individual: int = 6,
                           progress: Callable[[Progress], None] | None = None, quality: int = 90
                           ) -> list[tuple[Path, BoundingBox]]:
    """Render n synthetic fluke photos (varied sizes) to out_dir/images + out_dir/boxes.csv.

    Several photos per individual, because drawing an individual is the slow part and the box
    depends on pose, scale and scene, not on who the whale is. The random streams are keyed on
    ("box-proposer", seed), so they never repeat the demo's or a catalog's photos.
    """
    from .synthetic import FlukeIdentity, render_photo

    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    items: list[tuple[Path, BoundingBox]] = []
    rows = []
    tag = 0xB0C5  # keys the streams to this generator (the catalog generator uses [seed, 1|2|3|4, ...])
    for i in range(n):
        number, k = divmod(i, max(1, photos_per_individual))
        if k == 0:
            identity = FlukeIdentity.random(np.random.default_rng([tag, seed, 1, number]))
        rng = np.random.default_rng([tag, seed, 2, number, k])
        size = SYNTHETIC_SIZES[int(rng.integers(len(SYNTHETIC_SIZES)))]
        image, box = render_photo(identity, rng, size)
        name = f"images/box_{i + 1:05d}.jpg"
        image.save(out / name, "JPEG", quality=quality)
        items.append((out / name, box))
        rows.append((name, *(f"{v:.1f}" for v in box.as_tuple())))
        if progress is not None:
            progress(Progress(i + 1, n, "rendering synthetic photos"))
    with open(out / "boxes.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image", "x0", "y0", "x1", "y1"])
        writer.writerows(rows)
    return items


# --------------------------------------------------------------------------------------------
# Samples and augmentation


@dataclass
class _Sample:
    image: Image.Image  # grayscale, downscaled
    box: BoundingBox  # in the downscaled image's pixels


def _read_sample(path: Path, box: BoundingBox, max_side: int) -> _Sample:
    image = load_image(path).convert("L")
    w, h = image.size
    box = box.clipped(w, h)
    scale = min(1.0, max_side / max(w, h))
    if scale < 1.0:
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        image = image.resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=3.0)
        sx, sy = nw / w, nh / h
        box = BoundingBox(box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy).clipped(nw, nh)
    return _Sample(image, box)


def _random_frame(sample: _Sample, rng: np.random.Generator) -> tuple[Image.Image, BoundingBox]:
    """Half the time, a random sub-window of the photo that still holds the whole box (a tighter
    framing, another aspect); otherwise the photo as it is."""
    image, box = sample.image, sample.box
    w, h = image.size
    if rng.random() < 0.5:
        return image, box
    bw, bh = box.width, box.height
    cw = rng.uniform(min(w, bw * 1.15 + 4), w)
    ch = rng.uniform(min(h, bh * 1.3 + 4), h)
    x0 = rng.uniform(max(0.0, box.x1 - cw), max(max(0.0, box.x1 - cw), min(box.x0, w - cw)))
    y0 = rng.uniform(max(0.0, box.y1 - ch), max(max(0.0, box.y1 - ch), min(box.y0, h - ch)))
    left, top = int(math.floor(x0)), int(math.floor(y0))
    right, bottom = min(w, int(math.ceil(x0 + cw))), min(h, int(math.ceil(y0 + ch)))
    if right - left < 8 or bottom - top < 8:
        return image, box
    crop = image.crop((left, top, right, bottom))
    moved = BoundingBox(box.x0 - left, box.y0 - top, box.x1 - left, box.y1 - top).clipped(right - left, bottom - top)
    return crop, moved


def _augment(sample: _Sample, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    image, box = _random_frame(sample, rng)
    if rng.random() < 0.2:
        image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.5))))
    zoom = 1.0 if rng.random() < 0.5 else float(rng.uniform(1.0, 1.35))
    x, placement = place_photo(image, size, zoom_out=zoom, offset=(rng.random(), rng.random()))
    target = placement.to_input(box)
    if rng.random() < 0.5:  # mirror: a fluke seen from the other side is still a fluke
        x = x[:, ::-1]
        target = np.array([1.0 - target[2], target[1], 1.0 - target[0], target[3]])
    # photometric: gamma, contrast, brightness, sensor noise
    x = np.power(np.clip(x, 0.0, 1.0), float(np.exp(rng.uniform(-0.4, 0.4))))
    x = (x - 0.5) * float(rng.uniform(0.6, 1.4)) + 0.5 + float(rng.uniform(-0.15, 0.15))
    if rng.random() < 0.3:
        x = x + rng.normal(0.0, rng.uniform(0.005, 0.04), x.shape)
    return np.clip(x, 0.0, 1.0).astype(np.float32), target.astype(np.float32)


# --------------------------------------------------------------------------------------------
# Loss


def _giou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Generalised IoU per row; pred's corners are put in order first (the net may swap them)."""
    px0, px1 = torch.minimum(pred[:, 0], pred[:, 2]), torch.maximum(pred[:, 0], pred[:, 2])
    py0, py1 = torch.minimum(pred[:, 1], pred[:, 3]), torch.maximum(pred[:, 1], pred[:, 3])
    tx0, ty0, tx1, ty1 = target.unbind(1)
    inter = (torch.minimum(px1, tx1) - torch.maximum(px0, tx0)).clamp_min(0) * \
            (torch.minimum(py1, ty1) - torch.maximum(py0, ty0)).clamp_min(0)
    union = (px1 - px0) * (py1 - py0) + (tx1 - tx0) * (ty1 - ty0) - inter
    iou = inter / union.clamp_min(1e-7)
    hull = (torch.maximum(px1, tx1) - torch.minimum(px0, tx0)) * (torch.maximum(py1, ty1) - torch.minimum(py0, ty0))
    return iou - (hull - union) / hull.clamp_min(1e-7)


def _loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 5.0 * F.smooth_l1_loss(pred, target, beta=0.02) + (1.0 - _giou(pred, target)).mean()


# --------------------------------------------------------------------------------------------
# The job


@dataclass
class TrainReport:
    path: Path
    weights_id: str
    metrics: dict  # validation IoU stats (and the epochs' losses)
    skipped: list[ImageError] = field(default_factory=list)
    seconds: float = 0.0


def _validation_ious(net: BoxNet, inputs: np.ndarray, placements: list, samples: list[_Sample]) -> list[float]:
    net.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(inputs), 128):
            preds.append(net(torch.from_numpy(inputs[i:i + 128, None])).double().numpy())
    net.train()
    if not preds:
        return []
    predicted = np.concatenate(preds)
    return [p.to_photo(t).iou(s.box) for p, t, s in zip(placements, predicted, samples)]


def train_box_proposer(items: Sequence[tuple[str | Path, BoundingBox]], out: str | Path, epochs: int = 30,
                       batch_size: int = 64, lr: float = 2e-3, validation: float = 0.1, seed: int = 0,
                       init: str | Path | None = None, card: dict | None = None, max_side: int = 256,
                       channels: Sequence[int] = DEFAULT_CHANNELS, hidden: int = 128) -> Iterator:
    """Train a box proposer on (photo path, box) pairs and save it (with its model card) at `out`.

    validation: share of the photos held out to measure IoU each epoch (none when < 2 photos).
    init: None = from scratch, else a box proposer weights file (or "default") to fine-tune.
    card: extra model-card fields (e.g. "data", "command"); the metrics are added here.
    Unreadable photos are skipped and listed in the report; no usable photo -> WhaleIDError.
    """
    started = time.perf_counter()
    rng = np.random.default_rng([seed, 7])
    torch.manual_seed(seed)
    items = list(items)

    samples: list[_Sample] = []
    skipped: list[ImageError] = []
    for i, (path, box) in enumerate(items):
        try:
            samples.append(_read_sample(Path(path), box, max_side))
        except ImageError as err:
            skipped.append(err)
        yield Progress(i + 1, len(items), "reading photos")
    if not samples:
        raise WhaleIDError("no readable training photo with a box")

    order = rng.permutation(len(samples))
    n_val = int(round(len(samples) * validation)) if len(samples) >= 2 and validation > 0 else 0
    val = [samples[i] for i in order[:n_val]]
    train = [samples[i] for i in order[n_val:]] or val
    prepared = [place_photo(s.image, INPUT_SIZE) for s in val]
    val_inputs = np.stack([x for x, _ in prepared]) if prepared else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.float32)
    val_places = [p for _, p in prepared]

    if init is not None:
        base = BoxProposer.load(None if str(init) == "default" else init)
        net = base.net
        channels = tuple(int(c) for c in base.card.get("channels", DEFAULT_CHANNELS))
        hidden = int(base.card.get("hidden", hidden))
    else:
        net = BoxNet(channels, hidden)
    net.train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = max(1, math.ceil(len(train) / batch_size))
    total_steps = epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps,
                                                   pct_start=0.1 if init is None else 0.02)
    history = []
    step = 0
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(train))
        running, seen = 0.0, 0
        for b in range(steps_per_epoch):
            chunk = [train[j] for j in perm[b * batch_size:(b + 1) * batch_size]]
            if len(chunk) < 2 and len(train) >= 2:  # BatchNorm needs 2+; the lone leftover waits
                continue
            pairs = [_augment(s, rng, INPUT_SIZE) for s in chunk]
            x = torch.from_numpy(np.stack([p[0] for p in pairs])[:, None])
            t = torch.from_numpy(np.stack([p[1] for p in pairs]))
            loss = _loss(net(x), t)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step < total_steps - 1:
                schedule.step()
            step += 1
            running += float(loss.detach()) * len(chunk)
            seen += len(chunk)
            yield Progress((epoch - 1) * steps_per_epoch + b + 1, total_steps,
                           f"training: epoch {epoch}/{epochs}, loss {running / max(seen, 1):.4f}")
        stats = iou_stats(_validation_ious(net, val_inputs, val_places, val)) if val else {}
        history.append({"epoch": epoch, "loss": round(running / max(seen, 1), 5), **stats})
        yield Progress(epoch * steps_per_epoch, total_steps,
                       f"training: epoch {epoch}/{epochs}, loss {running / max(seen, 1):.4f}"
                       + (f", validation mean IoU {stats['mean_iou']:.3f}" if stats else ""))

    net.eval()
    seconds = time.perf_counter() - started
    metrics = {"validation": history[-1] if history else {}, "history": history}
    full_card = {
        "kind": "box proposer",
        "input_size": INPUT_SIZE,
        "anisotropy": ANISOTROPY,
        "channels": [int(c) for c in channels],
        "hidden": int(hidden),
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "training": {"photos": len(samples), "train": len(train), "validation": len(val), "epochs": epochs,
                     "batch_size": batch_size, "lr": lr, "seed": seed, "max_side": max_side,
                     "init": None if init is None else str(init), "seconds": round(seconds, 1),
                     "skipped": len(skipped)},
        "metrics": metrics,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    full_card.update(card or {})
    weights_id = save_box_proposer(net, out, full_card)
    yield Finished(TrainReport(Path(out), weights_id, metrics, skipped, seconds))


# --------------------------------------------------------------------------------------------
# Measuring


def evaluate_box_proposer(proposer: BoxProposer, items: Sequence[tuple[str | Path, BoundingBox]],
                          progress: Callable[[Progress], None] | None = None) -> tuple[dict, list[float]]:
    """IoU stats of the proposals against the true boxes (unreadable photos are left out)."""
    results = proposer.propose_many([p for p, _ in items], progress=progress)
    ious = [r.iou(box) for r, (_, box) in zip(results, items) if isinstance(r, BoundingBox)]
    return iou_stats(ious), ious
