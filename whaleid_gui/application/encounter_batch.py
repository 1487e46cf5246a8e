"""Batch decisions for one encounter: a survey often holds several photos of the same whale minutes
apart. When sibling photos of the photo under review rank the individual the reviewer chose first,
they can be confirmed together after a side-by-side preview: each photo still gets its own recorded
decision (its own candidate's score, rank and model), and undo takes them all back as one step
(review_session.EncounterBatch). Qt-free: the review screen's preview (gui/encounter_batch.py)
shows what this module proposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generator, Mapping, Sequence

from . import engine_process
from .match_photos import CandidateView, MatchResult, match_photo
from .project_engine import EngineConfig
from .review_session import Decision, EncounterBatch, ReviewSession


@dataclass(frozen=True)
class BatchItem:
    """One photo of the encounter in the preview: the candidate it would be confirmed as (None:
    it is left out, and `why` says why)."""

    photo: Any  # the store's PhotoRow
    candidate: CandidateView | None
    why: str = ""

    @property
    def included(self) -> bool:
        return self.candidate is not None


def sibling_item(photo: Any, code: str, result: MatchResult | None, rejected: set[str]) -> BatchItem:
    """A sibling joins when its own ranking puts `code` first (a new-individual line above it, a
    rejection of `code` for that photo or a decision already made keeps it out)."""
    if photo.status == "done":
        return BatchItem(photo, None, "already decided")
    if result is None:
        return BatchItem(photo, None, "no box yet" if photo.status == "needs_box" else "not matched yet")
    first = result.candidates[0] if result.candidates else None
    if first is None:
        return BatchItem(photo, None, "no candidates")
    if code in rejected:
        return BatchItem(photo, None, f"{code} was rejected for this photo")
    if first.code != code:
        return BatchItem(photo, None, "ranks a new individual first" if first.is_new else f"ranks {first.code} first")
    return BatchItem(photo, first)


def plan_batch(query: Any, chosen: CandidateView, siblings: Sequence[Any], results: Mapping[int, MatchResult],
               rejected: Mapping[int, set[str]]) -> list[BatchItem]:
    """The preview's rows: the photo under review with the candidate the reviewer chose, then every
    sibling of its encounter, included or left out with the reason."""
    items = [BatchItem(query, chosen)]
    items += [sibling_item(p, chosen.code, results.get(p.id), set(rejected.get(p.id, set()))) for p in siblings]
    return items


def missing_rankings(siblings: Sequence[Any], results: Mapping[int, MatchResult]) -> list[int]:
    """Siblings with a box and no decision whose ranking the session does not hold yet."""
    return [p.id for p in siblings if p.status == "needs_decision" and p.id not in results]


@dataclass(frozen=True)
class SiblingRanked:
    """Progress event of rank_siblings: one sibling's ranking."""

    result: MatchResult
    done: int
    total: int
    message: str = "Ranking the encounter's photos"


def rank_siblings(folder: str, photo_ids: Sequence[int], engine: EngineConfig) -> Generator[Any, None, int]:
    """Job: rank each photo in turn (the prepared matcher is shared with the review's matches, so a
    photo costs one query); yields SiblingRanked per photo; returns how many were ranked."""
    for n, pid in enumerate(photo_ids):
        result = yield from engine_process.run(match_photo, folder, pid, engine)
        yield SiblingRanked(result, n + 1, len(photo_ids))
    return len(photo_ids)


def confirm_together(session: ReviewSession, items: Sequence[BatchItem]) -> EncounterBatch | None:
    """Confirm every included photo as its candidate: one store transaction and one recorded decision
    per photo, one undo step for all. The photo under review stays under review. A store error stops
    the batch and propagates; the decisions made until then stay, as one undo step."""
    picks = [(item.photo.id, item.candidate) for item in items if item.candidate is not None]
    if not session.can_edit or not picks:
        return None
    current = session.photo_id
    made: list[Decision] = []
    try:
        for photo_id, cand in picks:
            session.show(photo_id)  # a decision is recorded on the photo under review
            if session.decide("confirmed", cand) is not None:
                entry = session.history.pop()
                assert isinstance(entry, Decision)
                made.append(entry)
    finally:
        session.show(current)
        batch = EncounterBatch(tuple(made)) if made else None
        if batch is not None:
            session.history.append(batch)
    return batch
