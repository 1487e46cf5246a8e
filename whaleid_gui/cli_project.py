"""Project commands of the CLI: `project create|check|info|match`, `import ...`, `export ...`.

`register(subparsers)` adds them to whaleid's parser (cli.py); `main(argv)` runs them alone.
Every command opens the project, does one job and closes it; errors are WhaleIDError with a
one-line message (cli.main prints them and exits with status 2). `project check` exits 1 when
the project has problems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_args import threshold
from .core.errors import WhaleIDError

EXIT_BAD_INPUT = 2
EXPORT_KINDS = ("catalog", "sightings", "decisions", "submission", "coco")


def _err(message: str) -> None:
    print(f"whaleid: {message}", file=sys.stderr)


def _open(args, read_only: bool = False):
    from .core.catalog import ProjectStore

    return ProjectStore.open(args.project, user=getattr(args, "user", None), read_only=read_only)


def _progress():
    try:
        from .commands.progress_bar import ProgressBar

        return ProgressBar()
    except ImportError:  # pragma: no cover - the bar is a nicety
        import contextlib

        return contextlib.nullcontext(None)


# ------------------------------------------------------------------------------------ handlers
def _cmd_project_create(args) -> int:
    from .core.catalog import ProjectStore

    with ProjectStore.create(args.dir, user=args.user) as store:
        print(f"created project {store.folder}")
    return 0


def _cmd_project_check(args) -> int:
    args.project = args.dir
    with _open(args, read_only=True) as store:
        report = store.check()
    for line in report.problems:
        print(f"problem: {line}")
    for line in report.orphans:
        print(f"orphan: {line}")
    for path in report.missing_files:
        print(f"missing file: {path}")
    if report.empty_individuals:
        print(f"note: {len(report.empty_individuals)} individuals have no photos: {', '.join(report.empty_individuals[:20])}")
    print("project OK" if report.ok else "project has problems")
    return 0 if report.ok else 1


def _cmd_project_info(args) -> int:
    args.project = args.dir
    with _open(args, read_only=True) as store:
        counts = {s: store.count_photos(s) for s in ("needs_box", "needs_decision", "done")}
        print(f"project {store.folder} (schema {store.schema_version})")
        print(f"photos: {sum(counts.values())} ({counts['needs_box']} need a box, "
              f"{counts['needs_decision']} need a decision, {counts['done']} identified)")
        print(f"individuals: {len(store.individuals())}; decisions: {len(store.decisions())}")
    return 0


def _print_report(report) -> None:
    for note in report.notes:
        print(f"note: {note}")
    for path, other in report.skipped_duplicates:
        print(f"duplicate (skipped): {path} = {other}")
    for path, other in report.near_duplicates:
        print(f"near-duplicate (imported, flagged): {path} ~ {other}")
    for path, reason in report.errors:
        _err(f"not imported: {path}: {reason}")
    print(report.summary())


def _cmd_import(args) -> int:
    from .core.catalog import importers

    with _open(args) as store:
        if args.kind == "photos":
            with _progress() as bar:
                report = importers.import_folder(store, args.source, progress=bar, survey=args.survey)
        elif args.kind == "catalog":
            with _progress() as bar:
                report = importers.import_catalog(store, args.source, args.images, progress=bar, survey=args.survey)
        elif args.kind == "boxes":
            report = importers.import_boxes(store, args.source, args.images)
        elif args.kind == "coco":
            report = importers.import_coco(store, args.source, args.images)
        else:
            report = importers.import_sightings(store, args.source, args.images)
    _print_report(report)
    return 0


def _cmd_export(args) -> int:
    from .core.catalog.exporters import EXPORTERS

    with _open(args, read_only=True) as store:
        out = EXPORTERS[args.kind](store, args.out, overwrite=args.overwrite)
    print(f"wrote {out}")
    return 0


def _cmd_project_match(args) -> int:
    args.project = args.dir
    return run_match_project(args)


def run_match_project(args) -> int:
    """Rank the project's queue (or the given PHOTOS, added to the project first) against its
    identified photos and record the ranked candidates. args: project, photos, weights, top,
    new_threshold, device, image_size, cache_dir, include_unboxed, user."""
    from .core.catalog.matching_glue import match_project

    with _open(args) as store:
        with _progress() as bar:
            result = match_project(
                store, photos=args.photos, weights=args.weights, top=args.top, threshold=args.new_threshold,
                device=args.device, image_size=args.image_size, cache_dir=args.cache_dir,
                include_unboxed=args.include_unboxed, progress=bar, rerank=getattr(args, "rerank", "keypoints"),
            )
    for path, reason in result.errors:
        _err(f"not matched: {path}: {reason}")
    print(result.summary())
    return 0


# ------------------------------------------------------------------------------------ parser
def add_match_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", help="weights file (default: the shipped model)")
    p.add_argument("--top", type=int, default=5, help="candidates recorded per photo (default 5)")
    p.add_argument("--new-threshold", type=threshold, default="auto",
                   help="auto (calibrated), none, or a score in [0, 1] for the new_whale line")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--image-size", type=int, help="model input size in px (default: the weights' own)")
    p.add_argument("--cache-dir", help="feature cache folder (default: ~/.cache/whaleid)")
    p.add_argument("--include-unboxed", action="store_true",
                   help="also match queue photos without a box (whole photo)")
    p.add_argument("--rerank", choices=["keypoints", "none"], default="keypoints",
                   help="keypoints (default): verify the top candidates by local features; none: embedding only")


def register(subparsers) -> None:
    """Add `project`, `import` and `export` to whaleid's sub-command parser."""
    user = argparse.ArgumentParser(add_help=False)
    user.add_argument("--user", help="name recorded with decisions and in the lock (default: login name)")

    p_project = subparsers.add_parser("project", help="create, check or match a project (catalog database)")
    project_sub = p_project.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    p = project_sub.add_parser("create", parents=[user], help="create a project folder")
    p.add_argument("dir", help="project folder (created)")
    p.set_defaults(handler=_cmd_project_create)
    p = project_sub.add_parser("check", parents=[user], help="integrity check, orphans and missing image files")
    p.add_argument("dir", help="project folder")
    p.set_defaults(handler=_cmd_project_check)
    p = project_sub.add_parser("info", parents=[user], help="counts of photos, individuals and decisions")
    p.add_argument("dir", help="project folder")
    p.set_defaults(handler=_cmd_project_info)
    p = project_sub.add_parser(
        "match", parents=[user],
        help="rank the project's queue (or PHOTOS) against its identified photos; records the candidates",
    )
    p.add_argument("dir", help="project folder")
    p.add_argument("photos", nargs="*", help="photos to match (added to the project); default: the queue")
    add_match_options(p)
    p.set_defaults(handler=_cmd_project_match)

    p_import = subparsers.add_parser("import", help="import photos, a catalog, boxes, COCO or sightings")
    import_sub = p_import.add_subparsers(dest="kind", metavar="KIND", required=True)
    helps = {
        "photos": ("FOLDER", "a folder of survey photos (recursive)"),
        "catalog": ("CSV", "a Kaggle-style catalog CSV: Image,Id"),
        "boxes": ("CSV", "a Kaggle bounding_boxes.csv: Image,x0,y0,x1,y1"),
        "coco": ("JSON", "COCO JSON boxes (labelme, CVAT)"),
        "sightings": ("CSV", "sightings: Image[,Id],date,place,lat,lon,survey,observer"),
    }
    for kind, (metavar, text) in helps.items():
        p = import_sub.add_parser(kind, parents=[user], help=text)
        p.add_argument("source", metavar=metavar)
        p.add_argument("--project", required=True, help="project folder")
        if kind != "photos":
            p.add_argument("--images", help="folder the Image names are relative to (default: the file's folder)")
        if kind in ("photos", "catalog"):
            p.add_argument("--survey", help="survey name recorded with the new photos")
        p.set_defaults(handler=_cmd_import, kind=kind)

    p_export = subparsers.add_parser("export", help="export catalog, sightings, decisions, submission or COCO")
    p_export.add_argument("kind", choices=EXPORT_KINDS)
    p_export.add_argument("out", metavar="OUT", help="file to write (never replaced without --overwrite)")
    p_export.add_argument("--project", required=True, help="project folder")
    p_export.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p_export.set_defaults(handler=_cmd_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whaleid", description="WhaleID project commands")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except WhaleIDError as exc:
        _err(f"error: {exc}")
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
