"""Project commands of the CLI: `project create|check|info|match|settings`, `import ...`, `export ...`.

`register(subparsers)` adds them to whaleid's parser (cli.py); `main(argv)` runs them alone.
Every command opens the project, does one job and closes it; errors are WhaleIDError with a
one-line message (cli.main prints them and exits with status 2). `project check` exits 1 when
the project has problems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_args import positive_int, threshold
from .core.errors import WhaleIDError

EXIT_BAD_INPUT = 2
EXPORT_KINDS = ("catalog", "sightings", "decisions", "submission", "coco", "wildbook", "dwca", "capture-history")
SHARING_KINDS = ("wildbook", "dwca", "capture-history")  # exports that report what they skipped


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


def _cmd_project_settings(args) -> int:
    from .core.catalog.sharing_settings import describe, parse_setting, sharing_settings

    args.project = args.dir
    values = {}
    for item in args.values:
        key, sep, value = item.partition("=")
        if not sep:
            raise WhaleIDError(f"{item!r}: give settings as KEY=VALUE (e.g. location_id=NZ-NORTH)")
        values[key.strip()] = parse_setting(key.strip(), value)
    with _open(args, read_only=not values) as store:
        if values:
            store.update_settings(**values)
        lines = describe(sharing_settings(store))
    print("\n".join(lines))
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
        elif args.kind == "wildbook":
            from .core.catalog.import_wildbook import import_wildbook

            with _progress() as bar:
                report = import_wildbook(store, args.source, args.images, progress=bar)
        else:
            report = importers.import_sightings(store, args.source, args.images)
    _print_report(report)
    return 0


def _cmd_export(args) -> int:
    from .core.catalog import sharing
    from .core.catalog.exporters import EXPORTERS

    options = _sharing_options(args)
    with _open(args, read_only=True) as store:
        if args.kind in SHARING_KINDS:
            report = sharing.export(store, args.kind, args.out, overwrite=args.overwrite, **options)
        else:
            out = EXPORTERS[args.kind](store, args.out, overwrite=args.overwrite)
    if args.kind not in SHARING_KINDS:
        print(f"wrote {out}")
        return 0
    for line in report.lines():
        print(line)
    return 0


def _sharing_options(args) -> dict:
    """The options of one kind of export; an option of another kind is an error (not ignored)."""
    given = {"--photos": args.photos, "--occasions": args.occasions, "--days": args.days}
    allowed = {"wildbook": {"--photos"}, "capture-history": {"--occasions", "--days"}}.get(args.kind, set())
    wrong = [k for k, v in given.items() if v is not None and k not in allowed]
    if wrong:
        raise WhaleIDError(f"{', '.join(wrong)} does not apply to the {args.kind} export")
    if args.kind == "wildbook":
        return {"photos": args.photos or "copy"}
    if args.kind == "capture-history":
        occasions = args.occasions or ("days" if args.days else "survey")
        if occasions == "days" and not args.days:
            raise WhaleIDError("--occasions days needs --days N (the length of an occasion in days)")
        if occasions == "survey" and args.days:
            raise WhaleIDError("--days applies to --occasions days, not to surveys")
        return {"occasions": occasions, "days": args.days}
    return {}


def _cmd_project_match(args) -> int:
    args.project = args.dir
    return run_match_project(args)


def run_match_project(args) -> int:
    """Rank the project's queue (or the given PHOTOS, added to the project first) against its
    identified photos and record the ranked candidates. args: project, photos, weights, top,
    new_threshold, device, image_size, cache_dir, include_unboxed, rerank, user.

    The engine is the app's: the project's active weights and re-ranking setting, unless
    --weights or --rerank say otherwise."""
    from .application.match_photos import match_photos
    from .application.project_engine import EngineConfig, project_engine

    rerank = getattr(args, "rerank", None)
    base = EngineConfig(weights=args.weights, device=args.device, image_size=args.image_size, top=args.top,
                        rerank=rerank or "keypoints")
    with _open(args) as store:
        engine, message = project_engine(store.settings, store.folder, base,
                                         keep_weights=args.weights is not None, keep_rerank=rerank is not None)
        if message:
            _err(message)
        with _progress() as bar:
            result = match_photos(store, engine, progress=bar, photos=args.photos, threshold=args.new_threshold,
                                  cache_dir=args.cache_dir, include_unboxed=args.include_unboxed)
    if result.rerank_note:
        _err(result.rerank_note)
    for path, reason in result.errors:
        _err(f"not matched: {path}: {reason}")
    print(result.summary())
    return 0


# ------------------------------------------------------------------------------------ parser
def add_match_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", help="weights file (default: the project's active weights, else the shipped model)")
    p.add_argument("--top", type=int, default=5, help="candidates recorded per photo (default 5)")
    p.add_argument("--new-threshold", type=threshold, default="auto",
                   help="auto (calibrated), none, or a score in [0, 1] for the new_whale line")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--image-size", type=int, help="model input size in px (default: the weights' own)")
    p.add_argument("--cache-dir", help="feature cache folder (default: the project's cache folder)")
    p.add_argument("--include-unboxed", action="store_true",
                   help="also match queue photos without a box (whole photo)")
    p.add_argument("--rerank", choices=["keypoints", "none"],
                   help="keypoints: verify the top candidates by local features; none: embedding only "
                        "(default: the project's setting, keypoints when unset)")


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
    p = project_sub.add_parser(
        "settings", parents=[user],
        help="show or set the sharing settings (species, location codes, dataset metadata): KEY=VALUE ...",
    )
    p.add_argument("dir", help="project folder")
    p.add_argument("values", nargs="*", metavar="KEY=VALUE", help="settings to change (none: show them)")
    p.set_defaults(handler=_cmd_project_settings)

    p_import = subparsers.add_parser("import", help="import photos, a catalog, boxes, COCO, sightings or Wildbook")
    import_sub = p_import.add_subparsers(dest="kind", metavar="KIND", required=True)
    helps = {
        "photos": ("FOLDER", "a folder of survey photos (recursive)"),
        "catalog": ("CSV", "a Kaggle-style catalog CSV: Image,Id"),
        "boxes": ("CSV", "a Kaggle bounding_boxes.csv: Image,x0,y0,x1,y1"),
        "coco": ("JSON", "COCO JSON boxes (labelme, CVAT)"),
        "sightings": ("CSV", "sightings: Image[,Id],date,place,lat,lon,survey,observer"),
        "wildbook": ("SHEET", "a Wildbook/Flukebook spreadsheet (.xlsx or .csv): Encounter.mediaAsset0.., "
                              "MarkedIndividual.individualID, Encounter.year/month/day, ..."),
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

    p_export = subparsers.add_parser(
        "export", help="export catalog, sightings, decisions, submission, COCO, Wildbook, Darwin Core or "
                       "capture histories")
    p_export.add_argument("kind", choices=EXPORT_KINDS)
    p_export.add_argument("out", metavar="OUT", help="file to write (never replaced without --force); wildbook: "
                                                     ".xlsx or .csv; dwca: .zip; capture-history: .inp (MARK) or .csv")
    p_export.add_argument("--project", required=True, help="project folder")
    p_export.add_argument("--force", "--overwrite", dest="overwrite", action="store_true",
                          help="replace OUT (and a wildbook export's photo folder) if it exists")
    p_export.add_argument("--photos", choices=["copy", "link"],
                          help="wildbook: copy the photos into OUT's _photos folder (default) or link to them")
    p_export.add_argument("--occasions", choices=["survey", "days"],
                          help="capture-history: one occasion per survey (default) or per bin of --days days")
    p_export.add_argument("--days", type=positive_int, help="capture-history: occasion length in days")
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
