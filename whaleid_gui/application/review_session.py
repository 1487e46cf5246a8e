"""The rules of a review session, without Qt: what a decision records, the undo history that spans
box edits and decisions, which photo comes next, and which photos share the query's encounter.

The GUI's ReviewController calls this object and observes it (``subscribe``): every change that
reached the store is announced as a small event, and the controller updates the views from it.
The store is the GUI thread's ProjectStore connection; store errors propagate to the caller,
which says why in the window, and leave the session as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

from whaleid_gui.application.match_photos import MatchResult, record_result
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import CatalogError, DecisionConflictError

ENCOUNTER_HOURS = 2.0  # photos of one survey taken this close together show the same encounter
# an undo is stamped with its reviewer's clock: polls look that far back for undos (clocks of a
# lab's machines differ by less; a photo reported twice is only updated twice)
UNDO_MARGIN_MIN = 2


def minutes_ago(minutes: float) -> str:
    from datetime import timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


@dataclass(frozen=True)
class BoxState:
    """What the store keeps for one photo: the box (or none) and how to orient the crop."""

    box: BoundingBox | None = None
    rotation: int = 0  # 0 or 180
    flip: bool = False


def state_of(boxrow: Any) -> BoxState:
    """The BoxState of a store box row (None: no box yet)."""
    if boxrow is None:
        return BoxState()
    return BoxState(boxrow.box, int(boxrow.rotation or 0), bool(boxrow.flip))


# ---------------------------------------------------------------------------- history entries
@dataclass(frozen=True)
class BoxEdit:
    photo_id: int
    before: BoxState
    after: BoxState


@dataclass(frozen=True)
class Decision:
    photo_id: int
    kind: str  # "confirmed" | "rejected" | "new_individual" | "skipped"
    code: str | None  # the individual decided for (None for a skip)
    decision_id: int | None = field(default=None, compare=False)  # the store's row: what undo takes back


@dataclass(frozen=True)
class EncounterBatch:
    """Decisions on several photos of one encounter, made together (application/encounter_batch.py):
    each photo has its own recorded decision; undo takes them all back as one step."""

    decisions: tuple[Decision, ...]

    @property
    def photo_id(self) -> int:  # where undo goes back to: the photo the batch was made on
        return self.decisions[0].photo_id

    @property
    def kind(self) -> str:
        return f"{self.decisions[0].kind} together ({len(self.decisions)} photos)"

    @property
    def code(self) -> str | None:
        return self.decisions[0].code


HistoryEntry = Union[BoxEdit, Decision, EncounterBatch]


@dataclass(frozen=True)
class DecisionRequest:
    """A decision on the photo under review as the store will record it, before it is recorded
    (ReviewSession.request): the app records it off the GUI thread (record_decision, on a
    connection of its own) and hands the outcome back (ReviewSession.recorded / refused)."""

    photo_id: int
    kind: str
    code: str | None  # the individual decided for (None for a skip)
    individual_id: int | None
    score: float | None
    rank: int | None
    weights_id: str | None
    expected_version: int | None  # the photo's decision version the reviewer saw
    who: str | None
    new_code: str | None = None
    new_name: str | None = None


def record_decision_in(store: Any, request: DecisionRequest) -> Any:
    """The decision's one store transaction; returns the store's decision row. Raises
    DecisionConflictError when someone else decided the photo since the reviewer saw it."""
    return store.decide(
        request.photo_id, request.kind, individual_id=request.individual_id, score=request.score,
        rank=request.rank, weights_id=request.weights_id, new_code=request.new_code,
        new_name=request.new_name or None, who=request.who, expected_version=request.expected_version)


def record_decision(folder: str | Path, request: DecisionRequest) -> Any:
    """record_decision_in on a store connection of its own (a worker job: the GUI thread does not
    wait for the transaction, 50-130 ms under load); returns the decision row."""
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, user=request.who)
    try:
        return record_decision_in(store, request)
    finally:
        store.close()


# ---------------------------------------------------------------------------- what observers hear
@dataclass(frozen=True)
class BoxSaved:
    """A photo's box (or its removal) reached the store; its ranking is gone."""

    photo_id: int
    state: BoxState


@dataclass(frozen=True)
class DecisionRecorded:
    decision: Decision


@dataclass(frozen=True)
class DecisionUndone:
    decision: Decision
    photo_id: int  # the photo the store's undo touched (where the review goes back to)


@dataclass(frozen=True)
class DecisionConflicted:
    """Someone else decided the photo first: `error.first` is their decision (who, when, what),
    `error.refused` this reviewer's, kept in the history without effect."""

    error: DecisionConflictError


SessionEvent = Union[BoxSaved, DecisionRecorded, DecisionUndone, DecisionConflicted]


@dataclass(frozen=True)
class Refresh:
    """What a poll found: whether anyone changed the catalog since the last poll (reload the
    views), and who else has the photo under review open (None: nobody)."""

    changed: bool
    claim: Any = None  # store_claims.ClaimRow
    # when changed: the photos whose decisions or boxes changed (their rows as they are now), or
    # None when photos were added (reload them all)
    photos: list | None = None


# ---------------------------------------------------------------------------- which photo next
def next_pending(order: Sequence[int], status: Mapping[int, str], after: int | None) -> int | None:
    """The next photo after `after` in the shown order (wrapping round) that still needs work."""
    ids = list(order)
    start = ids.index(after) + 1 if after in ids else 0
    for pid in ids[start:] + ids[:start]:
        if pid in status and status[pid] != "done" and pid != after:
            return pid
    return None


def next_photo(order: Sequence[int], status: Mapping[int, str], current: int | None,
               force: bool = False) -> int | None:
    """Where the review goes after a decision on `current`: the next photo that still needs work;
    with `force` (a skip) at least the next shown photo. None: stay on `current`."""
    pending = next_pending(order, status, current)
    if pending is not None and pending != current:
        return pending
    if force:
        ids = list(order)
        if current in ids:
            i = ids.index(current)
            return ids[i + 1] if i + 1 < len(ids) else None
        return ids[0] if ids else None
    return None


# ---------------------------------------------------------------------------- same encounter
def taken_at(photo: Any) -> datetime | None:
    """The photo's date as a naive datetime (None when missing or unreadable)."""
    try:
        t = datetime.fromisoformat(photo.taken_at) if photo.taken_at else None
    except (TypeError, ValueError):
        return None
    return t.replace(tzinfo=None) if t is not None else None


def encounter_siblings(query: Any, rows: Sequence[Any], hours: float = ENCOUNTER_HOURS) -> list:
    """The other photos of the query's encounter: same survey and taken within `hours` of it
    (without a survey, the same folder too). Where a date is missing only an explicit survey groups
    photos: a folder of undated photos may hold a whole season, not one encounter."""
    t0 = taken_at(query)
    folder = Path(query.path).parent
    out = []
    for p in rows:
        if p.id == query.id or p.survey != query.survey:
            continue
        t = taken_at(p)
        if t0 is not None and t is not None:
            near = abs((t - t0).total_seconds()) <= hours * 3600
            if near and (query.survey is not None or Path(p.path).parent == folder):
                out.append(p)
        elif query.survey is not None:
            out.append(p)
    out.sort(key=lambda p: (p.taken_at or "9999", Path(p.path).name.lower(), p.id))
    return out


# ---------------------------------------------------------------------------- the session
class ReviewSession:
    """One project's review: the photo under review, its box, cached rankings, rejections, proposals
    and the undo history. Every write goes to the store at once (one transaction per action)."""

    def __init__(self) -> None:
        self.store: Any = None
        self.read_only = False
        self.photo_id: int | None = None
        self.photo_row: Any = None  # the store's PhotoRow of the photo under review, as shown
        self.photo_state = BoxState()  # the box of the photo under review, as stored now
        # the photo's decision version when it was shown: a decision goes with it, and one that
        # someone else made in between refuses ours (DecisionConflicted)
        self.photo_version: int | None = None
        self.claimed_by: Any = None  # another reviewer's claim on the photo under review
        self._seen_changes: int | None = None
        self._mark: tuple[int, int, int] | None = None  # the store's highest photo/decision/box ids seen
        self._undone_since = minutes_ago(UNDO_MARGIN_MIN)
        self.results: dict[int, MatchResult] = {}  # photo id -> its latest ranking
        self.rejected: dict[int, set[str]] = {}  # photo id -> codes rejected for it
        self.proposals: dict[str, BoundingBox] = {}  # resolved photo path -> proposed box
        self.history: list[HistoryEntry] = []
        self.redo_stack: list[BoxEdit] = []
        self._listeners: list[Callable[[SessionEvent], None]] = []

    # ------------------------------------------------------------------ observers
    def subscribe(self, listener: Callable[[SessionEvent], None]) -> None:
        self._listeners.append(listener)

    def _announce(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ project and photo
    def open(self, store: Any, proposals: Mapping[str, BoundingBox] | None = None) -> None:
        """Start over on another project (None: no project); nothing of the last one is kept."""
        self._release_claims()
        self.store = store
        # what the views show now: a change from here on reloads them at the next poll
        self._seen_changes = store.change_count() if store is not None else None
        self._mark = store.changes_since(None, None)[0] if store is not None else None
        self._undone_since = minutes_ago(UNDO_MARGIN_MIN)
        self.read_only = bool(store is not None and store.read_only)
        self.photo_id = None
        self.photo_row = None
        self.photo_state = BoxState()
        self.results.clear()
        self.rejected.clear()
        self.history.clear()
        self.redo_stack.clear()
        self.proposals = dict(proposals or {})

    @property
    def can_edit(self) -> bool:
        return self.store is not None and not self.read_only

    def show(self, photo_id: int | None, claim: bool = True) -> BoxState:
        """The photo now under review (None: none); returns its stored box. Others see that this
        reviewer has it open (a claim), and the session notes the decision version it shows.
        claim=False: the claim is made later (claim_current), e.g. after a decision being
        recorded on another connection, whose write the claim's write would wait for."""
        photo, box, version = self.store.photo_under_review(photo_id) if photo_id is not None else (None, None, None)
        self.photo_id, self.photo_row, self.photo_state, self.photo_version = photo_id, photo, state_of(box), version
        self.claimed_by = self._claim() if claim else None
        return self.photo_state

    def claim_current(self) -> Any:
        """Claim the photo under review now; returns another reviewer's claim on it (None: none)."""
        self.claimed_by = self._claim()
        return self.claimed_by

    # ------------------------------------------------------------------ other reviewers
    def _claim(self) -> Any:
        """Claim the photo under review (a writer) and return another reviewer's claim on it. A
        claim is a hint: when it cannot be written the review goes on without it."""
        if self.store is None or self.photo_id is None:
            return None
        try:
            if self.can_edit:
                return self.store.claim_photo(self.photo_id)
            return self.store.claim_of(self.photo_id)
        except CatalogError:
            return None

    def _release_claims(self) -> None:
        if self.store is not None and self.can_edit and not getattr(self.store, "closed", False):
            try:
                self.store.release_claims()
            except CatalogError:
                pass  # stale within minutes anyway

    def _absorb_own_write(self) -> None:
        """After this session's one write transaction: when nobody else wrote meanwhile, the next
        poll has nothing to reload (the views already show our own decision)."""
        if self._seen_changes is not None:
            count = self.store.change_count()
            if count == self._seen_changes + 1:
                self._seen_changes = count

    def poll(self) -> Refresh:
        """Called every few seconds by the app: keeps this reviewer's claim alive, says whether
        anyone changed the catalog since the last poll (one cheap read) and who else has the photo
        under review open."""
        if self.store is None:
            return Refresh(False)
        count = self.store.change_count()
        changed = self._seen_changes is not None and count != self._seen_changes
        self._seen_changes = count
        photos = None
        if changed:  # which photos: a few rows instead of the whole queue (1 s at 50,000 photos)
            self._mark, ids = self.store.changes_since(self._mark, self._undone_since)
            photos = None if ids is None else self.store.photos_by_id(ids)
        self._undone_since = minutes_ago(UNDO_MARGIN_MIN)
        self.claimed_by = self._claim()
        return Refresh(changed, self.claimed_by, photos)

    def proposal_for(self, path: str | Path) -> BoundingBox | None:
        return self.proposals.get(str(Path(path).resolve()))

    # ------------------------------------------------------------------ boxes
    def edit_box(self, state: BoxState) -> BoxEdit | None:
        """The user changed the box of the photo under review: save it and make it undoable.
        A first box equal to the box model's proposal is saved as 'proposed'."""
        if self.photo_id is None or not self.can_edit:
            return None
        before = self.photo_state
        accepted = (state.box is not None and before.box is None
                    and self.proposal_for(self.store.photo(self.photo_id).path) == state.box)
        self.save_box(self.photo_id, state, source="proposed" if accepted else "manual")
        edit = BoxEdit(self.photo_id, before, state)
        self.history.append(edit)
        self.redo_stack.clear()
        return edit

    def save_box(self, photo_id: int, state: BoxState, source: str = "manual") -> None:
        """Write one box to the store; a new box means a new ranking (the cached one is dropped)."""
        if state.box is None:
            self.store.delete_box(photo_id)
        else:
            self.store.set_box(photo_id, state.box, source=source, rotation=state.rotation,
                               flip=state.flip, author=getattr(self.store, "user", None))
        if photo_id == self.photo_id:
            self.photo_state = state
        self.results.pop(photo_id, None)
        self.rejected.pop(photo_id, None)
        self._announce(BoxSaved(photo_id, state))

    # ------------------------------------------------------------------ rankings
    def drop_moved_rankings(self, photo_ids: Iterable[int]) -> list[int]:
        """Of these photos (another reviewer changed them), those whose kept ranking was computed on
        a box that is no longer their current one: their rankings are dropped (returned). A
        ranking whose box is not known (None) is kept."""
        ranked = [pid for pid in photo_ids if pid in self.results and self.results[pid].box_id is not None]
        if not ranked or self.store is None:
            return []
        boxes = self.store.current_boxes(ranked)
        moved = [pid for pid in ranked if (boxes[pid].id if pid in boxes else None) != self.results[pid].box_id]
        for pid in moved:
            self.results.pop(pid, None)
            if pid == self.photo_id:
                self.photo_state = state_of(boxes.get(pid))
        return moved

    def add_result(self, result: MatchResult, recorded: bool = False) -> None:
        """Keep a photo's ranking and record its candidates in the store (the audit trail);
        recorded: the background queue recorded them on its own connection already."""
        self.results[result.photo_id] = result
        if self.can_edit and not recorded:
            record_result(self.store, result)

    # ------------------------------------------------------------------ decisions
    def decide(self, kind: str, cand: Any = None, new_code: str | None = None,
               new_name: str | None = None) -> Any:
        """Record a decision on exactly the photo under review: the candidate's individual, its score
        and rank and the model that ranked it; returns the store's decision row (None: nothing to
        decide on)."""
        req = self.request(kind, cand, new_code, new_name)
        if req is None:
            return None
        try:
            row = record_decision_in(self.store, req)
        except DecisionConflictError as err:
            self.refused(req, err)
            raise
        self.recorded(req, row)
        return row

    def request(self, kind: str, cand: Any = None, new_code: str | None = None,
                new_name: str | None = None) -> DecisionRequest | None:
        """What decide() would record for the photo under review, not recorded yet (None: nothing
        to decide on): the caller records it (record_decision) and reports recorded() or refused()."""
        if self.photo_id is None or not self.can_edit:
            return None
        result = self.results.get(self.photo_id)
        return DecisionRequest(
            self.photo_id, kind, cand.code if cand is not None else new_code,
            individual_id=cand.individual_id if cand is not None else None,
            score=cand.score if cand is not None else None, rank=cand.rank if cand is not None else None,
            weights_id=result.weights_id if result is not None else None,
            expected_version=self.photo_version, who=getattr(self.store, "user", None),
            new_code=new_code, new_name=new_name)

    def recorded(self, req: DecisionRequest, row: Any) -> Decision:
        """The store recorded the request (row): it joins the undo history and is announced."""
        if req.photo_id == self.photo_id:
            self.photo_version = row.photo_version
        self._absorb_own_write()
        decision = Decision(req.photo_id, req.kind, req.code, row.id)
        if req.kind == "rejected" and decision.code:
            self.rejected.setdefault(req.photo_id, set()).add(decision.code)
        self.history.append(decision)
        self.redo_stack.clear()
        self._announce(DecisionRecorded(decision))
        return decision

    def refused(self, req: DecisionRequest, err: BaseException) -> None:
        """The store did not record the request. Someone else decided the photo first: their
        decision is announced, and the reviewer's next decision on it is made on theirs."""
        if isinstance(err, DecisionConflictError):
            if req.photo_id == self.photo_id:
                self.photo_version = self.store.decision_state(req.photo_id)[0]
            self._announce(DecisionConflicted(err))

    def rejected_for(self, photo_id: int) -> set[str]:
        return self.rejected.get(photo_id, set())

    # ------------------------------------------------------------------ undo / redo
    def last_entry(self) -> HistoryEntry | None:
        """What undo() would undo (None: nothing)."""
        return self.history[-1] if self.history and self.can_edit else None

    def undo(self) -> HistoryEntry | None:
        """Undo the last box edit or decision, whichever came last. A failing store write raises
        and keeps the entry, so undo can be tried again."""
        entry = self.last_entry()
        if entry is None:
            return None
        if isinstance(entry, EncounterBatch):  # one step: each photo's decision, the last made first
            self.history[-1:] = list(entry.decisions)
            for _ in entry.decisions:  # a failing one raises; those left stay undoable one by one
                self.undo()
            return entry
        if isinstance(entry, BoxEdit):
            self.save_box(entry.photo_id, entry.before)
            self.history.pop()
            self.redo_stack.append(entry)
            return entry
        # this reviewer's own decision, not the catalog's latest (another reviewer's, perhaps)
        row = self.store.undo(entry.decision_id) if entry.decision_id is not None else self.store.undo_last()
        self.history.pop()
        if row is not None and row.photo_id == self.photo_id:
            self.photo_version = self.store.decision_state(row.photo_id)[0]
        if entry.kind == "rejected":
            self.rejected.get(entry.photo_id, set()).discard(entry.code or "")
        self._announce(DecisionUndone(entry, row.photo_id if row is not None else entry.photo_id))
        return entry

    def redo(self) -> BoxEdit | None:
        """Redo the last undone box edit (decisions are made again, not redone)."""
        if not self.redo_stack or not self.can_edit:
            return None
        entry = self.redo_stack[-1]
        self.save_box(entry.photo_id, entry.after)
        self.redo_stack.pop()
        self.history.append(entry)
        return entry
