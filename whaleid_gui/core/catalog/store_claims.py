"""Who has a photo open for review: claims that other reviewers see as "being reviewed by X since
HH:MM". A hint, not a lock: the optimistic version check of decisions (store_decisions.py) is what
keeps two decisions from overwriting each other; a claim only saves a second reviewer the work.

One claim per running program (the holder: user@host (pid N)) per photo; opening another photo
moves it. A claim not refreshed for CLAIM_MINUTES is stale (the app crashed, the laptop slept)
and ignored, so nobody waits for a reviewer who has gone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from .schema import photo_claims
from .store_base import StoreBase
from .timeutil import now_iso

CLAIM_MINUTES = 5  # an app refreshes its claim every poll (seconds); 5 minutes of silence = gone


@dataclass(frozen=True)
class ClaimRow:
    photo_id: int
    who: str
    host: str
    since: str  # ISO time the holder opened the photo
    refreshed_at: str

    @property
    def since_hhmm(self) -> str:
        """The local clock time (HH:MM) the claim began, for "being reviewed by X since HH:MM"."""
        try:
            return datetime.fromisoformat(self.since).astimezone().strftime("%H:%M")
        except ValueError:
            return self.since


def holder_token(user: str) -> str:
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


def _stale_before() -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=CLAIM_MINUTES)).replace(microsecond=0).isoformat()


class ClaimsMixin(StoreBase):
    @property
    def holder(self) -> str:
        return holder_token(self.user)

    def claim_photo(self, photo_id: int) -> ClaimRow | None:
        """Say that this program has the photo open (or still has: a refresh keeps `since`); any
        other photo it claimed is released. Returns another reviewer's live claim on the photo
        (the earliest), or None."""
        now = now_iso()
        # a claim is no change others must reload for, nor worth a wait for the disk (a hint)
        with self._tx(counted=False, durable=False) as conn:
            mine = photo_claims.c.holder == self.holder
            conn.execute(photo_claims.delete().where(mine).where(photo_claims.c.photo_id != photo_id))
            updated = conn.execute(
                photo_claims.update().where(mine).where(photo_claims.c.photo_id == photo_id).values(refreshed_at=now)
            ).rowcount
            if not updated:
                conn.execute(photo_claims.insert().values(
                    photo_id=photo_id, holder=self.holder, who=self.user, host=socket.gethostname(),
                    since=now, refreshed_at=now,
                ))
            return self._other_claim(conn, photo_id)

    def release_claims(self) -> None:
        """This program has no photo open any more (project closed, app quit)."""
        with self._tx(counted=False, durable=False) as conn:
            conn.execute(photo_claims.delete().where(photo_claims.c.holder == self.holder))

    def claim_of(self, photo_id: int) -> ClaimRow | None:
        """Another reviewer's live claim on the photo (the earliest), or None; reads only."""
        with self._read() as conn:
            return self._other_claim(conn, photo_id)

    def _other_claim(self, conn, photo_id: int) -> ClaimRow | None:
        r = conn.execute(
            select(photo_claims).where(photo_claims.c.photo_id == photo_id)
            .where(photo_claims.c.holder != self.holder)
            .where(photo_claims.c.refreshed_at >= _stale_before())
            .order_by(photo_claims.c.since).limit(1)
        ).first()
        return None if r is None else ClaimRow(r.photo_id, r.who, r.host, r.since, r.refreshed_at)
