"""`check`: SQLite integrity check and foreign keys (PostgreSQL ensures both itself), orphan rows,
rules the schema cannot state, and image files that are no longer where the project expects them."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from .rows import CheckReport
from .schema import boxes, candidates, decisions, individuals, photos, sightings


def run_check(store) -> CheckReport:
    problems, orphans, missing, empty = [], [], [], []
    conn = store.connection
    if store.backend == "sqlite":
        # PostgreSQL checks its pages and always enforces foreign keys: nothing to ask it here
        for row in store.pragma("PRAGMA integrity_check"):
            if row[0] != "ok":
                problems.append(f"database integrity: {row[0]}")
        for table, rowid, parent, _fk in store.pragma("PRAGMA foreign_key_check"):
            orphans.append(f"{table} row {rowid} points to a missing {parent} row")
    with store._read():
        # rules beyond foreign keys
        for photo_id, n in conn.execute(
            select(boxes.c.photo_id, func.count()).where(boxes.c.active == True).group_by(boxes.c.photo_id)  # noqa: E712
            .having(func.count() > 1)
        ):
            problems.append(f"photo {photo_id} has {n} current boxes")
        for d in conn.execute(
            select(decisions.c.id, decisions.c.individual_code)
            .where(decisions.c.undone == False)  # noqa: E712
            .where(decisions.c.decision.in_(("confirmed", "new_individual")))
            .where(~select(sightings.c.id).where(sightings.c.photo_id == decisions.c.photo_id).exists())
        ):
            problems.append(f"decision {d.id} ({d.individual_code}) is in force but its photo has no sighting")
        for s in conn.execute(
            select(sightings.c.id, individuals.c.code)
            .join(individuals, individuals.c.id == sightings.c.individual_id)
            .where(individuals.c.merged_into.is_not(None))
        ):
            problems.append(f"sighting {s.id} belongs to {s.code}, which was merged away")
        for c in conn.execute(
            select(candidates.c.id).where(candidates.c.individual_id.is_not(None))
            .where(~select(individuals.c.id).where(individuals.c.id == candidates.c.individual_id).exists())
        ):
            orphans.append(f"candidate row {c.id} names a missing individual")
        for code in conn.execute(
            select(individuals.c.code)
            .where(individuals.c.merged_into.is_(None))
            .where(~select(sightings.c.id).where(sightings.c.individual_id == individuals.c.id).exists())
            .order_by(individuals.c.code)
        ).scalars():
            empty.append(code)
        for (path,) in conn.execute(select(photos.c.path).order_by(photos.c.path)):
            if not os.path.isfile(path):
                missing.append(path)
    ok = not problems and not orphans and not missing
    return CheckReport(ok=ok, problems=problems, orphans=orphans, missing_files=missing, empty_individuals=empty)
