"""Confirms recorded off the GUI thread: the key press moves on to the next photo while a worker
records the decision on a store connection of its own (issue 15: the transaction took 50-130 ms
of the key press on two busy cores, and the reviewer waited for it on every photo).

Optimistic, never losing a decision: until the store has it the photo shows as done; the outcome
comes back to the GUI thread, where the session adds it to the undo history (recorded) or the
reviewer is told why not and the photo shows as the store has it (refused). One decision at a
time, in order; whatever reads or extends the undo history first waits for them (finish).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from whaleid_gui.application.review_session import DecisionRequest, record_decision
from whaleid_gui.core.catalog import DecisionConflictError
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

CLAIM_DELAY_MS = 150  # others see the claim in their next poll (seconds): a delay nobody notices
# A confirm's worker starts this long after the key press: by then the next photo's stored
# candidates are drawn and painted (key -> candidates 50-60 ms on the AMD benchmark machine), so
# the worker's Python (SQLAlchemy, 50-130 ms) does not take the GIL from that drawing.
START_DELAY_MS = 80


class _Pending:
    """One decision on its way to the store: its worker's job, and the outcome it left (the GUI
    thread takes it from the worker's signal, or at once when it must wait: finish)."""

    def __init__(self, request: DecisionRequest) -> None:
        self.request = request
        self.worker: Worker | None = None
        self.row: Any = None
        self.error: BaseException | None = None
        self.started = False
        self.over = False

    def run(self, folder: str) -> Any:
        try:
            self.row = record_decision(folder, self.request)
            return self.row
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.over = True


class BackgroundDecisions(QObject):
    def __init__(self, controller: Any) -> None:  # the ReviewController (it imports this module)
        super().__init__(controller)
        self.controller = controller
        self._pending: list[_Pending] = []
        self.claim_due = False  # the photo on screen is claimed once the decisions are recorded
        # One timer, restarted by every photo shown: the claim gets an event-loop turn of its own
        # (at 1 ms it ran in the same pass as the photo and the window's paint: a 5-11 ms share of
        # the opening's longest stall, bench_review_flow.py) and paging through photos writes
        # only the claim of the photo the reviewer stops on.
        self._claim_timer = QTimer(self)
        self._claim_timer.setSingleShot(True)
        self._claim_timer.setInterval(CLAIM_DELAY_MS)
        self._claim_timer.timeout.connect(self.claim_if_due)
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(START_DELAY_MS)
        self._start_timer.timeout.connect(self._start_due)

    def prepare(self, req: DecisionRequest) -> _Pending:
        """The decision's worker, not started: start() it once the next photo is shown."""
        pending = _Pending(req)
        w = Worker(pending.run, str(self.controller.folder), name="decision")
        w.result.connect(lambda _row, p=pending: self._settle(p))
        w.errored.connect(lambda _exc, p=pending: self._settle(p))
        pending.worker = w
        self._pending.append(pending)
        return pending

    def start(self, pending: _Pending) -> None:
        """Record it START_DELAY_MS from now (or as soon as anything waits for it: finish)."""
        assert pending in self._pending
        self._start_timer.start()

    def _start_due(self) -> None:
        for pending in self._pending:
            if not pending.started and pending.worker is not None:
                pending.started = True
                self.controller.pool.start(f"decision-{id(pending)}", pending.worker)  # a kind of its own: never cancelled

    def busy(self) -> bool:
        return bool(self._pending)

    def claim_later(self) -> None:
        """Claim the photo on screen CLAIM_DELAY_MS from now, or once the decisions being recorded
        are, if later (claim_known tells the window another reviewer's claim on it)."""
        self.claim_due = True
        self._claim_timer.start()

    def claim_if_due(self) -> None:
        c = self.controller
        if self.claim_due and not self._pending and c.photo_id is not None:
            self.claim_due = False
            c.claim_known.emit(c.session.claim_current())

    def finish(self) -> None:
        """Wait for the decisions being recorded and take their outcome."""
        self._start_timer.stop()
        self._start_due()
        while self._pending:
            pending = self._pending[0]
            if pending.worker is not None and pending.worker.is_running():
                pending.worker.wait(60_000)
            if not pending.over:  # never started, or a store that hangs for a minute: later
                return
            self._settle(pending)

    def _settle(self, pending: _Pending) -> None:
        """A decision's worker is over (GUI thread): recorded, or the reviewer is told why not."""
        if pending not in self._pending or not pending.over:
            return
        self._pending.remove(pending)
        c = self.controller
        if self.claim_due and not self._pending and not self._claim_timer.isActive():
            self._claim_timer.start()  # the claim the decision held back, in a turn of its own
        req = pending.request
        if pending.error is None:
            c.session.recorded(req, pending.row)
            if c.photo_id is not None:  # the photo on screen may list the individual just confirmed
                c.ahead.mark_if_stale(c.photo_id)
            return
        c.session.refused(req, pending.error)
        name = c.store.photo(req.photo_id).path.name if c.store is not None else str(req.photo_id)
        if isinstance(pending.error, DecisionConflictError):
            c._fail(str(pending.error), dialog=True)
        else:
            c._fail(f"Not recorded: confirming {name} as {req.code} failed: {error_text(pending.error)}", dialog=True)
        if c.store is not None:  # the photo as the store has it (not done, or someone else's decision)
            c.queue.update_photos([c.store.photo(req.photo_id)])
        c.store_changed.emit()
