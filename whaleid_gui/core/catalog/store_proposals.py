"""The box model's proposals for photos without a box (schema 4).

A proposal is not a box: the store counts any current box as "the photo has a box", so a proposal
lives in its own table and the photo still needs a box until the reviewer accepts it (a box of
source "proposed"). One row per photo: a newer proposal (another box model) replaces the older.
Writes are not counted as catalog changes: other reviewers' views need not reload for them.
"""

from __future__ import annotations

from typing import Mapping

from sqlalchemy import select

from whaleid_gui.core.boxes import BoundingBox

from .schema import box_proposals, photos
from .store_base import StoreBase
from .timeutil import now_iso


class ProposalsMixin(StoreBase):
    def proposals(self) -> dict[int, tuple[BoundingBox, str]]:
        """photo id -> (proposed box, the model that proposed it)."""
        with self._read() as conn:
            rows = conn.execute(select(box_proposals)).all()
        return {r.photo_id: (BoundingBox(r.x0, r.y0, r.x1, r.y1), r.model) for r in rows}

    def set_proposals(self, proposals: Mapping[int, tuple[BoundingBox, str]]) -> int:
        """Keep these proposals (photo id -> (box, model)), replacing older ones of the same photos;
        photos no longer in the project are skipped. One transaction; returns how many were kept."""
        if not proposals:
            return 0
        at = now_iso()
        with self._tx(counted=False) as conn:
            known = set(conn.execute(select(photos.c.id).where(photos.c.id.in_(list(proposals)))).scalars())
            rows = [{"photo_id": pid, "x0": float(b.x0), "y0": float(b.y0), "x1": float(b.x1), "y1": float(b.y1),
                     "model": str(model), "at": at} for pid, (b, model) in proposals.items() if pid in known]
            if rows:
                conn.execute(box_proposals.delete().where(box_proposals.c.photo_id.in_([r["photo_id"] for r in rows])))
                conn.execute(box_proposals.insert(), rows)
        return len(rows)
