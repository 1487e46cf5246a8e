"""`whaleid demo` (a small synthetic catalog to try every command on), `whaleid synth` (a large
one: training data for the shipped model) and `whaleid gui` (the desktop app)."""

from __future__ import annotations

import time

from ..core.errors import WhaleIDError
from .arg_types import positive_int
from .exit_codes import EXIT_OK
from .progress import ProgressPrinter


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="write a synthetic catalog to try every command on")
    p.add_argument("dir", help="folder to write (created)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--small", action="store_true", help="a tiny set (for tests)")
    p.set_defaults(handler=_cmd_demo)

    p = subparsers.add_parser("synth", help="write a synthetic catalog of N individuals (training data for the "
                                            "shipped model)")
    p.add_argument("dir", help="folder to write: images/, catalog.csv (Image,Id), boxes.csv")
    p.add_argument("--individuals", type=positive_int, default=300)
    p.add_argument("--photos", default="3-5", help="photos per individual, MIN-MAX (default 3-5)")
    p.add_argument("--seed", type=int, default=11, help="the demo uses seed 0; keep training seeds different")
    p.add_argument("--prefix", default="SY", help="individual code prefix (default SY)")
    p.add_argument("--first-number", type=positive_int, default=5001)
    p.set_defaults(handler=_cmd_synth)

    p = subparsers.add_parser("gui", help="open the desktop app")
    p.add_argument("project", nargs="?", help="project folder (default: the last one, or a demo project)")
    p.set_defaults(handler=_cmd_gui)


def _cmd_demo(args) -> int:
    from ..core.synthetic import write_demo

    t0 = time.perf_counter()
    paths = write_demo(args.dir, seed=args.seed, small=args.small)
    print(f"wrote a synthetic catalog in {paths.root} ({time.perf_counter() - t0:.1f} s):")
    for name in ("references_csv", "queries_csv", "train_csv", "boxes_csv"):
        print(f"  {getattr(paths, name)}")
    print("try:  whaleid evaluate {0}/references.csv {0}/queries.csv --boxes {0}/boxes.csv".format(paths.root))
    return EXIT_OK


def _cmd_synth(args) -> int:
    from ..core.synthetic import generate_catalog

    try:
        low, high = (int(v) for v in args.photos.split("-"))
    except ValueError:
        raise WhaleIDError(f"--photos must be MIN-MAX, e.g. 3-5, not {args.photos!r}") from None
    with ProgressPrinter() as bar:
        rows = generate_catalog(args.dir, n_individuals=args.individuals, photos_per_individual=(low, high),
                                seed=args.seed, prefix=args.prefix, first_number=args.first_number, progress=bar)
    print(f"wrote {len(rows)} photos of {args.individuals} individuals to {args.dir} (catalog.csv, boxes.csv)")
    return EXIT_OK


def _cmd_gui(args) -> int:
    from ..gui.app import run_app

    return run_app(args.project)
