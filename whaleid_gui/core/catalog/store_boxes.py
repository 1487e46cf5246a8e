"""Boxes: one current box per photo; replaced or deleted boxes stay as inactive history."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from whaleid_gui.core.boxes import BoundingBox

from .errors import CatalogError, NotFoundError
from .rows import BOX_SOURCES, BoxRow
from .schema import boxes, photos
from .store_base import StoreBase, id_chunks, inserted_id
from .timeutil import now_iso


def box_row(r) -> BoxRow:
    return BoxRow(
        id=r.id,
        photo_id=r.photo_id,
        box=BoundingBox(r.x0, r.y0, r.x1, r.y1),
        rotation=r.rotation,
        flip=bool(r.flip),
        source=r.source,
        author=r.author,
        created_at=r.created_at,
    )


class BoxesMixin(StoreBase):
    def set_box(
        self,
        photo_id: int,
        box: BoundingBox,
        source: str = "manual",
        rotation: int = 0,
        flip: bool = False,
        author: str | None = None,
    ) -> BoxRow:
        """Make `box` (pixels of the EXIF-oriented photo, clipped to it) the photo's current box."""
        if source not in BOX_SOURCES:
            raise CatalogError(f"unknown box source {source!r}; use one of {', '.join(BOX_SOURCES)}")
        if rotation not in (0, 180):
            raise CatalogError(f"box rotation must be 0 or 180, got {rotation!r}")
        with self._tx() as conn:
            size = conn.execute(select(photos.c.width, photos.c.height).where(photos.c.id == photo_id)).first()
            if size is None:
                raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
            box = _inside(box, size.width, size.height)
            conn.execute(
                boxes.update().where(boxes.c.photo_id == photo_id).where(boxes.c.active == True).values(active=False)  # noqa: E712
            )
            box_id = inserted_id(conn.execute(
                boxes.insert().values(
                    photo_id=photo_id,
                    x0=box.x0, y0=box.y0, x1=box.x1, y1=box.y1,
                    rotation=rotation,
                    flip=bool(flip),
                    source=source,
                    author=author or self.user,
                    created_at=now_iso(),
                    active=True,
                )
            ))
            r = conn.execute(select(boxes).where(boxes.c.id == box_id)).first()
        return box_row(r)

    def box(self, photo_id: int) -> BoxRow | None:
        with self._read() as conn:
            r = conn.execute(
                select(boxes).where(boxes.c.photo_id == photo_id).where(boxes.c.active == True)  # noqa: E712
            ).first()
        return None if r is None else box_row(r)

    def boxes_of(self, photo_id: int) -> list[BoxRow]:
        """All boxes ever set on the photo, oldest first (the current one is last unless deleted)."""
        with self._read() as conn:
            rows = conn.execute(select(boxes).where(boxes.c.photo_id == photo_id).order_by(boxes.c.id)).all()
        return [box_row(r) for r in rows]

    def current_boxes(self, photo_ids: Iterable[int] | None = None) -> dict[int, BoxRow]:
        """photo id -> current box, of every photo or of `photo_ids` only (a thumbnail strip's 40
        photos need not read a 1,000-photo project's boxes)."""
        query = select(boxes).where(boxes.c.active == True)  # noqa: E712
        with self._read() as conn:
            if photo_ids is None:
                rows = conn.execute(query).all()
            else:
                rows = []
                for chunk in id_chunks(photo_ids):
                    rows += conn.execute(query.where(boxes.c.photo_id.in_(chunk))).all()
        return {r.photo_id: box_row(r) for r in rows}

    def delete_box(self, photo_id: int) -> None:
        with self._tx() as conn:
            conn.execute(
                boxes.update().where(boxes.c.photo_id == photo_id).where(boxes.c.active == True).values(active=False)  # noqa: E712
            )


def _inside(box: BoundingBox, width: int, height: int) -> BoundingBox:
    if box.x0 >= width or box.y0 >= height or box.x1 <= 0 or box.y1 <= 0:
        raise CatalogError(f"box {box.as_tuple()} lies outside the {width}x{height} photo")
    if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
        return box.clipped(width, height)
    return box
