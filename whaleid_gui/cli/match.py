"""`whaleid match` (a Kaggle submission CSV, or a project's photos with --project) and
`whaleid evaluate` (MAP@5, top-1, top-5 on labelled queries). The matching itself is the
application layer's (match_csv, match_photos); this module parses, prints and writes the CSV."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import WhaleIDError
from ..core.labels import NEW_WHALE
from .exit_codes import EXIT_FAILED, EXIT_OK
from .match_options import add_match_options
from .progress import ProgressPrinter, warn


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "match", help="rank catalogued individuals for query photos (Kaggle submission CSV)",
        usage="whaleid match REFERENCES.csv QUERIES --out PRED.csv [options]\n"
              "       whaleid match --project DIR [PHOTOS ...] [options]")
    p.add_argument("inputs", nargs="*", metavar="REFERENCES.csv QUERIES",
                   help="REFERENCES.csv (Image,Id) and QUERIES (a CSV with an Image column, or a folder); "
                        "with --project: photos to add and match (default: the project's queue)")
    p.add_argument("--out", help="PRED.csv to write (Image,Id with space-separated IDs)")
    p.add_argument("--project", help="match the project's photos against its confirmed individuals and record "
                                     "the ranked candidates in it")
    p.add_argument("--user", help="with --project: who is recorded (default: the login name)")
    add_match_options(p, csv_files=True, project=True)
    p.set_defaults(handler=_cmd_match)

    p = subparsers.add_parser("evaluate", help="MAP@5, top-1 and top-5 on labelled queries")
    p.add_argument("references", help="REFERENCES.csv with columns Image,Id")
    p.add_argument("queries", help="QUERIES.csv with columns Image,Id (Id may be new_whale)")
    p.add_argument("--out", help="also write the predictions here")
    add_match_options(p, csv_files=True, project=False)
    p.set_defaults(handler=_cmd_evaluate)


def _cmd_match(args) -> int:
    if args.project:
        from .project import run_match_project

        args.photos = args.inputs or None
        return run_match_project(args)
    if len(args.inputs) != 2 or not args.out:
        raise WhaleIDError("match needs REFERENCES.csv, QUERIES and --out PRED.csv (or --project DIR)")
    from ..core.csv_io import read_queries

    references, queries_source = args.inputs
    queries = read_queries(queries_source)
    result = _match(args, references, queries)
    write_predictions(args.out, queries, result.predictions)
    failed = sum(p is None for p in result.predictions)
    print(f"{result.describe()}\nwrote {len(queries)} rows to {args.out}"
          + (f" ({failed} unreadable queries left with an empty Id)" if failed else ""), file=sys.stderr)
    return EXIT_FAILED if failed == len(queries) else EXIT_OK


def _cmd_evaluate(args) -> int:
    from ..core.csv_io import read_labels
    from ..core.metrics import summarize

    queries = read_labels(args.queries)
    result = _match(args, args.references, queries)
    if args.out:
        write_predictions(args.out, queries, result.predictions)
    scored = [(p, q.id) for p, q in zip(result.predictions, queries) if p is not None]
    if not scored:
        raise WhaleIDError("no query could be read")
    summary = summarize([p for p, _ in scored], [t for _, t in scored])
    known = set(result.reference_ids)
    unknown_truth = sum(1 for _, t in scored if t != NEW_WHALE and t not in known)
    print(result.describe())
    print(f"queries {len(scored)} ({sum(t == NEW_WHALE for _, t in scored)} new_whale)"
          + (f", {len(queries) - len(scored)} unreadable" if len(scored) < len(queries) else ""))
    if unknown_truth:
        print(f"note: {unknown_truth} queries name an individual absent from the references (counted as misses)")
    print(f"MAP@5 {summary['map5']:.4f}  top-1 {summary['top1']:.4f}  top-5 {summary['top5']:.4f}")
    return EXIT_OK


def _match(args, references: str, queries: list):
    """The application's CSV matching with this command's options; skipped files go to stderr."""
    from ..application.match_csv import match_csv
    from ..application.project_engine import EngineConfig

    engine = EngineConfig(weights=args.weights, device=args.device, image_size=args.image_size, top=args.top,
                          rerank=args.rerank or "keypoints")
    with ProgressPrinter() as bar:
        result = match_csv(references, queries, engine, progress=bar, boxes_csv=args.boxes,
                           threshold=args.new_threshold, cache_dir=args.cache_dir)
    for err in result.skipped_references:
        warn(f"skipped reference {err}")
    if result.note:
        warn(result.note)
    for err in result.skipped_queries:
        warn(f"skipped query {err}")
    return result


def write_predictions(path: str | Path, queries: list, predictions: list[list[str] | None]) -> None:
    """PRED.csv: Image as given in the queries, Id = the ranked IDs separated by spaces (empty for an
    unreadable query); written whole or not at all."""
    import pandas as pd

    from ..core.atomic_write import replacing

    path = Path(path)
    frame = pd.DataFrame({"Image": [q.image for q in queries],
                          "Id": [" ".join(p) if p is not None else "" for p in predictions]})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8")
    except OSError as exc:
        raise WhaleIDError(f"{path}: cannot write predictions: {exc.strerror or exc}") from exc
