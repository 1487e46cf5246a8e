"""The pixels of the photo under review: the editor's photo and the query crop, from a worker,
or loaded ahead while the reviewer looked at the photo before (issue 15).

A field camera's photo takes a worker 50-100 ms to decode even at screen size. Done after the
key press, that decode ran beside the window's own work and stretched the key's turn (the GUI
thread waiting for the interpreter and a core). So a moment after a photo is shown, the photo
the review would show next is loaded in the background, and the key press takes it from here.
One photo is kept (24 MB for a 24 MP photo, shown at 3000 px): its pixels for that photo, its
query crop for the box and orientation it was loaded with. Anything else loads as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer

from whaleid_gui.application import photo_display
from whaleid_gui.application.review_session import BoxState, ReviewSession, state_of
from whaleid_gui.gui.box_editor import BoxEditor, load_view_image
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.workers import Worker, WorkerPool

AHEAD_DELAY_MS = 300  # after a photo is shown: its own loads and first paints come first
QUERY_CROP_SIDE = 800  # the query crop the review and the compare tab show


def query_crop(path: str, state: BoxState):
    """Worker job: the box's crop as the review and the compare tab show it."""
    return photo_display.crop_rgb(path, state.box, state.rotation, state.flip, QUERY_CROP_SIDE)


@dataclass
class _Ahead:
    view: tuple[Any, tuple[int, int]]  # load_view_image's (QImage, the photo's own size)
    crop: Any  # query_crop's array; None without a box


def _both(path: str, state: BoxState) -> _Ahead:
    """Worker job: what showing the photo will need."""
    return _Ahead(load_view_image(path), query_crop(path, state) if state.box is not None else None)


class PhotoPixels(QObject):
    """view() and query_crop() of the photo shown; ahead_of(photo) once it is shown; the photo's
    own pixels when the editor is zoomed in past the ones it shows."""

    def __init__(self, pool: WorkerPool, queue: PhotoQueue, editor: BoxEditor, session: ReviewSession) -> None:
        """queue: the review's order; session: the photo shown and the project's store."""
        super().__init__()
        self._pool, self._queue, self._editor, self._session = pool, queue, editor, session
        editor.full_pixels_wanted.connect(self._whole)
        self._after: int | None = None
        self._next: tuple | None = None  # (photo id, path, box state) loaded or loading ahead
        self._loading = False
        self._kept: dict[str, Any] = {}  # "view", "crop": loaded ahead, until taken
        self._waiting: dict[str, tuple[Callable, Callable]] = {}  # part: (done, load it now) while loading
        self._timer = QTimer(queue)  # a child of the window's widgets: deleted with them, never fired after
        self._timer.setSingleShot(True)
        self._timer.setInterval(AHEAD_DELAY_MS)
        self._timer.timeout.connect(self._load_next)
        self.also_ahead: Callable[[int], None] = lambda photo_id: None  # more of the next photo, made ahead

    def view(self, photo_id: int, path: Path, state: BoxState, done: Callable, failed: Callable) -> None:
        """done((QImage, photo size)) at a later turn, or failed(exception). The photo's pixels do
        not depend on its box: loaded ahead, they serve after a box edit too."""
        def now() -> None:
            self._start("photo", Worker(load_view_image, str(path), name="photo"), done, failed)
        self._waiting = {}  # a photo shown (view() comes first): what earlier ones waited for is moot
        self._serve("view", (photo_id, str(path)), done, now)

    def query_crop(self, photo_id: int, path: Path, state: BoxState, done: Callable, failed: Callable) -> None:
        """done(array) at a later turn, or failed(exception); the photo has a box."""
        def now() -> None:
            self._start("query-crop", Worker(query_crop, str(path), state, name="query"), done, failed)
        self._serve("crop", (photo_id, str(path), state), done, now)

    def ahead_of(self, photo_id: int | None) -> None:
        """Photo shown: load the next one's pixels once the window has settled (restarted by
        every photo shown: paging quickly loads only what comes after the photo stopped on)."""
        self._after = photo_id
        if photo_id is None:
            self._timer.stop()
            self._waiting = {}
        else:
            self._timer.start()

    def is_next(self, photo_id: int) -> bool:
        """Whether photo_id is the photo loaded (or loading) ahead."""
        return self._next is not None and self._next[0] == photo_id

    def forget(self) -> None:
        """Another project (or none): nothing loaded ahead is of use."""
        self._timer.stop()
        self._after = self._next = None
        self._loading = False
        self._kept, self._waiting = {}, {}

    def _serve(self, part: str, key: tuple, done: Callable, now: Callable[[], None]) -> None:
        self._waiting.pop(part, None)  # a photo shown since an earlier wait: that photo is gone
        ahead = None if self._next is None else self._next[:2] if part == "view" else self._next
        if ahead != key:
            now()
        elif part in self._kept:
            kept = self._kept.pop(part)
            QTimer.singleShot(1, self, lambda: done(kept))  # a turn of its own, as a worker's would be
        elif self._loading:
            self._waiting[part] = (done, now)  # the key came while its pixels load: no second decode
        else:
            now()

    def _start(self, kind: str, w: Worker, done: Callable, failed: Callable) -> None:
        w.result.connect(done)
        w.errored.connect(failed)
        self._pool.start(kind, w)

    def _load_next(self) -> None:
        """The photo a confirm or a skip of the one shown leads to, with its box as stored."""
        store = self._session.store
        nxt = self._queue.next_pending(self._after) if self._after is not None and store is not None else None
        row = self._queue.photo(nxt) if nxt is not None else None
        if row is None:
            return
        try:
            state = state_of(store.box(row.id))
        except Exception:  # a store closed or out of reach: the photo loads when shown, and says why
            return
        key = (row.id, str(row.path), state)
        if key == self._next and (self._loading or self._kept):
            self.also_ahead(row.id)  # its pixels loading or loaded: what else it needs, if not yet
            return
        if self._loading and self._waiting:
            self._timer.start()  # the photo shown still waits for its pixels: the next one after them
            return
        self._next, self._kept = key, {}  # nobody waits here: a waiter keeps its job (above)
        self.also_ahead(row.id)
        w = Worker(_both, key[1], key[2], name="next photo")
        w.result.connect(lambda got, k=key: self._keep(k, got))
        w.finished.connect(lambda k=key: self._over(k))
        self._pool.start("next-photo", w)  # its error, if any, is for the photo's own load to say
        self._loading = True

    def _whole(self) -> None:
        """The editor zoomed in past the pixels it shows: the photo's own, from a worker."""
        photo_id, row = self._session.photo_id, self._session.photo_row
        if photo_id is None or row is None:
            return
        w = Worker(load_view_image, str(row.path), True, name="photo")
        w.result.connect(lambda view, pid=photo_id: self._sharpen(pid, view))
        self._pool.start("photo-whole", w)  # unreadable now: the photo shown stays as it is

    def _sharpen(self, photo_id: int, view: tuple[Any, tuple[int, int]]) -> None:
        if photo_id == self._session.photo_id:
            self._editor.set_full_pixels(view[0])

    def _keep(self, key: tuple, got: _Ahead) -> None:
        if key != self._next:
            return
        self._kept = {"view": got.view} | ({"crop": got.crop} if got.crop is not None else {})
        waiting, self._waiting = self._waiting, {}
        for part, (done, now) in waiting.items():
            if part in self._kept:
                done(self._kept.pop(part))
            else:
                now()

    def _over(self, key: tuple) -> None:
        """The job ended (after its result, or failed, or cancelled): whoever still waits loads now."""
        if key != self._next:
            return
        self._loading = False
        waiting, self._waiting = self._waiting, {}
        for _done, now in waiting.values():
            now()
