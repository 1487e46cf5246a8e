"""`whaleid boxes propose` and `whaleid boxes train`: the box proposer from the command line.

A photo that cannot be read is reported on stderr and skipped; the rest goes on. No Qt here.
"""

from __future__ import annotations

import contextlib
import csv
import shlex
import sys
import tempfile
import time
from pathlib import Path

from ..core.errors import BadInputError, WhaleIDError
from .arg_types import count, positive_int, share
from .exit_codes import EXIT_FAILED, EXIT_OK
from .progress import ProgressPrinter, warn


@contextlib.contextmanager
def _threads(n: int | None):
    """torch's thread count for one command, restored afterwards (main() may run in a longer process).

    A ~0.4 M-parameter net gains nothing from more threads and loses a lot when the cores are
    shared (measured: 2 ms/photo on 1 thread, 29 ms on 2 busy threads), so 1 unless asked.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n or 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------------------------ propose
def _photo_paths(sources: list[str]) -> list[Path]:
    from ..core.csv_io import IMAGE_SUFFIXES

    paths: list[Path] = []
    for source in sources:
        p = Path(source)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                warn(f"skipped {p}: folder holds no images (.jpg, .png, .tif, .webp, .bmp)")
            paths.extend(found)
        else:
            paths.append(p)  # a missing or bad file is reported when it is read
    return paths


def _image_cell(path: Path, csv_dir: Path) -> str:
    """The photo's path relative to the CSV's folder when it lies inside it, else absolute."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(csv_dir.resolve()).as_posix()
    except ValueError:
        return str(absolute)


def _write_rows_atomically(out: Path, header: list[str], rows: list[tuple]) -> None:
    from ..core.atomic_write import atomic_write

    with atomic_write(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _cmd_propose(args) -> int:
    with _threads(args.threads):
        return _propose(args)


def _propose(args) -> int:
    from ..core.box_proposer import BoxProposer
    from ..core.boxes import BoundingBox

    out = Path(args.out)
    if out.is_dir():
        raise BadInputError(out, "is a directory; --out needs a CSV file name")
    proposer = BoxProposer.load(args.weights)
    paths = _photo_paths(args.photos)
    if not paths:
        raise WhaleIDError("no photos to propose boxes for")
    t0 = time.perf_counter()
    with ProgressPrinter() as bar:
        results = proposer.propose_many(paths, progress=bar)
    rows, failed = [], 0
    for path, result in zip(paths, results):
        if isinstance(result, BoundingBox):
            rows.append((_image_cell(path, out.parent), *(f"{v:.1f}" for v in result.as_tuple())))
        else:
            failed += 1
            warn(f"skipped {result}")
    _write_rows_atomically(out, ["Image", "x0", "y0", "x1", "y1"], rows)
    took = time.perf_counter() - t0
    print(f"wrote {len(rows)} proposed boxes to {out} ({took:.1f} s, weights {proposer.weights_id})"
          + (f"; {failed} unreadable photo(s) skipped" if failed else ""), file=sys.stderr)
    return EXIT_FAILED if failed and not rows else EXIT_OK


# ------------------------------------------------------------------------------------ train
def _synthetic_items(n: int, seed: int, folder: str | Path, bar) -> list:
    """n rendered photos in `folder` (reused when it already holds exactly those)."""
    from ..core.box_proposer_train import render_synthetic_boxes
    from ..core.csv_io import read_boxes

    target = Path(folder)
    stamp = target / "synthetic.txt"
    if stamp.exists() and stamp.read_text().strip() == f"n={n} seed={seed}" and (target / "boxes.csv").exists():
        print(f"reusing {n} synthetic photos in {target}", file=sys.stderr)
        return list(read_boxes(target / "boxes.csv").items())
    items = render_synthetic_boxes(target, n, seed=seed, progress=bar)
    stamp.write_text(f"n={n} seed={seed}\n")
    return items


def _train_command(args) -> str:
    """The command line that reproduces this run (every option spelled out), for the model card."""
    words = ["whaleid", "boxes", "train"] + ([args.boxes_csv] if args.boxes_csv else [])
    words += ["--out", args.out, "--epochs", str(args.epochs)]
    if args.synthetic:
        words += ["--synthetic", str(args.synthetic), "--synthetic-seed", str(args.synthetic_seed)]
    words += ["--init", args.init, "--batch-size", str(args.batch_size), "--lr", str(args.lr),
              "--validation", str(args.validation), "--seed", str(args.seed), "--threads", str(args.threads or 1)]
    return shlex.join(words)


def _cmd_train(args) -> int:
    with _threads(args.threads):
        return _train(args)


def _train(args) -> int:
    from ..core.box_proposer_train import train_box_proposer
    from ..core.csv_io import read_boxes
    from ..core.progress import Finished

    if not args.boxes_csv and not args.synthetic:
        raise WhaleIDError("boxes train needs TRAIN_BOXES.csv, --synthetic N, or both")
    items = []
    data = []
    if args.boxes_csv:
        boxes = read_boxes(args.boxes_csv)
        items.extend(boxes.items())
        data.append(f"{len(boxes)} photos with boxes from {Path(args.boxes_csv).name}")
    t0 = time.perf_counter()
    # Without --synthetic-dir the rendered photos live in a temporary folder, removed at the end.
    with ProgressPrinter() as bar, tempfile.TemporaryDirectory(prefix="whaleid-boxes-") as scratch:
        if args.synthetic:
            folder = args.synthetic_dir or scratch
            items.extend(_synthetic_items(args.synthetic, args.synthetic_seed, folder, bar))
            data.append(f"{args.synthetic} synthetic fluke photos (whaleid_gui.core.box_proposer_train."
                        f"render_synthetic_boxes, seed {args.synthetic_seed})")
        card = {"data": "; ".join(data), "command": _train_command(args)}
        job = train_box_proposer(items, args.out, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                 validation=args.validation, seed=args.seed,
                                 init=None if args.init == "scratch" else args.init, card=card)
        report = None
        for event in job:
            if isinstance(event, Finished):
                report = event.value
            else:
                bar(event)
                if ", validation" in event.message and not bar.interactive:
                    print(f"  {event.message}", file=sys.stderr)  # one line per epoch in a log
    for err in report.skipped:
        warn(f"skipped {err}")
    val = report.metrics.get("validation", {})
    summary = (f"validation mean IoU {val['mean_iou']:.3f}, IoU>0.5 {val['iou_gt_0.5']:.1%}, "
               f"IoU>0.7 {val['iou_gt_0.7']:.1%} on {val['n']} photos") if val.get("n") else "no validation photos"
    print(f"wrote {report.path} (weights {report.weights_id}) in {time.perf_counter() - t0:.0f} s; {summary}",
          file=sys.stderr)
    return EXIT_OK


# ------------------------------------------------------------------------------------ register
def register(subparsers) -> None:
    """Add `boxes propose` and `boxes train` to whaleid's subcommands."""
    boxes = subparsers.add_parser("boxes", help="propose fluke boxes for photos, or train the box proposer")
    sub = boxes.add_subparsers(dest="boxes_command", metavar="ACTION", required=True)

    p = sub.add_parser("propose", help="write a proposed fluke box for every photo (Image,x0,y0,x1,y1)")
    p.add_argument("photos", nargs="+", metavar="PHOTOS", help="photo files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="BOXES.csv to write (Image paths relative to its folder)")
    p.add_argument("--weights", help="box proposer weights (default: the shipped model_weights/box_proposer.pt)")
    p.add_argument("--threads", type=positive_int, help="CPU threads for torch (default 1)")
    p.set_defaults(handler=_cmd_propose)

    p = sub.add_parser("train", help="train a box proposer on photos with boxes (and/or synthetic photos)")
    p.add_argument("boxes_csv", nargs="?", metavar="TRAIN_BOXES.csv", help="Image,x0,y0,x1,y1 of the lab's photos")
    p.add_argument("--out", required=True, help="weights file to write")
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--synthetic", type=count, default=0, metavar="N", help="also render N synthetic fluke photos")
    p.add_argument("--synthetic-seed", type=int, default=1)
    p.add_argument("--synthetic-dir", help="keep the synthetic photos here (reused when it holds the same set)")
    p.add_argument("--init", default="scratch", help="scratch (default) | default (fine-tune the shipped model) "
                                                     "| PATH of box proposer weights")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--validation", type=share, default=0.1, help="share of photos held out (default 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=positive_int, help="CPU threads for torch (default 1)")
    p.set_defaults(handler=_cmd_train)
