"""Matches computed ahead: the rules of the background match queue, without Qt.

Why: ranking one photo with keypoint re-ranking takes about a second on two cores, and the
first one after opening a project prepares the whole catalog. Done when the reviewer presses a
key, that wait was on every photo (issue 15). Done ahead, in review order, by one background
thread (gui/match_ahead.py runs match_ahead_job in a workers.Worker), the candidates are ready
when the photo is opened.

MatchPlan is what the GUI thread and the queue's thread share (thread-safe):
- the order: the photos that have a box and no decision yet, as the queue shows them; the photo
  under review goes first, then the ones after it;
- per photo a generation, raised by every box edit: a ranking computed for an older box is
  dropped on arrival (deliver says so);
- stale photos: their ranking is still shown (marked) but is computed again, because the
  catalog changed in a way that can change it (a confirm of one of its candidates);
- the catalog's generation and the individuals each change touched, so that a ranking that was
  running while the catalog changed is accepted only if the change cannot affect it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generator, Iterable, Sequence, TypeVar

from . import engine_process, match_photos
from .match_photos import MatchResult
from .project_engine import EngineConfig

T = TypeVar("T")
IDLE_WAIT_S = 0.25  # how often an idle queue looks again (and lets its worker see a cancel)
# After a key press the queue waits this long before it takes the next photo: the GUI thread is
# drawing the next photo then, and a ranking started at that moment competed with it for Python's
# GIL when rankings ran in the window's process (on two cores the key-to-candidates time doubled);
# in the engine process it still competes for the cores (the child runs at a lower priority).
HOLD_OFF_S = 0.4
QUIET_POLL_S = 0.05  # how often a waiting ranking looks whether the reviewer's photo is drawn


@dataclass(frozen=True)
class Claim:
    photo_id: int
    generation: int  # of the photo's box when claimed
    catalog: int  # generation of the catalog when claimed
    engine: Any = field(default=None, compare=False)  # the model to match with


@dataclass(frozen=True)
class AheadProgress:
    """Progress of the queue's current photo (the review panel shows it for the photo under review)."""

    photo_id: int
    event: Any


@dataclass(frozen=True)
class Precomputed:
    claim: Claim
    result: MatchResult
    recorded: bool = False  # its candidates are in the store already (the queue's own connection)


@dataclass(frozen=True)
class AheadFailed:
    claim: Claim
    reason: str


class MatchPlan:
    """Which photo the queue matches next, and whether a ranking that arrives is still good."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._order: list[int] = []
        self._order_known = False  # set_order was called (an empty order is known too)
        self._current: int | None = None
        self._generation: dict[int, int] = {}
        self._fresh: dict[int, int] = {}  # photo -> generation of the ranking it has
        self._stale: set[int] = set()
        self._failed: dict[int, int] = {}  # photo -> generation that failed (not retried)
        self._claimed: Claim | None = None
        self._computed: dict[int, int] = {}  # photo -> generation of a ranking on its way to deliver
        self._paused = False
        self._quiet_until = 0.0  # time.monotonic() before which nothing new is claimed (hold_off)
        self.catalog = 0
        self._changes: dict[int, frozenset[str]] = {}  # catalog generation -> individuals it touched
        self.engine: EngineConfig | None = None  # the model the queue matches with (set_engine)

    # ------------------------------------------------------------------ GUI thread
    def set_order(self, photo_ids: Iterable[int]) -> None:
        """The photos that need candidates, in the order the reviewer will see them."""
        with self._lock:
            self._order = list(dict.fromkeys(photo_ids))
            self._order_known = True
        self._wake.set()

    def set_current(self, photo_id: int | None) -> None:
        with self._lock:
            self._current = photo_id
        self._wake.set()

    def set_engine(self, engine: EngineConfig) -> None:
        """Another model or re-ranking setting: every ranking is redone with it."""
        with self._lock:
            if engine == self.engine:
                return
            self.engine = engine
            self._all_anew()
        self._wake.set()

    def catalog_edited(self, photo_ids: Iterable[int]) -> None:
        """A catalog-page edit (a merge, a rename): these photos' rankings list an individual it
        touched. They, and every ranking on its way (it may list one too, and no list of codes
        says what a merge left), are computed anew; the ones on their way are dropped."""
        with self._lock:
            for pid in set(photo_ids) | self._on_way():
                self._anew(pid)
        self._wake.set()

    def expects(self, photo_id: int) -> bool:
        """Whether the queue would rank this photo: it is in the review order, or no order is known
        yet (a project opening: the order comes a turn later). A decided photo opened from the
        "Done" list is not in it."""
        with self._lock:
            return not self._order_known or photo_id in self._order

    def rank_everything_again(self) -> None:
        """The catalog changed in a way no list of individuals describes (a rename or merge on the
        catalog page, an import): every ranking is computed anew, in review order, in the
        background; one on its way is dropped."""
        with self._lock:
            self._all_anew()
        self._wake.set()

    def _anew(self, pid: int) -> None:  # under the lock: its ranking, stored or on its way, is dropped
        self._generation[pid] = self._generation.get(pid, 0) + 1
        self._fresh.pop(pid, None)
        self._stale.discard(pid)
        self._failed.pop(pid, None)

    def _on_way(self) -> set[int]:  # under the lock: photos being ranked or ranked and not yet delivered
        return set(self._computed) | ({self._claimed.photo_id} if self._claimed is not None else set())

    def _all_anew(self) -> None:  # under the lock
        for pid in set(self._generation) | set(self._fresh) | set(self._order) | self._on_way():
            self._generation[pid] = self._generation.get(pid, 0) + 1
        self._fresh.clear()
        self._stale.clear()
        self._failed.clear()

    def pause(self, paused: bool) -> None:
        """Hold the queue (another heavy job runs); the photo being matched still finishes."""
        with self._lock:
            self._paused = paused
        self._wake.set()

    def hold_off(self, seconds: float = HOLD_OFF_S) -> None:
        """The reviewer just acted: start nothing new for a moment (the running photo goes on)."""
        with self._lock:
            self._quiet_until = 0.0 if seconds <= 0 else max(self._quiet_until, time.monotonic() + seconds)

    def yield_to_reviewer(self, photo_id: int) -> None:
        """Called by the queue between two steps of a ranking: while the reviewer's last action is
        being drawn (hold_off), a photo other than the one on screen waits. Its steps took the GIL (in
        the window's process) or a core (in the engine process) from the GUI thread in the middle
        of drawing the next photo (issue 15's stalls);
        the photo the reviewer is waiting for never waits, nor behind another: while the photo on
        screen still needs its ranking, the one under way goes on and the queue takes it next."""
        while True:
            with self._lock:
                left = self._quiet_until - time.monotonic()
                if left <= 0 or photo_id == self._current or self._current_needs_ranking():
                    return
            time.sleep(min(left, QUIET_POLL_S))

    def _current_needs_ranking(self) -> bool:
        return self._current is not None and self._current in self._order and self._needs_ranking(self._current)

    def invalidate(self, photo_id: int) -> None:
        """Its box changed: the stored ranking is gone and a running one will be dropped."""
        with self._lock:
            self._anew(photo_id)
        self._wake.set()

    def catalog_changed(self, individuals: Iterable[str], rankings: dict[int, MatchResult],
                        new_individual: bool = False) -> list[int]:
        """A decision added or took away catalog photos of these individuals: every ranking that
        lists one of them is stale (returned). A new individual is listed by no ranking yet; the
        rankings that put new_whale first are stale then (another photo of that new whale, say
        of the same encounter, is among them)."""
        touched = frozenset(individuals)
        stale = [pid for pid, r in rankings.items()
                 if touched & listed_codes(r) or (new_individual and r.candidates and r.candidates[0].is_new)]
        with self._lock:
            self.catalog += 1
            self._changes[self.catalog] = touched
            self._failed.clear()  # e.g. "no confirmed reference photos yet": worth another try
            for pid in stale:
                if pid in self._fresh:
                    self._stale.add(pid)
        self._wake.set()
        return stale

    def computed(self, claim: Claim) -> None:
        """The queue's thread has the ranking; until the GUI thread takes it (deliver) the photo is
        not claimed again."""
        with self._lock:
            self._computed[claim.photo_id] = claim.generation
            if self._claimed == claim:
                self._claimed = None

    def deliver(self, claim: Claim, result: MatchResult) -> str:
        """A ranking arrived: "fresh" (store and show it), "stale" (show it, it is redone) or
        "dropped" (computed for a box the photo no longer has)."""
        with self._lock:
            if self._claimed == claim:
                self._claimed = None
            if self._computed.get(claim.photo_id) == claim.generation:
                del self._computed[claim.photo_id]
            if self._generation.get(claim.photo_id, 0) != claim.generation:
                return "dropped"
            since = frozenset().union(*(v for k, v in self._changes.items() if k > claim.catalog))
            self._fresh[claim.photo_id] = claim.generation
            if since & listed_codes(result):
                self._stale.add(claim.photo_id)
                verdict = "stale"
            else:
                self._stale.discard(claim.photo_id)
                verdict = "fresh"
        self._wake.set()
        return verdict

    def redo(self, claim: Claim) -> None:
        """The claimed photo's box changed while it was ranked (another reviewer): that ranking is
        not kept, the photo is matched again with the box it has now."""
        with self._lock:
            if self._claimed == claim:
                self._claimed = None
            pid = claim.photo_id
            self._generation[pid] = self._generation.get(pid, 0) + 1
            self._fresh.pop(pid, None)
        self._wake.set()

    def failed(self, claim: Claim) -> None:
        with self._lock:
            if self._claimed == claim:
                self._claimed = None
            self._failed[claim.photo_id] = claim.generation
        self._wake.set()

    def forget(self, photo_id: int) -> None:
        """Decided or gone: it needs no ranking any more (kept if it comes back: undo)."""
        with self._lock:
            self._stale.discard(photo_id)
        self._wake.set()

    def is_stale(self, photo_id: int) -> bool:
        with self._lock:
            return photo_id in self._stale

    def has_ranking(self, photo_id: int) -> bool:
        with self._lock:
            return self._fresh.get(photo_id) == self._generation.get(photo_id, 0)

    def is_claimed(self, photo_id: int) -> bool:
        with self._lock:
            return self._claimed is not None and self._claimed.photo_id == photo_id

    def retry(self, photo_id: int) -> None:
        """Match it again if its last try failed; a ranking of it on its way stays good."""
        with self._lock:
            self._failed.pop(photo_id, None)
        self._wake.set()

    def pending(self) -> list[int]:
        """Photos still to be matched (or refreshed), in the order the queue takes them."""
        with self._lock:
            return self._pending()

    # ------------------------------------------------------------------ queue thread
    def claim(self) -> Claim | None:
        with self._lock:
            if self._paused or self.engine is None or time.monotonic() < self._quiet_until:
                return None
            todo = self._pending()
            if not todo:
                return None
            pid = todo[0]
            self._claimed = Claim(pid, self._generation.get(pid, 0), self.catalog, self.engine)
            return self._claimed

    def wait(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _pending(self) -> list[int]:
        order = self._order
        start = order.index(self._current) if self._current in order else 0
        return [pid for pid in order[start:] + order[:start] if self._needs_ranking(pid)]

    def _needs_ranking(self, pid: int) -> bool:
        """No fresh ranking (or a stale one), none on its way, and it did not fail as it is."""
        gen = self._generation.get(pid, 0)
        if self._failed.get(pid) == gen or self._computed.get(pid) == gen:
            return False
        return self._fresh.get(pid) != gen or pid in self._stale


def listed_codes(result: MatchResult) -> frozenset[str]:
    return frozenset(c.code for c in result.candidates if not c.is_new)


def match_ahead_job(folder: str | Path, plan: MatchPlan, stop: threading.Event | None = None,
                    record: bool = False) -> Generator[Any, None, int]:
    """The queue: match the plan's photos one after the other, with the plan's engine, for as long
    as it runs (its worker is cancelled when the project closes). Yields AheadProgress, Precomputed and
    AheadFailed events, and None while idle (a heartbeat: the worker checks for Cancel at every
    yield). Returns how many photos it matched.

    Each ranking runs in the engine process (engine_process.py: the window's GIL stays free), this
    thread only relays it; an engine that cannot go there (a test's model factory) ranks here.

    record: write each ranking to the store's candidates (the audit trail) from this thread, on a
    connection of its own, so that the GUI thread does not wait for those commits."""
    from whaleid_gui.core.catalog.store import ProjectStore

    matched = 0
    writer: Any = None
    reader: Any = None  # the read-only store of a queue that ranks in this process (rank_for_queue)
    remote_used = False
    try:
        while stop is None or not stop.is_set():
            claim = plan.claim()
            if claim is None:
                plan.wait(IDLE_WAIT_S)
                yield None
                continue
            try:
                if engine_process.crosses(str(folder), claim.photo_id, claim.engine):
                    remote_used = True
                    job = engine_process.shared().job(rank_for_queue, str(folder), claim.photo_id, claim.engine)
                else:
                    if reader is None:
                        reader = ProjectStore.open(folder, read_only=True)
                    job = rank_for_queue(folder, claim.photo_id, claim.engine, reader)
                result, moved = yield from _tagged(job, claim.photo_id, plan)
                if moved:  # its box moved meanwhile, elsewhere: ranked again with the box it has now
                    plan.redo(claim)
                    continue
            except Exception as exc:  # one photo that cannot be matched does not stop the queue
                if reader is not None:  # nor a lost connection: the next photo opens a fresh one
                    _close_quietly(reader)
                    reader = None
                plan.failed(claim)
                yield AheadFailed(claim, str(exc) or type(exc).__name__)
                continue
            matched += 1
            recorded = False
            if record:
                try:
                    if writer is None:
                        writer = ProjectStore.open(folder)
                    match_photos.record_result(writer, result)
                    recorded = True
                except Exception:  # e.g. the project became read-only: the GUI thread records it
                    record = False
            plan.computed(claim)
            yield Precomputed(claim, result, recorded)
    finally:
        for store in (writer, reader):
            if store is not None:
                store.close()
        if remote_used:
            _release_remote_reader(str(folder))
    return matched


# The engine process's read-only stores, one per project folder, kept across the queue's photos:
# an opening costs 70 ms of Python, and each closed store left about 1,200 objects in reference
# cycles (SQLAlchemy's engine) for the collector (issue 15).
_READERS: dict[str, Any] = {}


def rank_for_queue(folder: str | Path, photo_id: int, engine: EngineConfig,
                   reader: Any = None) -> Generator[Any, None, tuple[MatchResult, bool]]:
    """One photo of the queue: (its ranking, whether its box moved while it was ranked, say by
    another reviewer). reader: the caller's read-only store; None: this process's own for folder
    (the engine process), closed and reopened after a failure."""
    from whaleid_gui.core.catalog.store import ProjectStore

    key = str(folder)
    own = reader is None
    if own:
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = ProjectStore.open(folder, read_only=True)
    try:
        result = yield from match_photos.match_photo(folder, photo_id, engine, reader)
        now = reader.box(photo_id)
    except Exception:
        if own:  # a lost connection: the next photo opens a fresh one
            _close_quietly(_READERS.pop(key, reader))
        raise
    return result, (now.id if now is not None else None) != result.box_id


def release_reader(folder: str) -> None:
    """The queue of this project stopped: its read-only store here is closed."""
    store = _READERS.pop(str(folder), None)
    if store is not None:
        store.close()


def _release_remote_reader(folder: str) -> None:
    try:
        for _ in engine_process.shared().job(release_reader, folder):
            pass
    except Exception:  # noqa: BLE001 - a child that is gone holds no store
        pass


def _close_quietly(store: Any) -> None:
    try:
        store.close()
    except Exception:  # noqa: BLE001 - a connection already gone has nothing left to close
        pass


def _tagged(job: Generator[Any, None, T], photo_id: int,
            plan: "MatchPlan | None" = None) -> Generator[Any, None, T]:
    try:
        while True:
            if plan is not None:
                plan.yield_to_reviewer(photo_id)
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            yield AheadProgress(photo_id, event)
    finally:
        job.close()


def review_order(visible_ids: Sequence[int], status: dict[int, str]) -> list[int]:
    """The photos the queue matches: those with a box and no decision, as the reviewer sees them."""
    return [pid for pid in visible_ids if status.get(pid) == "needs_decision"]
