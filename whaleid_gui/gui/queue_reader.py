"""Reading a project's photo list for the queue: on the GUI thread for a small project, in a worker
for a large one.

Why: the list is every photo's row. Reading 10,030 of them took 77-88 ms on the GUI thread of the
2-core benchmark machine (benchmarks/RESULTS_gui.md, 10,000 photos), and it is read when a project
opens and after a change that adds photos. Read in a worker (on a store connection of its own:
one store object belongs to one thread), the window stays responsive and the list is drawn when
it arrives. On the slower AMD machine 1,030 rows took 29-34 ms, the largest share of the opening's
121 ms stall of a 1,000-photo project (44 ms once read in a worker); up to READ_IN_WORKER_ABOVE
photos the read takes under 10 ms, so a small project's list stays in the same event-loop turn,
with no empty queue in between.

While a read is under way the queue's rows may be edited (a decision, a box, another reviewer's
change seen by the poll). Those rows are newer than the read's, some of them not even in the store
yet (a confirm is recorded by a worker after the queue marks it done), so they are laid over the
rows that arrive (PhotoQueue.edits_since). Every caller's `listed` runs once the list is drawn,
also when a newer read replaced theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from whaleid_gui.workers import Worker

READ_IN_WORKER_ABOVE = 300  # photos in the project
KIND = "queue list"


def photo_list(folder: str | Path) -> list:
    """Every photo's row, read on a store connection of this job's own (a worker job)."""
    from whaleid_gui.core.catalog.store import ProjectStore

    with ProjectStore.open(folder, read_only=True) as store:
        return store.photos()


class QueueReader:
    def __init__(self, controller: Any):
        self.controller = controller
        self._ticket = 0  # the latest read asked for: an older one's rows are dropped
        self._waiting: list[Callable[[], None]] = []  # every `listed` asked for since the list was drawn
        self._announce = False
        self._keep: int | None = None
        self._store: Any = None  # the store those waiting follow-ups were asked for

    def read(self, keep: int | None, announce: bool, listed: Callable[[], None] | None) -> None:
        """Refill the queue with the store's rows, then call listed(). keep: the photo to keep
        current (None: the controller's current photo when the rows arrive)."""
        c = self.controller
        store = c.store
        if store is None:
            return
        self._ticket += 1
        if store is not self._store:  # another project: the last one's follow-ups are not this one's
            self._store, self._waiting, self._keep, self._announce = store, [], None, False
        if listed is not None:
            self._waiting.append(listed)
        self._announce = self._announce or announce
        self._keep = keep if keep is not None else self._keep
        if store.count_photos() <= READ_IN_WORKER_ABOVE or c.folder is None:
            self._fill(store.photos())
            return
        ticket, edits = self._ticket, c.queue.edits
        if not c.queue.all_photos():  # an opening: edits meanwhile wait for the list (PhotoQueue)
            c.queue.awaiting_list = True
            c.editor.show_message("Reading the photo list\u2026")
        worker = Worker(photo_list, str(c.folder), name=KIND)
        worker.result.connect(lambda rows: self._arrived(rows, store, ticket, edits))
        worker.errored.connect(lambda exc: self._failed(exc, store, ticket))
        c.pool.start(KIND, worker)

    def _arrived(self, rows: list, store: Any, ticket: int, edits: int) -> None:
        c = self.controller
        if c.store is not store or ticket != self._ticket:
            return  # the project was closed, or a newer read was asked for (its rows will come)
        newer = c.queue.edits_since(edits)
        if newer:
            rows = [newer.pop(r.id, r) for r in rows] + list(newer.values())
        self._fill(rows)

    def _failed(self, exc: BaseException, store: Any, ticket: int) -> None:
        c = self.controller
        if c.store is not store or ticket != self._ticket:
            return
        try:  # e.g. a shared catalog's server that dropped the worker's connection: this one's
            rows = store.photos()
        except Exception as again:  # noqa: BLE001 - said to the user; the queue stays as it was
            c._fail(f"The photo list could not be read: {again} (in the background: {exc})")
            self._waiting.clear()
            return
        self._fill(rows)

    def _fill(self, rows: list) -> None:
        c = self.controller
        keep, announce, waiting = self._keep, self._announce, self._waiting
        self._keep, self._announce, self._waiting = None, False, []
        c.queue.set_photos(rows, keep=keep if keep is not None else c.photo_id, announce=announce)
        c.ahead.queue_changed()  # the background matches follow the queue's new order
        for listed in waiting:
            listed()
