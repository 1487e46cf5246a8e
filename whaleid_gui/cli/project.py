"""`whaleid project create|migrate|check|info|settings|model|match`: a project (catalog database)
from the command line. Each command opens the project, does one job and closes it; `project check` exits 1
when the project has problems."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..application.photo_subjects import SUBJECT_KEYS
from ..core.errors import WhaleIDError
from .exit_codes import EXIT_FAILED, EXIT_OK
from .match_options import add_match_options
from .progress import ProgressPrinter, warn


def user_option() -> argparse.ArgumentParser:
    """--user, shared by the commands that open a project (a parent parser)."""
    user = argparse.ArgumentParser(add_help=False)
    user.add_argument("--user", help="name recorded with decisions and in the lock (default: login name)")
    return user


def open_project(args, read_only: bool = False):
    """The store of args.project, opened as args.user."""
    from ..core.catalog import ProjectStore

    return ProjectStore.open(args.project, user=getattr(args, "user", None), read_only=read_only)


def register(subparsers) -> None:
    user = user_option()
    p_project = subparsers.add_parser("project", help="create, check or match a project (catalog database)")
    project_sub = p_project.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    p = project_sub.add_parser("create", parents=[user], help="create a project folder")
    p.add_argument("dir", help="project folder (created)")
    p.add_argument("--db", metavar="URL", help="keep the catalog in PostgreSQL: postgresql://user@host:port/database "
                   "(an empty database; one that holds a WhaleID catalog is joined). The password is not saved: "
                   "put it in PGPASSWORD or ~/.pgpass. Default: project.sqlite in the folder")
    p.add_argument("--subject", choices=SUBJECT_KEYS,
                   help="what the photos show, which sets the ranking's default: flukes (the default) and "
                        "other (flanks, heads) verify keypoints; dorsal-fins also matches the trailing "
                        "edge (change it later with `project model DIR --rerank`). A folder joining a "
                        "catalog (--db) follows what the catalog holds")
    p.set_defaults(handler=_cmd_create)
    p = project_sub.add_parser(
        "migrate", parents=[user],
        help="copy project SRC to the new project DEST (SQLite to PostgreSQL with --db, or back); verifies every table",
    )
    p.add_argument("src", help="the project folder to copy (left as it is)")
    p.add_argument("dest", help="the new project folder")
    p.add_argument("--db", metavar="URL", help="DEST's catalog in this empty PostgreSQL database "
                   "(postgresql://user@host:port/database); default: project.sqlite in DEST")
    p.set_defaults(handler=_cmd_migrate)
    p = project_sub.add_parser("check", parents=[user], help="integrity check, orphans and missing image files")
    p.add_argument("dir", help="project folder")
    p.set_defaults(handler=_cmd_check)
    p = project_sub.add_parser("info", parents=[user], help="counts of photos, individuals and decisions")
    p.add_argument("dir", help="project folder")
    p.set_defaults(handler=_cmd_info)
    p = project_sub.add_parser(
        "match", parents=[user],
        help="rank the project's queue (or PHOTOS) against its identified photos; records the candidates",
    )
    p.add_argument("dir", help="project folder")
    p.add_argument("photos", nargs="*", help="photos to match (added to the project); default: the queue")
    add_match_options(p, csv_files=False, project=True)
    p.set_defaults(handler=_cmd_match)
    p = project_sub.add_parser(
        "settings", parents=[user],
        help="show or set the sharing settings (species, location codes, dataset metadata): KEY=VALUE ...",
    )
    p.add_argument("dir", help="project folder")
    p.add_argument("values", nargs="*", metavar="KEY=VALUE", help="settings to change (none: show them)")
    p.set_defaults(handler=_cmd_settings)
    p = project_sub.add_parser(
        "model", parents=[user],
        help="show or set the project's model (species profile): imagenet, flukes, untrained or a weights file",
    )
    p.add_argument("dir", help="project folder")
    p.add_argument("model", nargs="?", help="imagenet (general, the default), flukes (synthetic-fluke "
                                             "weights), untrained, or a weights file; none: show it")
    p.add_argument("--rerank", choices=["keypoints", "fin-edges", "none"],
                   help="also set what ranks after the embedding: keypoints (the default), fin-edges "
                        "(keypoints and the dorsal fin's trailing edge: fin catalogs), none")
    p.set_defaults(handler=_cmd_model)


def _cmd_create(args) -> int:
    from ..application.new_project import create_project
    from ..core.catalog.db_postgres import parse_url

    store, note = create_project(args.dir, args.subject, user=args.user, db_url=args.db)
    with store:
        settings = store.settings
        print(f"created project {store.folder} ({settings['subject']}; re-ranking: {settings['rerank']})")
        if note:
            warn(note)
        if args.db:
            print(f"catalog: {store.location} (schema {store.schema_version}, {store.count_photos()} photos)")
    if args.db and parse_url(args.db).password:
        warn("the password was not saved; put it in PGPASSWORD or ~/.pgpass for the next commands")
    return EXIT_OK


def _cmd_migrate(args) -> int:
    from ..core.catalog.copy_catalog import migrate_project

    report = migrate_project(args.src, args.dest, db_url=args.db, user=args.user)
    for t in report:
        print(f"{t.table}: {t.rows} rows, sha256 {t.checksum[:16]} (same in both)")
    print(f"copied {args.src} to {Path(args.dest).expanduser().absolute()}: {len(report)} tables verified")
    return EXIT_OK


def _cmd_check(args) -> int:
    args.project = args.dir
    with open_project(args, read_only=True) as store:
        report = store.check()
        shared = store.backend == "postgresql"
    for line in report.problems:
        print(f"problem: {line}")
    for line in report.orphans:
        print(f"orphan: {line}")
    for path in report.missing_files:
        print(f"missing file: {path}")
    if report.missing_files and shared:
        # the catalog is shared; the photo paths are the ones of the machine that imported them
        print("note: photos are found by their absolute path; mount the lab's photo share at the same "
              "path on every reviewer's machine")
    if report.empty_individuals:
        print(f"note: {len(report.empty_individuals)} individuals have no photos: {', '.join(report.empty_individuals[:20])}")
    print("project OK" if report.ok else "project has problems")
    return EXIT_OK if report.ok else EXIT_FAILED


def _cmd_info(args) -> int:
    from ..core.catalog.store import SUBJECT_FACT

    args.project = args.dir
    with open_project(args, read_only=True) as store:
        counts = {s: store.count_photos(s) for s in ("needs_box", "needs_decision", "done")}
        print(f"project {store.folder} (schema {store.schema_version})")
        print(f"catalog: {store.location}")
        print(f"photos: {sum(counts.values())} ({counts['needs_box']} need a box, "
              f"{counts['needs_decision']} need a decision, {counts['done']} identified)")
        print(f"individuals: {len(store.individuals())}; decisions: {len(store.decisions())}")
        print(f"photos show: {store.catalog_fact(SUBJECT_FACT) or 'not recorded (made before WhaleID asked)'}")
    return EXIT_OK


def _cmd_settings(args) -> int:
    from ..core.catalog.sharing_settings import describe, parse_setting, sharing_settings

    args.project = args.dir
    values = {}
    for item in args.values:
        key, sep, value = item.partition("=")
        if not sep:
            raise WhaleIDError(f"{item!r}: give settings as KEY=VALUE (e.g. location_id=NZ-NORTH)")
        values[key.strip()] = parse_setting(key.strip(), value)
    with open_project(args, read_only=not values) as store:
        if values:
            store.update_settings(**values)
        lines = describe(sharing_settings(store, check_species=False))  # shown so that they can be set
    print("\n".join(lines))
    return EXIT_OK


def _cmd_model(args) -> int:
    from ..application.project_engine import weights_setting
    from ..core.model_names import DEFAULT_MODEL, MODEL_NAMES, describe_model

    args.project = args.dir
    with open_project(args, read_only=args.model is None and args.rerank is None) as store:
        if args.model is not None:
            if args.model not in MODEL_NAMES and not Path(args.model).is_file():
                raise WhaleIDError(f"{args.model}: neither a model name ({', '.join(MODEL_NAMES)}) nor a weights file")
            store.update_settings(weights=weights_setting(args.model, store.folder))
        if args.rerank is not None:
            store.update_settings(rerank=args.rerank)
        current, rerank = store.settings.get("weights"), store.settings.get("rerank")
        subject = store.settings.get("subject")
    if subject:
        print(f"photos show: {subject}")
    print(f"model: {current or f'{DEFAULT_MODEL} (default)'} - {describe_model(current)}")
    print(f"re-ranking: {rerank or 'keypoints (default)'}")
    return EXIT_OK


def _cmd_match(args) -> int:
    args.project = args.dir
    return run_match_project(args)


def run_match_project(args) -> int:
    """Rank the project's queue (or the given PHOTOS, added to the project first) against its
    identified photos and record the ranked candidates (`project match` and `match --project`).
    args: project, photos, weights, top, new_threshold, device, image_size, cache_dir,
    include_unboxed, rerank, user.

    The engine is the app's: the project's active weights and re-ranking setting, unless
    --weights or --rerank say otherwise."""
    from ..application.match_photos import match_photos
    from ..application.project_engine import EngineConfig, project_engine

    rerank = getattr(args, "rerank", None)
    base = EngineConfig(weights=args.weights, device=args.device, image_size=args.image_size, top=args.top,
                        rerank=rerank or "keypoints")
    with open_project(args) as store:
        engine, message = project_engine(store.settings, store.folder, base,
                                         keep_weights=args.weights is not None, keep_rerank=rerank is not None)
        if message:
            warn(message)
        with ProgressPrinter() as bar:
            result = match_photos(store, engine, progress=bar, photos=args.photos, threshold=args.new_threshold,
                                  cache_dir=args.cache_dir, include_unboxed=args.include_unboxed)
    if result.rerank_note:
        warn(result.rerank_note)
    for path, reason in result.errors:
        warn(f"not matched: {path}: {reason}")
    print(result.summary())
    return EXIT_OK
