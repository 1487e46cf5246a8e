"""`whaleid decide` and `whaleid undo`: record a scientist's decision on a photo without the app
(for scripts, and to go through a project's queue from a terminal)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import WhaleIDError
from .exit_codes import EXIT_FAILED, EXIT_OK

ACTIONS = {"confirm": "confirmed", "reject": "rejected", "new": "new_individual", "skip": "skipped"}


def register(subparsers) -> None:
    p = subparsers.add_parser("decide", help="record a decision on a project photo (confirm/reject/new/skip)")
    p.add_argument("photo", help="the photo: its path, its file name (if unique in the project) or its id")
    p.add_argument("action", choices=sorted(ACTIONS), help="confirm ID | reject ID | new [CODE] | skip")
    p.add_argument("individual", nargs="?", help="the individual's code (confirm/reject); the new code (new)")
    p.add_argument("--name", help="with new: the new individual's name")
    p.add_argument("--project", required=True, help="project folder")
    p.add_argument("--user", help="who decided (default: the login name)")
    p.set_defaults(handler=_cmd_decide)
    p = subparsers.add_parser("undo", help="undo the last decision recorded in a project")
    p.add_argument("--project", required=True, help="project folder")
    p.add_argument("--user", help="who undoes (default: the login name)")
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


def _cmd_decide(args) -> int:
    from ..core.catalog import ProjectStore

    decision = ACTIONS[args.action]
    with ProjectStore.open(args.project, user=args.user) as store:
        photo = _find_photo(store, args.photo)
        individual_id = None
        if args.action in ("confirm", "reject"):
            if not args.individual:
                raise WhaleIDError(f"{args.action} needs the individual's code")
            individual = store.individual_by_code(args.individual)
            if individual is None:
                raise WhaleIDError(f"{args.individual}: no such individual in {store.folder}")
            individual_id = individual.id
        row = store.decide(photo.id, decision, individual_id=individual_id,
                           new_code=args.individual if args.action == "new" else None, new_name=args.name)
    who = f" by {row.who}" if row.who else ""
    print(f"{Path(photo.path).name}: {row.decision} {row.individual_code or ''}{who} at {row.at} (decision {row.id})")
    return EXIT_OK


def _cmd_undo(args) -> int:
    from ..core.catalog import ProjectStore

    with ProjectStore.open(args.project, user=args.user) as store:
        row = store.undo_last()
    if row is None:
        print("nothing to undo")
        return EXIT_FAILED
    print(f"undid decision {row.id}: {row.decision} {row.individual_code or ''} on photo {row.photo_id}")
    return EXIT_OK
