"""Headless commands: match, evaluate, train, demo (and the project commands of cli_project).

No Qt here. Bad input ends with a non-zero exit and a one-line reason; a bad image in a batch is
reported on stderr and skipped, the rest goes on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .cli_args import positive_int, threshold
from .core.errors import WhaleIDError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def _add_match_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", help="weights file (default: the shipped model, see README; with --project: "
                                     "the project's active weights)")
    p.add_argument("--boxes", help="BOXES.csv: Image,x0,y0,x1,y1 for any image (others use the whole photo)")
    p.add_argument("--top", type=positive_int, default=5, help="how many IDs per query (default 5)")
    p.add_argument("--new-threshold", type=threshold, default="auto",
                   help="auto (calibrated on the references, default), none, or a score in [0, 1]")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: CUDA if present")
    p.add_argument("--image-size", type=positive_int, help="model input size in px (default: the weights' own)")
    p.add_argument("--cache-dir", help="feature cache folder (default: ~/.cache/whaleid)")
    p.add_argument("--rerank", choices=["keypoints", "none"],
                   help="keypoints (default; with --project: the project's setting): verify the top 20 "
                        "individuals by local features and fuse both scores; none: the embedding alone (see README)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whaleid", description="Photo-identification of humpback whale flukes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "match", help="rank catalogued individuals for query photos (Kaggle submission CSV)",
        usage="whaleid match REFERENCES.csv QUERIES --out PRED.csv [options]\n"
              "       whaleid match --project DIR [PHOTOS ...] [options]")
    p.add_argument("inputs", nargs="*", metavar="REFERENCES.csv QUERIES",
                   help="REFERENCES.csv (Image,Id) and QUERIES (a CSV with an Image column, or a folder); "
                        "with --project: photos to add and match (default: the project's queue)")
    p.add_argument("--out", help="PRED.csv to write (Image,Id with space-separated IDs)")
    p.add_argument("--project", help="match the project's photos against its confirmed individuals and record "
                                     "the ranked candidates in it")
    p.add_argument("--include-unboxed", action="store_true", help="with --project: also photos without a box")
    p.add_argument("--user", help="with --project: who is recorded (default: the login name)")
    _add_match_options(p)

    p = sub.add_parser("evaluate", help="MAP@5, top-1 and top-5 on labelled queries")
    p.add_argument("references", help="REFERENCES.csv with columns Image,Id")
    p.add_argument("queries", help="QUERIES.csv with columns Image,Id (Id may be new_whale)")
    p.add_argument("--out", help="also write the predictions here")
    _add_match_options(p)

    p = sub.add_parser("train", help="fine-tune on a catalog with LAP-mined pairs")
    p.add_argument("train_csv", metavar="TRAIN.csv", help="Image,Id")
    p.add_argument("--out", required=True, help="weights file to write (checkpointed every epoch)")
    p.add_argument("--init", default="default", help="default | scratch | PATH of weights to start from")
    p.add_argument("--branch", choices=["reference", "efficientnet-lite0"], help="with --init scratch/default")
    p.add_argument("--epochs", type=positive_int, default=20)
    p.add_argument("--image-size", type=positive_int, help="input size in px (default 384)")
    p.add_argument("--batch-size", type=positive_int, default=16)
    p.add_argument("--lr", type=float, default=64e-5, help="base learning rate (SIAMESE.md: 64e-5)")
    p.add_argument("--mine-every", type=positive_int, default=5, help="epochs between score recomputations")
    p.add_argument("--boxes", help="BOXES.csv for the training photos")
    p.add_argument("--validation", type=float, default=0.0, help="share of individuals held out (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from OUT.resume")
    p.add_argument("--objective", choices=["siamese", "arcface"], default="siamese",
                   help="siamese: pair head with LAP-mined pairs (SIAMESE.md); arcface: angular-margin "
                        "classification of the training individuals, ranked by cosine")
    p.add_argument("--fast", action="store_true",
                   help="CPU-friendly: freeze the early backbone, cache its features, train the last stages + head")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])

    p = sub.add_parser("demo", help="write a synthetic catalog to try every command on")
    p.add_argument("dir", help="folder to write (created)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--small", action="store_true", help="a tiny set (for tests)")

    p = sub.add_parser("synth", help="write a synthetic catalog of N individuals (training data for the shipped model)")
    p.add_argument("dir", help="folder to write: images/, catalog.csv (Image,Id), boxes.csv")
    p.add_argument("--individuals", type=positive_int, default=300)
    p.add_argument("--photos", default="3-5", help="photos per individual, MIN-MAX (default 3-5)")
    p.add_argument("--seed", type=int, default=11, help="the demo uses seed 0; keep training seeds different")
    p.add_argument("--prefix", default="SY", help="individual code prefix (default SY)")
    p.add_argument("--first-number", type=positive_int, default=5001)

    p = sub.add_parser("gui", help="open the desktop app")
    p.add_argument("project", nargs="?", help="project folder (default: the last one, or a demo project)")

    try:
        from . import cli_project
    except ImportError:  # the catalog commands are optional while they are being built
        cli_project = None
    if cli_project is not None:
        cli_project.register(sub)
    from . import cli_boxes  # boxes propose|train (the box proposer)
    cli_boxes.register(sub)
    from . import cli_decide, cli_report

    cli_decide.register(sub)
    cli_report.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = getattr(args, "handler", None) or _HANDLERS[args.command]
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("whaleid: interrupted", file=sys.stderr)
        return 130
    except WhaleIDError as exc:
        print(f"whaleid: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _cmd_match(args) -> int:
    if args.project:
        from .cli_project import run_match_project

        args.photos = args.inputs or None
        return run_match_project(args)
    if len(args.inputs) != 2 or not args.out:
        raise WhaleIDError("match needs REFERENCES.csv, QUERIES and --out PRED.csv (or --project DIR)")
    args.references, args.queries = args.inputs
    from .commands.match import run_match

    return run_match(args)


def _cmd_evaluate(args) -> int:
    from .commands.match import run_evaluate

    return run_evaluate(args)


def _cmd_train(args) -> int:
    from .commands.train import run_train

    return run_train(args)


def _cmd_demo(args) -> int:
    from .core.synthetic import write_demo

    t0 = time.perf_counter()
    paths = write_demo(args.dir, seed=args.seed, small=args.small)
    print(f"wrote a synthetic catalog in {paths.root} ({time.perf_counter() - t0:.1f} s):")
    for name in ("references_csv", "queries_csv", "train_csv", "boxes_csv"):
        print(f"  {getattr(paths, name)}")
    print("try:  whaleid evaluate {0}/references.csv {0}/queries.csv --boxes {0}/boxes.csv".format(paths.root))
    return 0


def _cmd_synth(args) -> int:
    from .commands.progress_bar import ProgressBar
    from .core.synthetic import generate_catalog

    try:
        low, high = (int(v) for v in args.photos.split("-"))
    except ValueError:
        raise WhaleIDError(f"--photos must be MIN-MAX, e.g. 3-5, not {args.photos!r}")
    with ProgressBar() as bar:
        rows = generate_catalog(args.dir, n_individuals=args.individuals, photos_per_individual=(low, high),
                                seed=args.seed, prefix=args.prefix, first_number=args.first_number, progress=bar)
    print(f"wrote {len(rows)} photos of {args.individuals} individuals to {args.dir} (catalog.csv, boxes.csv)")
    return 0


def _cmd_gui(args) -> int:
    from .gui.app import run_app

    return run_app(args.project)


_HANDLERS = {"match": _cmd_match, "evaluate": _cmd_evaluate, "train": _cmd_train, "demo": _cmd_demo, "synth": _cmd_synth,
             "gui": _cmd_gui}
