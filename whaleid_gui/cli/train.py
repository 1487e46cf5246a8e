"""`whaleid train`: fine-tune on an Image,Id catalog with the training panel's use case
(application.train_model): the same initial model, <out>.settings.json at the start, a checkpoint
every epoch and the model card <out>.card.json at the end. Ctrl-C keeps the last completed
epoch's weights; --resume continues from there."""

from __future__ import annotations

import sys

from ..application.train_verdict import epoch_line, run_verdict
from ..core.errors import WhaleIDError
from .arg_types import positive_int, share
from .exit_codes import EXIT_INTERRUPTED, EXIT_OK
from .progress import ProgressPrinter, warn

BRANCHES = ["reference", "efficientnet-lite0"]


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="fine-tune on a catalog with LAP-mined pairs")
    p.add_argument("train_csv", metavar="TRAIN.csv", help="Image,Id")
    p.add_argument("--out", required=True, help="weights file to write (checkpointed every epoch; the run's "
                                                "settings and model card are written beside it)")
    p.add_argument("--init", default="default", help="default | scratch | PATH of weights to start from")
    p.add_argument("--branch", choices=BRANCHES, help="with --init scratch/default")
    p.add_argument("--epochs", type=positive_int, default=20)
    p.add_argument("--image-size", type=positive_int, help="input size in px (default 384)")
    p.add_argument("--batch-size", type=positive_int, default=16)
    p.add_argument("--lr", type=float, default=64e-5, help="base learning rate (ALGORITHM.md: 64e-5)")
    p.add_argument("--mine-every", type=positive_int, default=5, help="epochs between score recomputations")
    p.add_argument("--boxes", help="BOXES.csv for the training photos")
    p.add_argument("--validation", type=share, default=0.0, help="share of individuals held out (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patience", type=int, default=3,
                   help="with --validation: stop after this many epochs without a better validation MAP@5 "
                        "(0: never); the weights file keeps the best epoch")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from OUT.resume")
    p.add_argument("--objective", choices=["siamese", "arcface"], default="siamese",
                   help="siamese: pair head with LAP-mined pairs (ALGORITHM.md); arcface: angular-margin "
                        "classification of the training individuals, ranked by cosine")
    p.add_argument("--fast", action="store_true",
                   help="CPU-friendly: freeze the early backbone, cache its features, train the last stages + head")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(handler=_cmd_train)


def settings_from_args(args):
    """The use case's TrainSettings for these options. --init PATH with a --branch it does not
    hold is an error (the panel, by contrast, starts afresh when the active weights differ)."""
    from ..application.train_model import architecture_of
    from ..application.train_settings import TrainSettings

    init_weights, scratch = None, args.init == "scratch"
    if scratch:
        branch = args.branch or "reference"
    elif args.init == "default":
        branch = args.branch or "efficientnet-lite0"
    else:
        init_weights = args.init
        branch = architecture_of(args.init)
        if args.branch and args.branch != branch:
            raise WhaleIDError(f"{args.init}: holds a {branch} model, not {args.branch}")
    return TrainSettings(out=str(args.out), branch=branch, objective=args.objective, fast=args.fast,
                         epochs=args.epochs, image_size=args.image_size, learning_rate=args.lr,
                         device=args.device, validation_fraction=args.validation, seed=args.seed,
                         batch_size=args.batch_size, mine_every=args.mine_every, init_weights=init_weights,
                         resume=args.resume, scratch=scratch, patience=max(0, args.patience))


def _cmd_train(args) -> int:
    from ..application.train_model import ModelReady, csv_training_data, train_model
    from ..application.train_settings import settings_path
    from ..core.progress import Progress
    from ..core.training import EpochReport
    from ..core.training_events import StartingPoint

    data, missing = csv_training_data(args.train_csv, args.boxes)
    for path in missing:
        warn(f"skipped {path}: file not found")
    settings = settings_from_args(args)
    last: EpochReport | None = None
    start: float | None = None
    job = train_model(settings, lambda: data, trained_in="whaleid train")
    try:
        with ProgressPrinter() as bar:
            while True:
                try:
                    event = next(job)
                except StopIteration as stop:
                    outcome = stop.value
                    break
                if isinstance(event, ModelReady):
                    _print_start(event, settings)
                elif isinstance(event, StartingPoint):
                    bar.close()
                    start = event.val_map5
                    print(f"validation MAP@5 before training: {start:.3f} (the line training must beat)",
                          file=sys.stderr)
                elif isinstance(event, EpochReport):
                    last = event
                    bar.close()
                    _print_epoch(event)
                elif isinstance(event, Progress):
                    bar(event)
    except KeyboardInterrupt:
        job.close()
        where = f"{args.out} holds epoch {last.epoch}" if last else "no epoch had completed; nothing was written"
        print(f"whaleid: interrupted; {where}. Continue with --resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"saved {args.out} (model card {outcome.card}, settings {settings_path(args.out)})", file=sys.stderr)
    print(run_verdict(start, outcome.reports), file=sys.stderr)
    return EXIT_OK


def _print_start(event, settings) -> None:
    s = event.summary
    print(f"training {event.architecture} at {event.image_size} px on {event.device} "
          f"({s.usable_photos} photos of {s.usable_individuals} individuals with 2+ photos; "
          f"{s.photos - s.usable_photos} new_whale or single photos left out), {settings.epochs} epochs -> "
          f"{settings.out}", file=sys.stderr)


def _print_epoch(event) -> None:
    val = "" if event.val_map5 is None else f" val MAP@5 {event.val_map5:.3f}"
    print(f"epoch {event.epoch}/{event.epochs}: loss {event.loss:.4f} acc {event.pair_accuracy:.3f} "
          f"hard-pair score {event.hard_pair_score:.3f} K {event.k:g} lr {event.learning_rate:.1e}{val} "
          f"({event.seconds:.1f} s, mining {event.mining_seconds:.1f} s)", file=sys.stderr)
    note = epoch_line(event)
    if note:
        print(f"  {note}", file=sys.stderr)
