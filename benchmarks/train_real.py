"""Fine-tuning on REAL photos, measured on individuals it never saw (issue 11).

For each nyala_train fold: train with the product's own use case (application.train_model, as the
training panel and `whaleid train` do) on the OTHER folds' photos, with a share of those training
individuals held out for the run's own validation (early stopping, best epoch); then rank the
fold's queries against the fold's catalog with the trained weights through the product's match
use case (eval_real.product_mode), embedding alone and with keypoints, beside the zero-shot
default. The fold measured is never seen in training or validation.

    .venv/bin/python benchmarks/train_real.py --folds 0 --recipes arcface-fast [--work DIR]

Recipes: `arcface-fast` (frozen trunk, cached augmented copies, ArcFace; the CPU recipe) and
`siamese-fast` (the same with the Siamese head and LAP-mined pairs, the mission's method).
Weights trained here stay in --work: nothing trained on nyala_train may enter the repository.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import eval_real  # noqa: E402
import real_sets  # noqa: E402

RECIPES = {
    "arcface-fast": {"objective": "arcface", "fast": True},
    "siamese-fast": {"objective": "siamese", "fast": True},
}


def train(split, recipe: str, work: Path, epochs: int, image_size: int, lr: float) -> tuple[Path, float, list]:
    from whaleid_gui.application.train_model import csv_training_data, train_model
    from whaleid_gui.application.train_settings import TrainSettings
    from whaleid_gui.core.progress import drive
    from whaleid_gui.core.training_events import EpochReport, StartingPoint

    tag = split.name.replace(" ", "_")
    train_csv = eval_real._write_csv(work / f"{tag}_train.csv", split.train_paths, split.train_ids)
    data, missing = csv_training_data(train_csv)
    out = work / f"{tag}_{recipe}.pt"
    settings = TrainSettings(out=str(out), epochs=epochs, image_size=image_size, device="cpu", learning_rate=lr,
                             validation_fraction=0.15, seed=0, **RECIPES[recipe])
    start = time.perf_counter()
    lines = []

    def show(event):
        if isinstance(event, StartingPoint):
            lines.append(f"before training: val MAP@5 {event.val_map5:.3f}")
            print(f"  {lines[-1]}", file=sys.stderr, flush=True)
        elif isinstance(event, EpochReport):
            lines.append(f"epoch {event.epoch}: K {event.k:g} hard-pair score {event.hard_pair_score:.2f} "
                         f"loss {event.loss:.3f} acc {event.pair_accuracy:.2f} "
                         f"val {event.val_map5 if event.val_map5 is None else round(event.val_map5, 3)} "
                         f"best {event.best_epoch}{' (stopped)' if event.stopped_early else ''} "
                         f"{event.seconds:.0f} s")
            print(f"  {lines[-1]}", file=sys.stderr, flush=True)

    drive(train_model(settings, lambda: data, trained_in="benchmarks/train_real.py"), on_event=show)
    return out, (time.perf_counter() - start) / 60, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--recipes", default="arcface-fast")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--image-size", type=int, default=384)
    parser.add_argument("--lr", type=float, default=64e-5, help="the network's base learning rate")
    parser.add_argument("--zero-shot", action="store_true", help="also rank with the zero-shot default")
    parser.add_argument("--work", help="training CSVs, weights and caches (default: a temp folder)")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-train-real-"))
    work.mkdir(parents=True, exist_ok=True)
    folds = real_sets.nyala_folds()
    print(f"{date.today()} — {platform.machine()}, {__import__('os').cpu_count()} cores; {' '.join(sys.argv)}")
    print("| fold | mode | MAP@5 | top-1 | top-5 | training minutes |")
    print("|---|---|---|---|---|---|")
    for f in (int(x) for x in args.folds.split(",")):
        split = folds[f]
        modes = [("zero-shot " + m, "imagenet:" + m, None) for m in ("none", "keypoints")] if args.zero_shot else []
        for recipe in args.recipes.split(","):
            weights, minutes, _lines = train(split, recipe, work, args.epochs, args.image_size, args.lr)
            modes += [(f"{recipe} {m}", f"{weights}:{m}", minutes) for m in ("none", "keypoints")]
        for name, mode, minutes in modes:
            predictions, _ = eval_real.product_mode(split, mode, work)
            m = real_sets.metrics(predictions, split.truth)
            spent = "" if minutes is None else f"{minutes:.1f}"
            print(f"| {f} | {name} | {m['map5']:.3f} | {m['top1']:.2f} | {m['top5']:.2f} | {spent} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
