"""Reading a project's photo list for the queue: on the GUI thread for a small project, in a worker
for a large one.

Why: the list is every photo's row. Reading 10,030 of them took 77-88 ms on the GUI thread of the
2-core benchmark machine (benchmarks/RESULTS_gui.md, 10,000 photos), and it is read when a project
opens and after a change that adds photos. Read in a worker, the window stays responsive and the
list is drawn when it arrives. Up to READ_IN_WORKER_ABOVE photos the read takes 9-18 ms, so a
small project's list stays in the same event-loop turn, with no empty queue in between.

A decision that edits the list while a read is under way would be undone by the older rows
arriving after it, so a read that sees the list edited in the meantime reads again.
"""

from __future__ import annotations

from typing import Any, Callable

from whaleid_gui.workers import Worker

READ_IN_WORKER_ABOVE = 2000  # photos in the project


class QueueReader:
    def __init__(self, controller: Any):
        self.controller = controller
        self._ticket = 0  # the latest read asked for: an older one's rows are dropped

    def read(self, keep: int | None, announce: bool, listed: Callable[[], None] | None) -> None:
        """Refill the queue with the store's rows, then call listed(). keep: the photo to keep
        current (None: the controller's current photo when the rows arrive)."""
        c = self.controller
        store = c.store
        if store is None:
            return
        self._ticket += 1
        if store.count_photos() <= READ_IN_WORKER_ABOVE:
            self._fill(store.photos(), keep, announce, listed)
            return
        ticket, edits = self._ticket, c.queue.edits
        worker = Worker(store.photos, name="queue list")
        worker.result.connect(lambda rows: self._arrived(rows, store, ticket, edits, keep, announce, listed))
        worker.errored.connect(lambda exc: c._fail(f"The photo list could not be read: {exc}")
                               if c.store is store else None)
        c.pool.start("queue list", worker)

    def _arrived(self, rows: list, store: Any, ticket: int, edits: int, keep: int | None, announce: bool,
                 listed: Callable[[], None] | None) -> None:
        c = self.controller
        if c.store is not store or ticket != self._ticket:
            return  # the project was closed, or a newer read was asked for
        if c.queue.edits != edits:  # a decision changed the list meanwhile: these rows predate it
            self.read(keep, announce, listed)
            return
        self._fill(rows, keep, announce, listed)

    def _fill(self, rows: list, keep: int | None, announce: bool, listed: Callable[[], None] | None) -> None:
        c = self.controller
        c.queue.set_photos(rows, keep=keep if keep is not None else c.photo_id, announce=announce)
        if listed is not None:
            listed()
