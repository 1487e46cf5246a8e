"""Ranked candidates, match decisions (each one transaction, with its effects) and their undo."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import and_, func, or_, select

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.labels import NEW_WHALE

from .errors import CatalogError, DecisionConflictError, DecisionError, NotFoundError
from .rows import DECISIONS, CandidateRow, DecisionRow
from .schema import boxes, candidates, decisions, individual_events, individuals, photos, sightings
from .store_base import inserted_id
from .store_claims import ClaimsMixin
from .store_individuals import IndividualsMixin
from .timeutil import now_iso, now_iso_precise


def decision_row(r) -> DecisionRow:
    return DecisionRow(
        id=r.id, photo_id=r.photo_id, individual_id=r.individual_id, decision=r.decision, score=r.score,
        rank=r.rank, weights_id=r.weights_id, who=r.who, at=r.at, undone=bool(r.undone),
        individual_code=r.individual_code, undone_at=r.undone_at, photo_version=r.photo_version,
        conflict_with=r.conflict_with,
    )


# A skip says "not now", not what the photo shows: it neither needs nor changes the photo's version,
# so one reviewer skipping never refuses another's decision.
UNVERSIONED = ("skipped",)
LOOKBACK = 50  # ids an app's poll looks at again (transactions in flight commit out of id order)


def agrees(first, decision: str, individual_id: int | None) -> bool:
    """A later decision that says the same as the one in force (same confirm or same rejection)
    is agreement, not a conflict; two new individuals for one photo never agree."""
    return (not first.undone and first.decision == decision and decision in ("confirmed", "rejected")
            and first.individual_id == individual_id)


# a decision creates individuals and sightings; claims say who is deciding a photo right now
class DecisionsMixin(IndividualsMixin, ClaimsMixin):
    # ----------------------------------------------------------------- candidates
    def record_candidates(self, photo_id: int, candidates_: list, weights_id: str | None = None) -> None:
        """Replace the photo's ranked candidates: items (individual code or "new_whale", score, rank)."""
        with self._tx() as conn:
            if conn.execute(select(photos.c.id).where(photos.c.id == photo_id)).first() is None:
                raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
            codes = {r.code: (r.id, r.merged_into) for r in conn.execute(select(individuals))}
            rows, at = [], now_iso()
            for item in candidates_:
                code, score, rank = item[0], item[1], item[2]
                if code == NEW_WHALE:
                    ind_id = None
                else:
                    if code not in codes:
                        raise NotFoundError(f"{self.folder}: candidate {code!r} is not an individual of this project")
                    ind_id, merged = codes[code]
                    while merged is not None:  # a merged-away code ranks as the one that absorbed it
                        ind_id = merged
                        merged = next(m for i, m in codes.values() if i == merged)
                rows.append(
                    {"photo_id": photo_id, "individual_id": ind_id, "score": float(score), "rank": int(rank),
                     "weights_id": weights_id, "at": at}
                )
            conn.execute(candidates.delete().where(candidates.c.photo_id == photo_id))
            if rows:
                conn.execute(candidates.insert(), rows)

    def candidates(self, photo_id: int) -> list[CandidateRow]:
        query = (
            select(individuals.c.code, candidates.c.score, candidates.c.rank)
            .select_from(candidates.outerjoin(individuals, individuals.c.id == candidates.c.individual_id))
            .where(candidates.c.photo_id == photo_id)
            .order_by(candidates.c.rank, candidates.c.id)
        )
        with self._read() as conn:
            return [CandidateRow(code or NEW_WHALE, score, rank) for code, score, rank in conn.execute(query)]

    def candidates_weights_id(self, photo_id: int) -> str | None:
        with self._read() as conn:
            return conn.execute(select(candidates.c.weights_id).where(candidates.c.photo_id == photo_id).limit(1)).scalar()

    def photos_with_candidates(self) -> list[int]:
        with self._read() as conn:
            return list(conn.execute(select(candidates.c.photo_id).distinct().order_by(candidates.c.photo_id)).scalars())

    # ----------------------------------------------------------------- decisions
    def decide(
        self,
        photo_id: int,
        decision: str,
        individual_id: int | None = None,
        score: float | None = None,
        rank: int | None = None,
        weights_id: str | None = None,
        new_code: str | None = None,
        new_name: str | None = None,
        who: str | None = None,
        expected_version: int | None = None,
    ) -> DecisionRow:
        """Record one decision in one transaction with its effects: "confirmed" writes the
        sighting, "new_individual" creates the individual (code suggested when not given) and
        its sighting; "rejected" and "skipped" only record. Score/rank/weights default to the
        photo's recorded candidate for that individual.

        `expected_version` is the photo's decision version the reviewer saw (decision_state). When
        someone else decided (or undid) on the photo since, the decision is refused: it is kept in
        the history without effect and DecisionConflictError names the other decision; a decision
        that agrees with the one in force is recorded as usual. None: no check (imports, tools)."""
        if decision not in DECISIONS:
            raise CatalogError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
        who = who or self.user
        refused: DecisionRow | None = None
        first: DecisionRow | None = None
        with self._tx() as conn:
            photo = conn.execute(select(photos.c.id, photos.c.path).where(photos.c.id == photo_id)).first()
            if photo is None:
                raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
            # the photo's row is locked from here to the commit (PostgreSQL), so two decisions on
            # one photo are applied one after the other and the second sees the first's version
            version = self._bump_version(conn, photo_id, decision, expected_version)
            if version is None:  # someone else decided (or undid) since expected_version
                first = self._first_since(conn, photo_id, expected_version)
                if first is not None and agrees(first, decision, individual_id):
                    version = self._bump_version(conn, photo_id, decision, None)
                else:
                    refused = self._record_refused(conn, photo_id, decision, individual_id, score, rank,
                                                   weights_id, who, expected_version, first)
            if refused is None:
                return self._apply_decision(conn, photo_id, decision, individual_id, score, rank, weights_id,
                                            new_code, new_name, who, version)
        # committed (the refused decision is history now); the reviewer is told who was first
        raise DecisionConflictError(first or refused, refused, Path(photo.path).name)

    def _apply_decision(self, conn, photo_id, decision, individual_id, score, rank, weights_id, new_code,
                        new_name, who, version) -> DecisionRow:
        """The decision's effects and its row (inside the caller's transaction)."""
        created = False
        code = None
        if decision in ("confirmed", "new_individual"):
            current = conn.execute(
                select(individuals.c.code)
                .join(sightings, sightings.c.individual_id == individuals.c.id)
                .where(sightings.c.photo_id == photo_id)
            ).scalars().all()
            target = None
            if decision == "confirmed":
                if individual_id is None:
                    raise DecisionError("confirm needs the individual the photo shows")
                # shared row lock: a concurrent merge of this individual waits for this decision
                # (and moves its new sighting) or went first (and the check below refuses)
                target = self._individual_raw(conn, individual_id, lock="share")
                if target.merged_into is not None:
                    raise DecisionError(f"individual {target.code} was merged into another one; confirm that one")
            others = [c for c in current if target is None or c != target.code]
            if others:
                raise DecisionError(
                    f"photo {photo_id} is already identified as {', '.join(others)}; undo that decision first"
                )
        elif individual_id is not None:
            self._individual_raw(conn, individual_id)

        if decision == "new_individual":
            if score is None and rank is None:  # the matcher's "new_whale" line, when it ranked one
                cand = conn.execute(
                    select(candidates.c.score, candidates.c.rank, candidates.c.weights_id)
                    .where(candidates.c.photo_id == photo_id)
                    .where(candidates.c.individual_id.is_(None))
                ).first()
                if cand is not None:
                    score, rank = cand.score, cand.rank
                    weights_id = weights_id or cand.weights_id
            individual_id = self._create_new_individual(conn, new_code, new_name)
            created = True
        if individual_id is not None:
            code = conn.execute(select(individuals.c.code).where(individuals.c.id == individual_id)).scalar()
            if score is None and rank is None and not created:
                cand = conn.execute(
                    select(candidates.c.score, candidates.c.rank, candidates.c.weights_id)
                    .where(candidates.c.photo_id == photo_id)
                    .where(candidates.c.individual_id == individual_id)
                    .order_by(candidates.c.rank)
                ).first()
                if cand is not None:
                    score, rank = cand.score, cand.rank
                    weights_id = weights_id or cand.weights_id
        decision_id = inserted_id(conn.execute(
            decisions.insert().values(
                photo_id=photo_id, individual_id=individual_id, individual_code=code, decision=decision,
                score=score, rank=rank, weights_id=weights_id, who=who, at=now_iso_precise(),
                undone=False, created_individual=created, photo_version=version,
            )
        ))
        if decision in ("confirmed", "new_individual"):
            already = conn.execute(
                select(sightings.c.id)
                .where(sightings.c.photo_id == photo_id)
                .where(sightings.c.individual_id == individual_id)
            ).first()
            if already is None:
                self._add_sighting(conn, photo_id, individual_id, decision_id=decision_id, confirmed_by=who)
        r = conn.execute(select(decisions).where(decisions.c.id == decision_id)).first()
        return decision_row(r)

    # ----------------------------------------------------------------- versions and conflicts
    def decision_state(self, photo_id: int) -> tuple[int, DecisionRow | None]:
        """(the photo's decision version, its latest decision in force or None): what a reviewer
        sees when opening the photo; the version goes with their decision (expected_version)."""
        with self._read() as conn:
            version = conn.execute(select(photos.c.decision_version).where(photos.c.id == photo_id)).scalar()
            if version is None:
                raise NotFoundError(f"{self.folder}: no photo with id {photo_id}")
            r = conn.execute(
                select(decisions).where(decisions.c.photo_id == photo_id).where(decisions.c.undone == False)  # noqa: E712
                .order_by(decisions.c.id.desc()).limit(1)
            ).first()
        return int(version), None if r is None else decision_row(r)

    def _bump_version(self, conn, photo_id: int, decision: str, expected: int | None) -> int | None:
        """Raise the photo's decision version (row lock until the commit); None when it is no
        longer `expected`. A skip changes nothing and is never refused."""
        if decision in UNVERSIONED:
            return conn.execute(select(photos.c.decision_version).where(photos.c.id == photo_id)).scalar()
        update = photos.update().where(photos.c.id == photo_id)
        if expected is not None:
            update = update.where(photos.c.decision_version == expected)
        if conn.execute(update.values(decision_version=photos.c.decision_version + 1)).rowcount == 0:
            return None
        return conn.execute(select(photos.c.decision_version).where(photos.c.id == photo_id)).scalar()

    def _first_since(self, conn, photo_id: int, version: int | None) -> DecisionRow | None:
        """The decision (or undone one) that moved the photo past `version` first."""
        r = conn.execute(
            select(decisions).where(decisions.c.photo_id == photo_id)
            .where(decisions.c.conflict_with.is_(None)).where(decisions.c.decision.not_in(UNVERSIONED))
            .where(decisions.c.photo_version > (version or 0))
            .order_by(decisions.c.id).limit(1)
        ).first()
        if r is None:  # only an undo moved the version: the decision that was undone
            r = conn.execute(
                select(decisions).where(decisions.c.photo_id == photo_id)
                .where(decisions.c.conflict_with.is_(None)).where(decisions.c.decision.not_in(UNVERSIONED))
                .order_by(decisions.c.undone_at.is_(None), decisions.c.undone_at.desc(), decisions.c.id.desc())
                .limit(1)
            ).first()
        return None if r is None else decision_row(r)

    def _record_refused(self, conn, photo_id, decision, individual_id, score, rank, weights_id, who,
                        version, first: DecisionRow | None) -> DecisionRow:
        """Keep a refused decision in the history: undone at once, pointing at the first one."""
        code = None
        if individual_id is not None:
            code = conn.execute(select(individuals.c.code).where(individuals.c.id == individual_id)).scalar()
        at = now_iso_precise()
        decision_id = inserted_id(conn.execute(
            decisions.insert().values(
                photo_id=photo_id, individual_id=individual_id if code is not None else None,
                individual_code=code, decision=decision, score=score, rank=rank, weights_id=weights_id,
                who=who, at=at, undone=True, undone_at=at, created_individual=False, photo_version=version,
                conflict_with=first.id if first is not None else None,
            )
        ))
        return decision_row(conn.execute(select(decisions).where(decisions.c.id == decision_id)).first())

    def changes_since(self, mark: tuple[int, int, int] | None, undone_since: str | None
                      ) -> tuple[tuple[int, int, int], list[int] | None]:
        """What an app must reload after others' writes, cheaply: `mark` is what the last call
        returned (the highest photo, decision and box ids). Returns the new mark and the photos
        whose decisions or boxes changed since (decisions undone at or after `undone_since`, an ISO
        time), or None when photos were added (reload them all). A transaction may commit after one
        that took a higher id, so the last LOOKBACK ids are looked at again."""
        with self._read() as conn:
            now = (int(conn.execute(select(func.max(photos.c.id))).scalar() or 0),
                   int(conn.execute(select(func.max(decisions.c.id))).scalar() or 0),
                   int(conn.execute(select(func.max(boxes.c.id))).scalar() or 0))
            if mark is None or now[0] != mark[0]:
                return now, None
            touched = set(conn.execute(
                select(decisions.c.photo_id).where(or_(decisions.c.id > mark[1] - LOOKBACK,
                                                       decisions.c.undone_at >= (undone_since or "")))
            ).scalars())
            touched.update(conn.execute(select(boxes.c.photo_id).where(boxes.c.id > mark[2] - LOOKBACK)).scalars())
        return now, sorted(touched)

    def decisions_since(self, after_id: int | None, undone_since: str | None = None) -> list[DecisionRow]:
        """One read: the decisions with an id above after_id (None: the last LOOKBACK ids) and
        those undone at or after undone_since (an ISO time; None: none of the older ones)."""
        with self._read() as conn:
            if after_id is None:
                after_id = int(conn.execute(select(func.max(decisions.c.id))).scalar() or 0) - LOOKBACK
            where = decisions.c.id > after_id
            if undone_since is not None:
                where = or_(where, decisions.c.undone_at >= undone_since)
            return [decision_row(r) for r in conn.execute(select(decisions).where(where).order_by(decisions.c.id))]

    def conflicts(self) -> list[tuple[DecisionRow, DecisionRow]]:
        """(refused decision, the one made first) for every refused decision, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                select(decisions).where(decisions.c.conflict_with.is_not(None)).order_by(decisions.c.id)
            ).all()
            out = []
            for r in rows:
                first = conn.execute(select(decisions).where(decisions.c.id == r.conflict_with)).first()
                out.append((decision_row(r), decision_row(first)))
        return out

    def undo_last(self, who: str | None = None) -> DecisionRow | None:
        """Undo the most recent decision still in force (its effects too), of `who` when given (in a
        shared catalog, a reviewer's own); None when none is left."""
        with self._tx() as conn:
            query = select(decisions.c.id).where(decisions.c.undone == False)  # noqa: E712
            if who is not None:
                query = query.where(decisions.c.who == who)
            last = conn.execute(query.order_by(decisions.c.id.desc()).limit(1)).scalar()
            if last is None:
                return None
            return self.undo(last)

    def undo(self, decision_id: int) -> DecisionRow:
        """Undo one decision: remove the sighting it wrote and the individual it created."""
        with self._tx() as conn:
            d = conn.execute(select(decisions).where(decisions.c.id == decision_id)).first()
            if d is None:
                raise NotFoundError(f"{self.folder}: no decision with id {decision_id}")
            if d.conflict_with is not None:
                raise DecisionError(f"decision {decision_id} was refused (decision {d.conflict_with} came first); "
                                    "it had no effect to undo")
            if d.undone:
                raise DecisionError(f"decision {decision_id} was already undone")
            self._bump_version(conn, d.photo_id, d.decision, None)  # others' views of the photo are stale now
            if d.created_individual and d.individual_id is not None:
                ind = d.individual_id
                others = conn.execute(
                    select(sightings.c.id)
                    .where(sightings.c.individual_id == ind)
                    .where(sightings.c.decision_id.is_(None) | (sightings.c.decision_id != decision_id))
                ).first()
                absorbed = conn.execute(select(individuals.c.code).where(individuals.c.merged_into == ind)).first()
                if others is not None or absorbed is not None:
                    raise DecisionError(
                        f"individual {d.individual_code} has other photos now; undo or move those first"
                    )
            conn.execute(sightings.delete().where(sightings.c.decision_id == decision_id))
            if d.created_individual and d.individual_id is not None:
                ind = d.individual_id
                # the individual goes; decisions keep its code as text for the audit trail
                conn.execute(candidates.delete().where(candidates.c.individual_id == ind))
                conn.execute(decisions.update().where(decisions.c.individual_id == ind).values(individual_id=None))
                conn.execute(individual_events.delete().where(individual_events.c.individual_id == ind))
                conn.execute(individuals.delete().where(individuals.c.id == ind))
            conn.execute(
                decisions.update().where(decisions.c.id == decision_id).values(undone=True, undone_at=now_iso_precise())
            )
            r = conn.execute(select(decisions).where(decisions.c.id == decision_id)).first()
        return decision_row(r)

    def decisions(self, photo_id: int | None = None, include_undone: bool = True) -> list[DecisionRow]:
        query = select(decisions).order_by(decisions.c.id)
        if photo_id is not None:
            query = query.where(decisions.c.photo_id == photo_id)
        if not include_undone:
            query = query.where(decisions.c.undone == False)  # noqa: E712
        with self._read() as conn:
            return [decision_row(r) for r in conn.execute(query)]

    # ----------------------------------------------------------------- matching inputs
    def references(self) -> list[tuple[Path, str, BoundingBox | None]]:
        """(photo path, individual code, current box or None) of every identified photo: the
        matcher's reference catalog. Ordered by code, then path."""
        return [(p, code, box) for p, code, box, _r, _f in self.oriented_references()]

    def oriented_references(self) -> list[tuple[Path, str, BoundingBox | None, int, bool]]:
        """references() with each current box's rotation (0 or 180) and mirror flag (0, False
        without a box), in one query: the match queue reads them for every photo it ranks."""
        query = (
            select(photos.c.path, individuals.c.code, boxes.c.x0, boxes.c.y0, boxes.c.x1, boxes.c.y1,
                   boxes.c.rotation, boxes.c.flip)
            .select_from(
                sightings.join(photos, photos.c.id == sightings.c.photo_id)
                .join(individuals, individuals.c.id == sightings.c.individual_id)
                .outerjoin(boxes, and_(boxes.c.photo_id == photos.c.id, boxes.c.active == True))  # noqa: E712
            )
            .where(individuals.c.merged_into.is_(None))
            .order_by(individuals.c.code, photos.c.path)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            (Path(p), code, None if x0 is None else BoundingBox(x0, y0, x1, y1), int(rot or 0), bool(flip))
            for p, code, x0, y0, x1, y1, rot, flip in rows
        ]
