"""Photos: rows, queue, add one photo, quality flag and comment."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sqlalchemy import and_, case, func, select

from .errors import CatalogError, NotFoundError
from .hashing import to_signed, to_unsigned
from .photofile import PreparedPhoto, canonical_path, prepare_photo
from .rows import PHOTO_STATUSES, QUALITIES, PhotoRow
from .schema import boxes, photos, sightings
from .store_base import StoreBase, id_chunks, inserted_id
from .timeutil import now_iso

SORTS = ("date", "path", "imported")


def has_sighting():
    # correlate to photos only: the outer query may itself join sightings (photos_of)
    return select(sightings.c.id).where(sightings.c.photo_id == photos.c.id).correlate(photos).exists()


def has_box():
    return (
        select(boxes.c.id)
        .where(and_(boxes.c.photo_id == photos.c.id, boxes.c.active == True))  # noqa: E712
        .correlate(photos)
        .exists()
    )


def status_expr():
    """A photo is done once identified (has a sighting); else it needs a decision once boxed."""
    return case((has_sighting(), "done"), (has_box(), "needs_decision"), else_="needs_box").label("status")


def photo_select():
    return select(photos, status_expr())


_PHOTO_FIELDS = tuple(f.name for f in fields(PhotoRow))  # in PhotoRow's order
_PATH, _PHASH = _PHOTO_FIELDS.index("path"), _PHOTO_FIELDS.index("phash")


def _photo(values: list) -> PhotoRow:
    """A PhotoRow from its fields' database values, in PhotoRow's order."""
    values[_PATH], values[_PHASH] = Path(values[_PATH]), to_unsigned(values[_PHASH])
    return PhotoRow(*values)


def photo_row(r) -> PhotoRow:
    """The PhotoRow of one row of a photo_select() query."""
    return _photo([getattr(r, name) for name in _PHOTO_FIELDS])


def photo_rows(result) -> list[PhotoRow]:
    """photo_row() of every row of a photo_select() result, the columns found by position once: a
    row's fields read by name cost twice the time, 25 ms of the 45 ms that reading a 1,000-photo
    queue took on the GUI thread when a project opened (issue 15)."""
    keys = list(result.keys())
    at = [keys.index(name) for name in _PHOTO_FIELDS]
    return [_photo([r[i] for i in at]) for r in result]


def status_filter(query, status: str | None):
    if status is None:
        return query
    if status not in PHOTO_STATUSES:
        raise CatalogError(f"unknown photo status {status!r}; use one of {', '.join(PHOTO_STATUSES)}")
    if status == "done":
        return query.where(has_sighting())
    if status == "needs_decision":
        return query.where(~has_sighting()).where(has_box())
    return query.where(~has_sighting()).where(~has_box())


class PhotosMixin(StoreBase):
    def photos(self, status: str | None = None, survey: str | None = None, sort: str = "date") -> list[PhotoRow]:
        query = status_filter(photo_select(), status)
        if survey is not None:
            query = query.where(photos.c.survey == survey)
        if sort == "date":
            query = query.order_by(photos.c.taken_at.is_(None), photos.c.taken_at, photos.c.path)
        elif sort == "path":
            query = query.order_by(photos.c.path)
        elif sort == "imported":
            query = query.order_by(photos.c.id)
        else:
            raise CatalogError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        with self._read() as conn:
            return photo_rows(conn.execute(query))

    def queue(self) -> list[PhotoRow]:
        """Photos with a box and no identification yet, oldest first: what the matcher ranks."""
        return self.photos(status="needs_decision")

    def count_photos(self, status: str | None = None) -> int:
        query = status_filter(select(func.count()).select_from(photos), status)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def photos_by_id(self, ids) -> list[PhotoRow]:
        """The rows of these photos (ids that are gone are left out), read in one transaction."""
        rows: list[PhotoRow] = []
        with self._read() as conn:
            for chunk in id_chunks(ids):
                rows += photo_rows(conn.execute(photo_select().where(photos.c.id.in_(chunk))))
        return rows

    def photo(self, photo_id: int) -> PhotoRow:
        with self._read() as conn:
            r = conn.execute(photo_select().where(photos.c.id == photo_id)).first()
        if r is None:
            raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
        return photo_row(r)

    def photo_by_path(self, path: str | Path) -> PhotoRow | None:
        with self._read() as conn:
            r = conn.execute(photo_select().where(photos.c.path == str(canonical_path(path)))).first()
        return None if r is None else photo_row(r)

    def add_photo(self, path: str | Path, survey: str | None = None) -> PhotoRow:
        """Add one photo (idempotent). The same content under another path returns the photo
        already held (the file is an exact duplicate). Raises ImageError for a bad file."""
        existing = self.photo_by_path(path)
        if existing is not None:
            return existing
        prepared = prepare_photo(path)
        with self._tx() as conn:
            dup = conn.execute(select(photos.c.id).where(photos.c.sha1 == prepared.sha1)).scalar()
            if dup is not None:
                photo_id = dup
            else:
                photo_id = self._insert_photo(conn, prepared, survey=survey)
        return self.photo(photo_id)

    def _insert_photo(self, conn, prepared: PreparedPhoto, survey=None, near_of: int | None = None) -> int:
        return inserted_id(conn.execute(
            photos.insert().values(
                path=str(prepared.path),
                sha1=prepared.sha1,
                phash=to_signed(prepared.phash),
                width=prepared.width,
                height=prepared.height,
                taken_at=prepared.taken_at,
                lat=prepared.lat,
                lon=prepared.lon,
                camera=prepared.camera,
                survey=survey,
                imported_at=now_iso(),
                near_duplicate_of=near_of,
            )
        ))

    def set_quality(self, photo_id: int, quality: str | None) -> PhotoRow:
        """Per-photo quality flag: good | fair | poor | unusable, or None to clear."""
        if quality is not None and quality not in QUALITIES:
            raise CatalogError(f"unknown quality {quality!r}; use one of {', '.join(QUALITIES)}")
        return self._update_photo(photo_id, quality=quality)

    def set_comment(self, photo_id: int, comment: str | None) -> PhotoRow:
        return self._update_photo(photo_id, comment=(comment or None))

    def set_survey(self, photo_id: int, survey: str | None) -> PhotoRow:
        return self._update_photo(photo_id, survey=survey)

    def _update_photo(self, photo_id: int, **values) -> PhotoRow:
        with self._tx() as conn:
            n = conn.execute(photos.update().where(photos.c.id == photo_id).values(**values)).rowcount
            if n == 0:
                raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
        return self.photo(photo_id)
