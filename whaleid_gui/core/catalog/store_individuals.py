"""Individuals (create, rename, merge, notes, history) and their sightings."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import CatalogError, CodeTakenError, NotFoundError
from whaleid_gui.core.labels import NEW_WHALE

from .rows import IndividualRow, PhotoRow, SightingRow
from .schema import candidates, individual_events, individuals, photos, sightings
from .store_base import StoreBase, inserted_id
from .store_photos import photo_rows, photo_select
from .timeutil import now_iso


def sighting_row(r) -> SightingRow:
    return SightingRow(
        r.id, r.photo_id, r.individual_id, r.date, r.place, r.lat, r.lon, r.survey, r.observer,
        r.confirmed_by, r.created_at, r.decision_id,
    )


class IndividualsMixin(StoreBase):
    # ----------------------------------------------------------------- individuals
    def create_individual(self, code: str, name: str | None = None, notes: str | None = None) -> IndividualRow:
        with self._tx() as conn:
            ind_id = self._create_individual(conn, code, name, notes)
        return self.individual(ind_id)

    def _create_individual(self, conn, code: str, name=None, notes=None) -> int:
        code = _valid_code(code)
        if conn.execute(select(individuals.c.id).where(individuals.c.code == code)).first():
            raise CodeTakenError(f"individual code {code!r} is already used in this project")
        at = now_iso()
        try:
            # savepoint: another reviewer's transaction may take the code between the check above
            # and this insert (PostgreSQL); the unique index refuses it, and the caller may retry
            with conn.begin_nested():
                ind_id = inserted_id(conn.execute(
                    individuals.insert().values(code=code, name=name or None, notes=notes or None, created_at=at)
                ))
        except IntegrityError as err:
            raise CodeTakenError(f"individual code {code!r} is already used in this project") from err
        self._event(conn, ind_id, "created", {"code": code, "name": name})
        return ind_id

    def _event(self, conn, individual_id: int, event: str, detail: dict) -> None:
        conn.execute(
            individual_events.insert().values(
                individual_id=individual_id, event=event, detail=json.dumps(detail, sort_keys=True),
                who=self.user, at=now_iso(),
            )
        )

    def _create_new_individual(self, conn, code: str | None, name=None) -> int:
        """A decision's new individual: the given code, or the next free one; when another reviewer
        takes that suggested code at the same moment, the next one after it."""
        for _ in range(50):
            try:
                return self._create_individual(conn, code or self.next_free_code(), name)
            except CodeTakenError:
                if code is not None:
                    raise
        raise CatalogError(f"{self.folder}: no free individual code found (many reviewers creating at once); try again")

    def next_free_code(self, prefix: str = "HW") -> str:
        """The next unused code PREFIX-NNN (codes of merged individuals stay reserved)."""
        pattern = re.compile(rf"^{re.escape(prefix)}-?(\d+)$")
        with self._read() as conn:
            codes = conn.execute(select(individuals.c.code).where(individuals.c.code.like(f"{prefix}%"))).scalars()
            digits = [m.group(1) for c in codes if (m := pattern.match(c))]
        numbers = [int(d) for d in digits]
        # Follow the catalog's own zero padding (HW-0042 stays four digits), at least three.
        width = max([3] + [len(d) for d in digits if d.startswith("0")])
        return f"{prefix}-{(max(numbers) + 1) if numbers else 1:0{width}d}"

    def rename_individual(self, id: int, code: str | None = None, name: str | None = None,
                          expected_code: str | None = None) -> IndividualRow:
        """Give the individual another code and/or name. `expected_code`: the code the user saw;
        when someone else renamed it since, nothing changes and the error says to what."""
        with self._tx() as conn:
            old = self._individual_raw(conn, id, lock="update")  # concurrent renames/merges wait
            if expected_code is not None and old.code != expected_code:
                raise CatalogError(
                    f"individual {expected_code} was renamed to {old.code} by someone else meanwhile; nothing was changed"
                )
            values: dict[str, str | None] = {}
            if code is not None and code != old.code:
                code = _valid_code(code)
                if conn.execute(select(individuals.c.id).where(individuals.c.code == code)).first():
                    raise CatalogError(f"individual code {code!r} is already used in this project; nothing was changed")
                values["code"] = code
            if name is not None and name != old.name:
                values["name"] = name or None
            if values:
                try:
                    with conn.begin_nested():  # the code may be taken by a concurrent create or rename
                        conn.execute(individuals.update().where(individuals.c.id == id).values(**values))
                except IntegrityError as err:
                    raise CodeTakenError(
                        f"individual code {code!r} is already used in this project; nothing was changed"
                    ) from err
                self._event(conn, id, "renamed", {"old_code": old.code, "old_name": old.name, **values})
        return self.individual(id)

    def set_notes(self, id: int, notes: str | None) -> IndividualRow:
        with self._tx() as conn:
            old = self._individual_raw(conn, id)
            conn.execute(individuals.update().where(individuals.c.id == id).values(notes=notes or None))
            self._event(conn, id, "notes", {"old": old.notes, "new": notes})
        return self.individual(id)

    def merge_individuals(self, keep_id: int, absorb_id: int) -> IndividualRow:
        """`absorb_id`'s photos become `keep_id`'s; the absorbed row stays (merged_into) as history."""
        if keep_id == absorb_id:
            raise CatalogError("cannot merge an individual with itself")
        with self._tx() as conn:
            # both rows locked in id order (no deadlock with a merge the other way round); decisions
            # confirming either one hold a shared lock, so their sightings are all moved below
            for ind in sorted((keep_id, absorb_id)):
                self._individual_raw(conn, ind, lock="update")
            keep = self._individual_raw(conn, keep_id)
            absorb = self._individual_raw(conn, absorb_id)
            for row in (keep, absorb):
                if row.merged_into is not None:
                    raise CatalogError(f"individual {row.code} was already merged into another one")
            kept_photos = set(
                conn.execute(select(sightings.c.photo_id).where(sightings.c.individual_id == keep_id)).scalars()
            )
            moved, dropped = [], []
            for s in conn.execute(select(sightings).where(sightings.c.individual_id == absorb_id)).all():
                if s.photo_id in kept_photos:  # same photo already a sighting of keep
                    conn.execute(sightings.delete().where(sightings.c.id == s.id))
                    dropped.append(s._asdict())
                else:
                    conn.execute(sightings.update().where(sightings.c.id == s.id).values(individual_id=keep_id))
                    moved.append(s.id)
            conn.execute(
                candidates.update().where(candidates.c.individual_id == absorb_id).values(individual_id=keep_id)
            )
            conn.execute(individuals.update().where(individuals.c.id == absorb_id).values(merged_into=keep_id))
            detail = {"keep": keep.code, "absorbed": absorb.code, "moved_sightings": moved, "dropped_sightings": dropped}
            self._event(conn, keep_id, "merged", detail)
            self._event(conn, absorb_id, "merged_into", detail)
        return self.individual(keep_id)

    def unmerge_individuals(self, keep_id: int, absorb_id: int) -> IndividualRow:
        """Undo `merge_individuals(keep_id, absorb_id)` from what the merge recorded in its event.

        The sightings it moved go back to the absorbed individual, the ones it dropped (the same
        photo was already a sighting of `keep`) are written again, and the absorbed individual is
        active again (only while it is still merged into `keep`). Ranked candidates that the merge re-pointed
        are not restored (the merge does not record which they were; the next matching run
        replaces them).
        """
        with self._tx() as conn:
            for ind in sorted((keep_id, absorb_id)):  # as merge does: no second unmerge or merge slips in
                self._individual_raw(conn, ind, lock="update")
            keep = self._individual_raw(conn, keep_id)
            absorb = self._individual_raw(conn, absorb_id)
            if absorb.merged_into != keep_id:
                raise CatalogError(f"individual {absorb.code} is not merged into {keep.code}; nothing to undo")
            events = conn.execute(
                select(individual_events)
                .where(individual_events.c.individual_id == keep_id)
                .where(individual_events.c.event.in_(("merged", "unmerged")))
                .order_by(individual_events.c.id.desc())
            ).all()
            merge = None
            for e in events:
                detail = json.loads(e.detail or "{}")
                if e.event == "unmerged":
                    continue
                if detail.get("absorbed") == absorb.code:
                    merge = detail
                    break
            if merge is None:
                raise CatalogError(f"no record of merging {absorb.code} into {keep.code}; cannot undo it")
            moved = [int(i) for i in merge.get("moved_sightings", [])]
            if moved:
                conn.execute(
                    sightings.update()
                    .where(sightings.c.id.in_(moved))
                    .where(sightings.c.individual_id == keep_id)
                    .values(individual_id=absorb_id)
                )
            restored = 0
            for row in merge.get("dropped_sightings", []):
                values = {k: v for k, v in row.items() if k != "id"}
                values["individual_id"] = absorb_id
                exists = conn.execute(
                    select(sightings.c.id)
                    .where(sightings.c.photo_id == values["photo_id"])
                    .where(sightings.c.individual_id == absorb_id)
                ).first()
                if exists is None:
                    conn.execute(sightings.insert().values(**values))
                    restored += 1
            conn.execute(individuals.update().where(individuals.c.id == absorb_id).values(merged_into=None))
            detail = {"keep": keep.code, "restored": absorb.code, "moved_back_sightings": moved,
                      "restored_sightings": restored}
            self._event(conn, keep_id, "unmerged", detail)
            self._event(conn, absorb_id, "unmerged", detail)
        return self.individual(absorb_id)

    def _individual_raw(self, conn, id: int, lock: str | None = None):
        """The individual's row; lock "update"/"share" holds a row lock until the commit
        (PostgreSQL; SQLite has one writer at a time and ignores it)."""
        query = select(individuals).where(individuals.c.id == id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share")
        r = conn.execute(query).first()
        if r is None:
            raise NotFoundError(f"{self.folder}: no individual with id {id}")
        return r

    def individuals(self, include_merged: bool = False) -> list[IndividualRow]:
        query = select(individuals).order_by(individuals.c.code)
        if not include_merged:
            query = query.where(individuals.c.merged_into.is_(None))
        with self._read() as conn:
            rows = conn.execute(query).all()
            stats = self._sighting_stats(conn, None)
        return [_individual_row(r, stats.get(r.id)) for r in rows]

    def individual(self, id: int) -> IndividualRow:
        with self._read() as conn:
            r = self._individual_raw(conn, id)
            stats = self._sighting_stats(conn, id)
        return _individual_row(r, stats.get(id))

    def individual_by_code(self, code: str) -> IndividualRow | None:
        """The individual holding `code`; a merged-away code leads to the one that absorbed it."""
        with self._read() as conn:
            r = conn.execute(select(individuals).where(individuals.c.code == code)).first()
            seen = set()
            while r is not None and r.merged_into is not None and r.id not in seen:
                seen.add(r.id)
                r = conn.execute(select(individuals).where(individuals.c.id == r.merged_into)).first()
        return None if r is None else self.individual(r.id)

    def individual_history(self, id: int) -> list[dict]:
        with self._read() as conn:
            rows = conn.execute(
                select(individual_events).where(individual_events.c.individual_id == id).order_by(individual_events.c.id)
            ).all()
        return [{"event": r.event, "detail": json.loads(r.detail or "{}"), "who": r.who, "at": r.at} for r in rows]

    def _sighting_stats(self, conn, individual_id: int | None) -> dict[int, tuple]:
        """individual id -> (n_photos, first_seen, last_seen, last_place), from its sightings."""
        query = select(sightings.c.individual_id, sightings.c.photo_id, sightings.c.date, sightings.c.place)
        if individual_id is not None:
            query = query.where(sightings.c.individual_id == individual_id)
        stats: dict[int, list] = {}
        for ind, photo, date, place in conn.execute(query):
            s = stats.setdefault(ind, [set(), None, None, None])
            s[0].add(photo)
            if date is not None:
                if s[1] is None or date < s[1]:
                    s[1] = date
                if s[2] is None or date >= s[2]:
                    s[2], s[3] = date, place
        return {k: (len(v[0]), v[1], v[2], v[3]) for k, v in stats.items()}

    def photos_of(self, individual_id: int) -> list[PhotoRow]:
        query = (
            photo_select()
            .join(sightings, sightings.c.photo_id == photos.c.id)
            .where(sightings.c.individual_id == individual_id)
            .order_by(photos.c.taken_at.is_(None), photos.c.taken_at, photos.c.path)
        )
        with self._read() as conn:
            return photo_rows(conn.execute(query))

    # ----------------------------------------------------------------- sightings
    def add_sighting(
        self,
        photo_id: int,
        individual_id: int,
        date: str | None = None,
        place: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        survey: str | None = None,
        observer: str | None = None,
        confirmed_by: str | None = None,
    ) -> SightingRow:
        """Record that the photo shows the individual (idempotent: a second call updates the
        given fields). Missing date/lat/lon/survey come from the photo's EXIF and survey."""
        with self._tx() as conn:
            sid = self._add_sighting(
                conn, photo_id, individual_id, date=date, place=place, lat=lat, lon=lon,
                survey=survey, observer=observer, confirmed_by=confirmed_by,
            )
            return sighting_row(conn.execute(select(sightings).where(sightings.c.id == sid)).first())

    def _add_sighting(self, conn, photo_id, individual_id, decision_id=None, **fields) -> int:
        photo = conn.execute(select(photos).where(photos.c.id == photo_id)).first()
        if photo is None:
            raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
        ind = self._individual_raw(conn, individual_id)
        if ind.merged_into is not None:
            raise CatalogError(f"individual {ind.code} was merged into another one; use that one")
        given = {k: v for k, v in fields.items() if v is not None}
        existing = conn.execute(
            select(sightings.c.id)
            .where(sightings.c.photo_id == photo_id)
            .where(sightings.c.individual_id == individual_id)
        ).scalar()
        if existing is not None:
            if given:
                conn.execute(sightings.update().where(sightings.c.id == existing).values(**given))
            return existing
        values = {
            "date": photo.taken_at, "lat": photo.lat, "lon": photo.lon, "survey": photo.survey,
            "place": None, "observer": None, "confirmed_by": None,
        }
        values.update(given)
        return inserted_id(conn.execute(
            sightings.insert().values(
                photo_id=photo_id, individual_id=individual_id, created_at=now_iso(), decision_id=decision_id, **values
            )
        ))

    def sightings(self, individual_id: int | None = None, photo_id: int | None = None) -> list[SightingRow]:
        query = select(sightings).order_by(sightings.c.date.is_(None), sightings.c.date, sightings.c.id)
        if individual_id is not None:
            query = query.where(sightings.c.individual_id == individual_id)
        if photo_id is not None:
            query = query.where(sightings.c.photo_id == photo_id)
        with self._read() as conn:
            return [sighting_row(r) for r in conn.execute(query)]


def _valid_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise CatalogError("an individual needs a non-empty code")
    if code == NEW_WHALE:
        raise CatalogError(f"{NEW_WHALE!r} is reserved for 'not in the catalog' and cannot be an individual's code")
    if len(code) > 128:
        raise CatalogError(f"individual code too long ({len(code)} characters, at most 128)")
    return code


def _individual_row(r, stats) -> IndividualRow:
    n, first, last, place = stats or (0, None, None, None)
    return IndividualRow(r.id, r.code, r.name, r.notes, r.created_at, n, first, last, place)
