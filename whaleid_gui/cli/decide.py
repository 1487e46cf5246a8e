"""`whaleid decide` and `whaleid undo`: record a scientist's decision on a photo without the app
(for scripts, and to go through a project's queue from a terminal), one photo or a CSV of many.

Several reviewers may decide in the same catalog at once (PostgreSQL, or SQLite opened --shared):
each decision states the photo's decision version the reviewer saw (--version, the CSV's version
column, or else what the photo was when the command started). When someone else decided the photo
since, the decision is not applied (it stays in the history), the other decision is printed and
the command exits with EXIT_CONFLICT; a batch goes on with its other photos."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ..core.errors import WhaleIDError
from .exit_codes import EXIT_CONFLICT, EXIT_FAILED, EXIT_OK

ACTIONS = {"confirm": "confirmed", "reject": "rejected", "new": "new_individual", "skip": "skipped"}


def register(subparsers) -> None:
    p = subparsers.add_parser("decide", help="record a decision on a project photo (confirm/reject/new/skip)")
    p.add_argument("photo", nargs="?", help="the photo: its path, its file name (if unique in the project) or its id")
    p.add_argument("action", nargs="?", choices=sorted(ACTIONS), help="confirm ID | reject ID | new [CODE] | skip")
    p.add_argument("individual", nargs="?", help="the individual's code (confirm/reject); the new code (new)")
    p.add_argument("--name", help="with new: the new individual's name")
    p.add_argument("--from", dest="batch", metavar="CSV",
                   help="decide many photos: a CSV with columns photo,action[,individual][,version]; a photo "
                        "that cannot be decided is reported and the others go on")
    p.add_argument("--version", type=int, help="the photo's decision version you looked at (printed after each "
                                               "decision); refused if someone else decided the photo since")
    p.add_argument("--project", required=True, help="project folder")
    p.add_argument("--user", help="who decided (default: the login name)")
    p.add_argument("--shared", action="store_true",
                   help="SQLite project: write beside other reviewers' commands that open it --shared too")
    p.set_defaults(handler=_cmd_decide)
    p = subparsers.add_parser("undo", help="undo your last decision recorded in a project")
    p.add_argument("--project", required=True, help="project folder")
    p.add_argument("--user", help="whose last decision (default: the login name)")
    p.add_argument("--shared", action="store_true", help="SQLite project: beside other --shared commands")
    p.set_defaults(handler=_cmd_undo)


def _find_photo(store, ref: str):
    if ref.isdigit():
        return store.photo(int(ref))
    found = store.photo_by_path(Path(ref))
    if found is not None:
        return found
    named = [p for p in store.photos() if Path(p.path).name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise WhaleIDError(f"{ref}: {len(named)} photos in the project have this file name; give the path or id")
    raise WhaleIDError(f"{ref}: no such photo in the project {store.folder}")


def _requests(args) -> list[dict]:
    """What to decide: the one photo of the command line, or every line of the --from CSV."""
    if args.batch is None:
        if not args.photo or not args.action:
            raise WhaleIDError("decide needs PHOTO and ACTION (or --from CSV)")
        return [{"photo": args.photo, "action": args.action, "individual": args.individual or "",
                 "version": "" if args.version is None else str(args.version), "line": None}]
    if args.photo:
        raise WhaleIDError("give either PHOTO ACTION or --from CSV, not both")
    try:
        with open(args.batch, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise WhaleIDError(f"{args.batch}: cannot read ({err.strerror})") from err
    if rows and not {"photo", "action"} <= set(rows[0]):
        raise WhaleIDError(f"{args.batch}: needs the columns photo,action[,individual][,version]")
    out = []
    for n, row in enumerate(rows, start=2):
        action = (row.get("action") or "").strip()
        if action not in ACTIONS:
            raise WhaleIDError(f"{args.batch}, line {n}: action {action!r} is not one of {', '.join(sorted(ACTIONS))}")
        out.append({"photo": (row.get("photo") or "").strip(), "action": action,
                    "individual": (row.get("individual") or "").strip(),
                    "version": (row.get("version") or "").strip(), "line": n})
    return out


def _cmd_decide(args) -> int:
    from ..core.catalog import DecisionConflictError, ProjectStore

    requests = _requests(args)
    conflicts = failures = 0
    with ProjectStore.open(args.project, user=args.user, shared=args.shared) as store:
        photos, seen = [], {}  # each photo's version as the command found it, unless one is given
        for req in requests:
            try:
                photo = _find_photo(store, req["photo"])
            except WhaleIDError:
                if req["line"] is None:
                    raise
                photo = None
            photos.append(photo)
            if photo is not None and photo.id not in seen:
                seen[photo.id] = store.decision_state(photo.id)[0]
        for req, photo in zip(requests, photos):
            where = f"{args.batch}, line {req['line']}: " if req["line"] is not None else ""
            try:
                if photo is None:
                    raise WhaleIDError(f"{req['photo']}: no such photo in the project {store.folder}")
                version = int(req["version"]) if req["version"] else seen[photo.id]
                row = _decide_one(store, photo, req, args.name, version)
            except DecisionConflictError as err:
                conflicts += 1
                print(f"{where}not applied: {err}", file=sys.stderr)  # the message names the photo
                continue
            except (WhaleIDError, ValueError) as err:
                if req["line"] is None:
                    raise
                failures += 1
                print(f"{where}{err}", file=sys.stderr)
                continue
            seen[photo.id] = row.photo_version  # our own next decision on it is made on this one
            who = f" by {row.who}" if row.who else ""
            print(f"{Path(photo.path).name}: {row.decision} {row.individual_code or ''}{who} at {row.at} "
                  f"(decision {row.id}, version {row.photo_version})")
    if conflicts:
        return EXIT_CONFLICT
    return EXIT_FAILED if failures else EXIT_OK


def _decide_one(store, photo, req: dict, name: str | None, version: int):
    individual_id = None
    if req["action"] in ("confirm", "reject"):
        if not req["individual"]:
            raise WhaleIDError(f"{req['action']} needs the individual's code")
        individual = store.individual_by_code(req["individual"])
        if individual is None:
            raise WhaleIDError(f"{req['individual']}: no such individual in {store.folder}")
        individual_id = individual.id
    return store.decide(photo.id, ACTIONS[req["action"]], individual_id=individual_id,
                        new_code=(req["individual"] or None) if req["action"] == "new" else None,
                        new_name=name, expected_version=version)


def _cmd_undo(args) -> int:
    from ..core.catalog import ProjectStore

    with ProjectStore.open(args.project, user=args.user, shared=args.shared) as store:
        row = store.undo_last(who=store.user)  # in a shared catalog, never another reviewer's
    if row is None:
        print("nothing to undo")
        return EXIT_FAILED
    print(f"undid decision {row.id}: {row.decision} {row.individual_code or ''} on photo {row.photo_id}")
    return EXIT_OK
