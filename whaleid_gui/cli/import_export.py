"""`whaleid import KIND SOURCE --project DIR` and `whaleid export KIND OUT --project DIR`: photos,
catalogs, boxes, COCO, sightings and Wildbook in; catalog, sightings, decisions, submission, COCO,
Wildbook, Darwin Core and capture histories out (never replacing a file without --force)."""

from __future__ import annotations

from ..core.errors import WhaleIDError
from .arg_types import positive_int
from .exit_codes import EXIT_OK
from .progress import ProgressPrinter, warn
from .project import open_project, user_option

EXPORT_KINDS = ("catalog", "sightings", "decisions", "submission", "coco", "wildbook", "dwca", "capture-history")
SHARING_KINDS = ("wildbook", "dwca", "capture-history")  # exports that report what they skipped
IMPORT_KINDS = {
    "photos": ("FOLDER", "a folder of survey photos (recursive)"),
    "catalog": ("CSV", "a Kaggle-style catalog CSV: Image,Id"),
    "boxes": ("CSV", "a Kaggle bounding_boxes.csv: Image,x0,y0,x1,y1"),
    "coco": ("JSON", "COCO JSON boxes (labelme, CVAT)"),
    "sightings": ("CSV", "sightings: Image[,Id],date,place,lat,lon,survey,observer"),
    "wildbook": ("SHEET", "a Wildbook/Flukebook spreadsheet (.xlsx or .csv): Encounter.mediaAsset0.., "
                          "MarkedIndividual.individualID, Encounter.year/month/day, ..."),
}


def register(subparsers) -> None:
    user = user_option()
    p_import = subparsers.add_parser("import", help="import photos, a catalog, boxes, COCO, sightings or Wildbook")
    import_sub = p_import.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, (metavar, text) in IMPORT_KINDS.items():
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


def _cmd_import(args) -> int:
    from ..core.catalog import importers

    with open_project(args) as store:
        if args.kind == "photos":
            with ProgressPrinter() as bar:
                report = importers.import_folder(store, args.source, progress=bar, survey=args.survey)
        elif args.kind == "catalog":
            with ProgressPrinter() as bar:
                report = importers.import_catalog(store, args.source, args.images, progress=bar, survey=args.survey)
        elif args.kind == "boxes":
            report = importers.import_boxes(store, args.source, args.images)
        elif args.kind == "coco":
            report = importers.import_coco(store, args.source, args.images)
        elif args.kind == "wildbook":
            from ..core.catalog.import_wildbook import import_wildbook

            with ProgressPrinter() as bar:
                report = import_wildbook(store, args.source, args.images, progress=bar)
        else:
            report = importers.import_sightings(store, args.source, args.images)
    _print_import_report(report)
    return EXIT_OK


def _print_import_report(report) -> None:
    for note in report.notes:
        print(f"note: {note}")
    for path, other in report.skipped_duplicates:
        print(f"duplicate (skipped): {path} = {other}")
    for path, other in report.near_duplicates:
        print(f"near-duplicate (imported, flagged): {path} ~ {other}")
    for path, reason in report.errors:
        warn(f"not imported: {path}: {reason}")
    print(report.summary())


def _cmd_export(args) -> int:
    from ..core.catalog import sharing
    from ..core.catalog.exporters import EXPORTERS

    options = _sharing_options(args)
    with open_project(args, read_only=True) as store:
        if args.kind in SHARING_KINDS:
            report = sharing.export(store, args.kind, args.out, overwrite=args.overwrite, **options)
        else:
            out = EXPORTERS[args.kind](store, args.out, overwrite=args.overwrite)
    if args.kind not in SHARING_KINDS:
        print(f"wrote {out}")
        return EXIT_OK
    for line in report.lines():
        print(line)
    return EXIT_OK


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
