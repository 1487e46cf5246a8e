"""The queue's pictures, made in workers: a thumbnail of every photo (of its box when it has one),
shown in the queue and the same-encounter strip, and the box model's proposal for every photo
still without a box, shown dashed in the editor as soon as it is known.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from whaleid_gui.application import box_proposals, engine_process, photo_display
from whaleid_gui.application.events import BoxProposed, Thumbnail, ThumbnailFailed
from whaleid_gui.application.review_session import ReviewSession
from whaleid_gui.gui.box_editor import BoxEditor, qimage_from_array
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.workers import Worker, WorkerPool


class QueuePictures(QObject):
    box_model_state = Signal(str)  # one line on the box model (proposals on / none)

    def __init__(self, queue: PhotoQueue, editor: BoxEditor, review: MatchReviewPanel, pool: WorkerPool,
                 session: ReviewSession) -> None:
        super().__init__()
        self.queue, self.editor, self.review, self.pool, self.session = queue, editor, review, pool, session
        self.folder: Path | None = None
        self._rest: list = []  # thumbnails left for load_rest()

    def forget(self) -> None:
        """Another project: no thumbnail or unreadable mark of the last one is kept (its jobs' late
        results were delivered before it closed: WindowStatus.stop_work)."""
        self._rest = []
        self.queue.forget_pictures()

    def propose_missing(self) -> None:
        """Every photo still without a box gets a proposal from the box model (worker)."""
        if self.session.store is None or self.folder is None:
            return
        if not box_proposals.box_model_available():
            self.box_model_state.emit("Box model: none (model_weights/box_proposer.pt missing) \u2014 draw boxes")
            return
        if self.session.read_only:
            self.box_model_state.emit("Box model: read-only project, no new proposals")
            return
        # from the queue's rows, just read from the store (reload_photos): a second query of every
        # photo's status cost 20-25 ms of the GUI thread at a 1,000-photo project's opening
        photos = [(p.id, str(p.path)) for p in self.queue.all_photos() if p.status == "needs_box"]
        self.box_model_state.emit("Box model: proposing\u2026" if photos else "Box model: on")
        if not photos:
            return
        # a plugged-in proposer (a lab's own, a test's) goes with the job: one that does not pickle
        # keeps the job in this process
        w = Worker(engine_process.run, box_proposals.propose_missing, str(self.folder), photos,
                   box_proposals.PROPOSER_FACTORY, name="box proposals")
        w.progress.connect(self._on_proposal)
        w.result.connect(lambda n: self.box_model_state.emit(f"Box model: on ({n} new proposals)"))
        w.errored.connect(lambda exc: self.box_model_state.emit(f"Box model failed: {error_text(exc)}"))
        self.pool.start("box-proposals", w)

    def _on_proposal(self, event) -> None:
        if not isinstance(event, BoxProposed):
            return
        self.session.proposals[event.path] = box = event.box
        if self.session.can_edit:  # kept in the catalog: every reviewer of it sees the proposal
            try:
                self.session.store.set_proposals({event.photo_id: (box, event.model or "box-model")})
            except Exception as exc:  # still shown here; the next opening proposes it again
                self.box_model_state.emit(f"Box model: proposal not saved ({error_text(exc)})")
        if event.photo_id == self.session.photo_id and self.session.photo_state.box is None and self.editor.has_image():
            self.editor.set_proposal(box)

    def load_thumbnails(self, photo_ids: list[int] | None = None, first: int | None = None) -> None:
        """Thumbnails of every photo in the queue (in the order shown), or of the given ones (after
        a box edit). first: only that many now, the others when load_rest() is called: at a
        project's opening the first candidates come first (1,000 thumbnails made at the same time
        delayed them from 7 to 12 s on two cores, issue 15). Every photo's box is read by the
        worker (photo_display.project_thumbnails), not here."""
        store = self.session.store
        if store is None or self.folder is None:
            return
        if photo_ids is not None:  # one photo after an edit: its box read here, not every box
            rows = [store.photo(p) for p in photo_ids]
            boxes = {p: b for p in photo_ids if (b := store.box(p)) is not None}
            items = [(p.id, str(p.path), *photo_display.box_parts(boxes.get(p.id))) for p in rows]
            self._start(f"thumb-{photo_ids[0]}", photo_display.thumbnails, items)
            return
        shown = {pid: n for n, pid in enumerate(self.queue.visible_ids())}
        rows = sorted(self.queue.all_photos(), key=lambda p: shown.get(p.id, len(shown)))
        every = [(p.id, str(p.path)) for p in rows]
        self._rest = every[first:] if first is not None else []
        self._start_thumbnails(every[:first] if first is not None else every, "thumbnails")

    def load_rest(self) -> None:
        """The thumbnails that load_thumbnails(first=...) left for later (none: nothing to do)."""
        rest, self._rest = self._rest, []
        self._start_thumbnails(rest, "thumbnails-rest")

    def _start_thumbnails(self, items: list[tuple[int, str]], kind: str) -> None:
        if items and self.folder is not None:
            self._start(kind, photo_display.project_thumbnails, str(self.folder), items)

    def _start(self, kind: str, job, *args) -> None:
        w = Worker(job, *args, 96, name="thumbnails")
        w.progress.connect(self._on_thumb)
        self.pool.start(kind, w)

    def _on_thumb(self, event) -> None:
        if isinstance(event, ThumbnailFailed):
            self.queue.mark_error(event.key, event.reason)
        elif isinstance(event, Thumbnail):
            self.queue.set_thumbnail(event.key, qimage_from_array(event.image))
            pm = self.queue.thumbnail(event.key)
            if pm is not None:
                self.review.set_sibling_thumbnail(event.key, pm)
