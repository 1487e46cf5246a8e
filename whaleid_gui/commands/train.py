"""`whaleid train`: fine-tune with LAP-mined pairs; Ctrl-C keeps the last completed epoch's weights."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.csv_io import read_boxes, read_labels
from ..core.errors import WhaleIDError
from ..core.features import ImageItem
from ..core.progress import Finished, Progress
from ..core.training import EpochReport, TrainConfig, state_path, train_job, training_set
from .progress_bar import ProgressBar


def _initial_model(args):
    from ..core.model import build_model, check_image_size, load_model, resolve_device

    device = resolve_device(args.device)
    if args.init == "scratch":
        model = build_model(args.branch or "reference", imagenet=False, distance_head=False)
    elif args.init == "default":
        if args.branch and args.branch != "efficientnet-lite0":
            model = build_model(args.branch, imagenet=False, distance_head=False)
        else:
            model = load_model(None, device=args.device)
    else:
        model = load_model(args.init, device=args.device)
        if args.branch and args.branch != model.card.architecture:
            raise WhaleIDError(f"{args.init}: holds a {model.card.architecture} model, not {args.branch}")
    if args.image_size:
        model.card.image_size = check_image_size(model.card.architecture, args.image_size)
    return model.to(device)


def run_train(args) -> int:
    rows = read_labels(args.train_csv)
    boxes = read_boxes(args.boxes) if args.boxes else {}
    items = [ImageItem(r.path, boxes.get(r.path.resolve())) for r in rows]
    missing = [i for i, it in enumerate(items) if not it.path.is_file()]
    for i in missing:
        print(f"whaleid: skipped {items[i].path}: file not found", file=sys.stderr)
    keep = [i for i in range(len(items)) if i not in set(missing)]
    items = [items[i] for i in keep]
    ids = [rows[i].id for i in keep]
    model = _initial_model(args)
    if args.resume and not state_path(Path(args.out)).exists():
        raise WhaleIDError(f"{state_path(Path(args.out))}: nothing to resume (no interrupted run here)")
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                         mine_every=args.mine_every, seed=args.seed, validation_fraction=args.validation, fast=args.fast,
                         objective=args.objective,
                         weight_decay=4e-4 if model.card.architecture == "reference" else 0.0)
    usable_items, usable_ids = training_set(items, ids)
    print(f"training {model.card.architecture} at {model.image_size} px on {model.device.type} "
          f"({len(usable_items)} photos of {len(set(usable_ids))} individuals with 2+ photos; "
          f"{len(items) - len(usable_items)} new_whale or single photos left out), {args.epochs} epochs -> {args.out}",
          file=sys.stderr)
    last: EpochReport | None = None
    try:
        with ProgressBar() as bar:
            for event in train_job(model, items, ids, args.out, config, resume=args.resume):
                if isinstance(event, Progress):
                    bar(event)
                elif isinstance(event, EpochReport):
                    last = event
                    bar.close()
                    val = "" if event.val_map5 is None else f" val MAP@5 {event.val_map5:.3f}"
                    print(f"epoch {event.epoch}/{event.epochs}: loss {event.loss:.4f} acc {event.pair_accuracy:.3f} "
                          f"hard-pair score {event.hard_pair_score:.3f} K {event.k:g} lr {event.learning_rate:.1e}{val} "
                          f"({event.seconds:.1f} s, mining {event.mining_seconds:.1f} s)", file=sys.stderr)
                elif isinstance(event, Finished):
                    break
    except KeyboardInterrupt:
        where = f"{args.out} holds epoch {last.epoch}" if last else "no epoch had completed; nothing was written"
        print(f"whaleid: interrupted; {where}. Continue with --resume.", file=sys.stderr)
        return 130
    print(f"saved {args.out}", file=sys.stderr)
    return 0
