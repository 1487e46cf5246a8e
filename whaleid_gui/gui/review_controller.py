"""The review workflow: photo chosen -> photo shown -> box saved -> matching -> decision.

Glue between the queue, the box editor, the review panel and the workers. The rules (what a
decision records, the undo history over box edits and decisions, which photo comes next, the
same encounter) live in the Qt-free ReviewSession; this controller calls it and turns what it
announces into view updates. The candidates' pictures and the compare view: CompareController;
the queue's thumbnails and the box model's proposals: QueuePictures; the same-encounter strip,
quality flag and comment: PhotoReviewInfo; the photo's ranking asked for and shown: ReviewMatching.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from whaleid_gui.application import box_proposals
from whaleid_gui.application.match_photos import MatchResult
from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.application.review_session import (
    BoxEdit,
    BoxSaved,
    BoxState,
    DecisionRecorded,
    DecisionUndone,
    ReviewSession,
    SessionEvent,
    next_photo,
)
from whaleid_gui.core.catalog import DecisionConflictError
from whaleid_gui.gui.box_editor import BoxEditor, qimage_from_array
from whaleid_gui.gui.compare_controller import CompareController, photo_caption
from whaleid_gui.gui.compare_panel import ComparePanel
from whaleid_gui.gui.decision_worker import BackgroundDecisions
from whaleid_gui.gui.encounter_batch import EncounterBatchController
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.gui.match_ahead import MatchAhead
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.gui.photo_pixels import PhotoPixels
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.gui.photo_review_info import PhotoReviewInfo
from whaleid_gui.gui.queue_pictures import QueuePictures
from whaleid_gui.gui.queue_reader import QueueReader
from whaleid_gui.gui.review_matching import ReviewMatching
from whaleid_gui.workers import WorkerPool


# At a project's opening, thumbnails of this many queue rows (what a reviewer sees first) are made
# at once; the others after the first ranking, which they would otherwise slow down
# (review_matching.py REST_OF_THUMBNAILS_AFTER_MS).
FIRST_THUMBNAILS = 40


class ReviewController(PhotoReviewInfo, ReviewMatching, QObject):
    status_message = Signal(str)  # one line for the status bar
    store_changed = Signal()  # a decision or an individual changed: refresh the catalog view
    engine_known = Signal(str, str)  # the model's name and date, device
    box_model_state = Signal(str)  # one line on the box model (proposals on / none)
    claim_known = Signal(object)  # another reviewer's claim on the photo on screen, claimed late

    def __init__(self, queue: PhotoQueue, editor: BoxEditor, review: MatchReviewPanel,
                 compare: ComparePanel, pool: WorkerPool, engine: EngineConfig,
                 error_sink: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.queue, self.editor, self.review, self.compare = queue, editor, review, compare
        self.pool = pool
        self.engine = engine
        self.folder: Path | None = None
        self._stored_pending: int | None = None  # photo whose stored candidates are drawn next turn
        self.session = ReviewSession()
        self.session.subscribe(self._on_session_event)
        self.candidates = CompareController(review, compare, pool, self.session)
        self.candidates.engine_of = lambda: self.engine  # the heat map scores with the review's model
        self.candidates.status_message.connect(self.status_message)
        self.pictures = QueuePictures(queue, editor, review, pool, self.session)
        self.pictures.box_model_state.connect(self.box_model_state)
        self._error_sink = error_sink
        self.decisions = BackgroundDecisions(self)  # confirms recorded in workers, in order
        self.ahead = MatchAhead(self)  # matches the photos with a box before they are opened
        self.queue_reader = QueueReader(self)  # a large project's list is read in a worker
        self.pixels = PhotoPixels(pool, queue, editor, self.session)  # the next photo's loaded ahead
        self.pixels.also_ahead = lambda pid: pid in self.results and self.candidates.candidate_thumbs_ahead(self.results[pid])
        queue.photo_selected.connect(self.show_photo)
        editor.state_changed.connect(self._on_box_edited)
        review.confirm_requested.connect(self.confirm)
        review.reject_requested.connect(self.reject)
        review.new_requested.connect(self.new_individual)
        review.new_individual_wanted.connect(self.begin_new_individual)
        review.skip_requested.connect(self.skip)
        review.undo_requested.connect(self.undo)
        review.cancel_requested.connect(self.cancel_matching)
        review.rematch_requested.connect(self.rematch)
        review.quality_changed.connect(self.set_quality)
        review.comment_changed.connect(self.set_comment)
        review.sibling_clicked.connect(self.open_photo)
        self.encounter = EncounterBatchController(self)  # Shift+C: confirm the encounter together
        review.encounter_requested.connect(self.encounter.start)

    # the session's state, read by the window and the tests
    @property
    def store(self):
        return self.session.store

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    @property
    def photo_id(self) -> int | None:
        return self.session.photo_id

    @property
    def results(self) -> dict[int, MatchResult]:
        return self.session.results

    @property
    def proposals(self) -> dict:
        return self.session.proposals

    # ------------------------------------------------------------------ project
    def set_store(self, store, folder: Path | None) -> None:
        self.finish_decisions()  # recorded in the project they were made in
        self.review.save_comment()  # a comment still being typed goes to the store it was typed for
        self.folder = folder
        self.candidates.folder = self.pictures.folder = folder
        self.candidates.forget_project()  # another project: the last one's pick and thumbnails go
        self.pictures.forget()  # and the queue's (photo numbers start at 1 in every project)
        self.pixels.forget()
        self.session.open(store, box_proposals.load_proposals(store, folder) if store is not None and folder is not None else {})
        self.ahead.restart()
        self.editor.set_read_only(self.read_only)
        self.review.set_read_only(self.read_only)
        self.queue.reset_shown()
        if store is None:
            self.queue.set_photos([])
            self.editor.show_message("No project open")
            self.review.clear("No project open.")
            return
        self.reload_photos(announce=False, listed=self._first_photo_next_turn)

    def _first_photo_next_turn(self) -> None:
        # The list is drawn in one event-loop turn, its first photo in the next: together they
        # stalled the loop for 150-250 ms at the opening of a 1,000-photo project (issue 15).
        self.ahead.will_show(self.queue.current_id())
        QTimer.singleShot(1, self.queue, self.queue.announce_current)

    def reload_photos(self, announce: bool = True, listed: Callable[[], None] | None = None) -> None:
        """The project's photos changed (opened, imported): the queue, its thumbnails, proposals,
        then listed(); a large project's list arrives from a worker (queue_reader.py). While a
        photo waits for its first ranking only the first rows' thumbnails are made; the others
        follow the first ranking (ranking_arrived). announce: show the current photo once listed
        (else the caller has the queue announce it)."""
        def with_pictures() -> None:
            waiting = any(p.status == "needs_decision" for p in self.queue.all_photos())
            self.pictures.load_thumbnails(first=FIRST_THUMBNAILS if waiting else None)
            self.pictures.propose_missing()
            if listed is not None:
                listed()

        self.refresh_queue(announce=announce, listed=with_pictures)

    def refresh_queue(self, keep: int | None = None, announce: bool = True,
                      listed: Callable[[], None] | None = None) -> None:
        self.queue_reader.read(keep, announce, listed)

    # ------------------------------------------------------------------ photo
    def show_photo(self, photo_id: int) -> None:
        self.review.new_bar.hide()
        if photo_id is None or photo_id < 0 or self.store is None:
            self.pixels.ahead_of(None)
            if self.store is not None:
                self.session.show(None)
            self.editor.show_message("No photo in this list")
            self.review.clear("No photo to review here.")
            self.review.set_photo_meta(None)
            self.review.set_siblings([])
            self.compare.set_query(None, "Query", "no photo")
            return
        # The claim (a write and its commit, 15-20 ms) is made CLAIM_DELAY_MS later, in a turn of
        # its own, or once a confirm being recorded is, if later (the write would wait for it).
        self.decisions.claim_later()
        state = self.session.show(photo_id, claim=False)  # the photo, its box and version: one read
        photo = self.session.photo_row
        self.review.set_photo_meta(photo_id, photo.quality, photo.comment)
        self._show_siblings(photo)
        self.editor.show_message(f"Loading {photo.path.name}\u2026")
        self.pixels.view(photo_id, photo.path, state,
                         lambda view, pid=photo_id, path=photo.path: self._on_photo_loaded(pid, view, path),
                         lambda exc, pid=photo_id: self._on_photo_error(pid, error_text(exc)))
        self._show_review_for(photo, state)
        self.pixels.ahead_of(photo_id)

    def _on_photo_loaded(self, photo_id: int, view: tuple[QImage, tuple[int, int]], path: str | Path) -> None:
        if photo_id != self.photo_id:
            return
        # the state now, not when loading began: an undo/redo may have changed the box meanwhile
        state = self.session.photo_state
        # looked up now: the box model may have proposed it while the photo was loading
        # only for a photo without a box: the lookup resolves the path, a system call per folder,
        # each one giving the GIL to a worker (8 ms of an opening stall when made for every photo)
        proposal = self.session.proposal_for(path) if state.box is None else None
        self.editor.set_image(view[0], state, proposal, view[1])  # view: (pixels, the photo's size)

    def _on_photo_error(self, photo_id: int, reason: str) -> None:
        """An unreadable photo: say why in place, mark it in the queue, the rest goes on."""
        self.queue.mark_error(photo_id, reason)
        if photo_id != self.photo_id:
            return
        self.editor.show_message(f"This photo cannot be read:\n{reason}\n\nPress J for the next photo.")
        self.review.clear(f"This photo cannot be read: {reason}")
        self.review.set_message(f"This photo cannot be read: {reason}. Press J for the next photo.", error=True)
        self.status_message.emit(f"Unreadable photo: {reason}")

    def _show_review_for(self, photo, state: BoxState) -> None:
        self._stored_pending = None
        if state.box is None:
            self.review.clear("Draw a box around the fluke: drag on the photo (or press A to accept a "
                              "proposed box).")
            self.review.set_query(None, photo_caption(photo), "no box yet")
            self.compare.set_query(None, f"Query: {photo_caption(photo)}", "no box yet")
            return
        cap = photo_caption(photo)
        self.pixels.query_crop(photo.id, photo.path, state, lambda arr, pid=photo.id: self._on_query_crop(pid, arr, cap, state),
                               lambda exc, pid=photo.id: self._on_query_crop(pid, None, cap, state, error_text(exc)))
        if photo.id in self.results:
            # Stored candidates are drawn at a later event-loop turn: the new photo and its cards
            # in one turn kept the window from repainting for 80-120 ms (issue 15's stall target is
            # 50). 1 ms, not 0: a 0 ms timer ran in the same pass as the key, before the paint and
            # the other timers. The old photo's cards go now, so no key can act on them meanwhile.
            self.review.clear()
            self._stored_pending = photo.id
            QTimer.singleShot(1, self, lambda pid=photo.id: self._show_stored_candidates(pid))
        else:
            self.start_matching()

    def _show_stored_candidates(self, photo_id: int) -> None:
        # Anything that redrew the review meanwhile (another photo, a new ranking or its failure,
        # a match started by a box edit) took the turn over: nothing to draw then.
        if self._stored_pending != photo_id or photo_id != self.photo_id:
            return
        self._stored_pending = None
        cached = self.results.get(photo_id)
        if cached is None:
            return
        self.review.set_result(cached, self.session.rejected_for(photo_id))
        self.candidates.load_candidate_thumbs(cached)
        self.ahead.mark_if_stale(photo_id)

    def _on_query_crop(self, photo_id: int, arr, caption: str, state: BoxState, error: str = "") -> None:
        if photo_id != self.photo_id or state != self.session.photo_state:
            return  # an earlier photo's or box's crop (the box deleted since), or its failure
        img = None if arr is None else qimage_from_array(arr)
        self.review.set_query(img, caption, error)
        if img is not None:  # a failure is said under the query; Compare keeps what it had
            self.compare.set_query(img, f"Query: {caption}")

    # ------------------------------------------------------------------ box edits
    def _on_box_edited(self, state: BoxState) -> None:
        """Every edit goes to the store at once (the session announces it: _on_box_saved)."""
        self.finish_decisions()  # the undo history keeps the order of what the reviewer did
        try:
            self.session.edit_box(state)
        except Exception as exc:
            self._fail(f"The box could not be saved: {exc}")

    def _on_box_saved(self, photo_id: int, state: BoxState) -> None:
        """A new box means a new ranking: the queue, its thumbnail and the review follow."""
        self.queue.update_photos([self.store.photo(photo_id)])
        self.pictures.load_thumbnails([photo_id])
        if photo_id == self.photo_id:
            self._show_review_for(self.store.photo(photo_id), state)

    def follow_boxes_moved_elsewhere(self, photo_ids: list[int]) -> None:
        """Another reviewer changed these photos: a ranking of a box one of them no longer has is
        dropped and computed again (the photo on screen is shown with its new box)."""
        moved = self.session.drop_moved_rankings(photo_ids)
        for pid in moved:
            self.ahead.plan.invalidate(pid)
        if self.photo_id in moved:
            self.show_photo(self.photo_id)

    def accept_proposal(self) -> None:
        self.editor.accept_proposal()

    # ------------------------------------------------------------------ decisions
    def _decide(self, kind: str, cand=None, new_code: str | None = None, new_name: str | None = None):
        """The session records it (and announces it: store_changed); a store error is said here.
        Someone else's decision on the photo since it was shown: a dialog names it (who, when,
        what), and the photo is shown as it is now."""
        self.finish_decisions()
        try:
            return self.session.decide(kind, cand, new_code=new_code, new_name=new_name)
        except DecisionConflictError as exc:
            self._fail(str(exc), dialog=True)
            if self.photo_id is not None:
                self.queue.update_photos([self.store.photo(self.photo_id)])
            self.store_changed.emit()
            return None
        except Exception as exc:
            self._fail(str(exc))
            return None

    def confirm(self, cand=None) -> None:
        """Confirm the candidate and move on at once: the decision is recorded in a worker, on a
        connection of its own, while the next photo is drawn (its transaction took 50-130 ms of
        the key press on two busy cores, issue 15). Until it is recorded the photo shows as done;
        should the store refuse it, the reviewer is told and the photo shows as it is."""
        self.finish_decisions()  # one at a time, in order
        cand = cand or self.review.selected()
        if cand is None:
            return
        req = self.session.request("confirmed", cand)
        if req is None or self.folder is None:
            return
        pending = self.decisions.prepare(req)
        self.status_message.emit(f"Confirmed: this is {cand.code}")
        self._advance(done=True)
        self.decisions.start(pending)

    def deciding(self) -> bool:
        """A confirm is still being recorded (in a worker)."""
        return self.decisions.busy()

    def finish_decisions(self) -> None:
        """Wait for the confirms being recorded and take their outcome (before anything that reads
        or extends the undo history, or another project)."""
        self.decisions.finish()

    def reject(self, cand=None) -> None:
        cand = cand or self.review.selected()
        if cand is None:
            return
        if self._decide("rejected", cand) is not None:
            self.review.mark_rejected(cand.code)
            self.review.select_next_open()
            self.status_message.emit(f"Rejected {cand.code} for this photo")

    def begin_new_individual(self) -> None:
        if self.store is None or self.photo_id is None or self.read_only:
            return
        try:
            code = self.store.next_free_code()
        except Exception as exc:  # the user can still type a code; say why none is suggested
            code = ""
            self._fail(f"No code suggested for the new individual ({exc}); type one")
        self.review.start_new(code)

    def new_individual(self, code: str, name: str = "") -> None:
        if self._decide("new_individual", None, new_code=code, new_name=name) is not None:
            self.status_message.emit(f"New individual {code}" + (f" ({name})" if name else ""))
            self._advance()

    def skip(self) -> None:
        if self._decide("skipped") is not None:
            self.status_message.emit("Skipped")
            self._advance(force=True)

    def _advance(self, force: bool = False, done: bool = False) -> None:
        """Auto-advance to the next photo that still needs work (the session's rule, over the
        queue's shown order); a skip (force) moves on even when every photo is done. done: the
        photo's decision is being recorded; it shows as done meanwhile."""
        current = self.photo_id
        if current is not None:
            # a confirm is still being recorded: the queue's own row, marked done (no read)
            shown = self.queue.photo(current) if done else None
            row = shown if shown is not None else self.store.photo(current)
            self.queue.update_photos([replace(row, status="done") if done else row])
        status = {p.id: p.status for p in self.queue.all_photos()}
        nxt = next_photo(self.queue.visible_ids(), status, current, force)
        if nxt is not None and nxt != current:
            self.queue.select(nxt)
        elif not force and current is not None:
            self.show_photo(current)

    # ------------------------------------------------------------------ undo
    def undo(self) -> None:
        """Undo the last box edit or decision, whichever came last (and show its photo)."""
        self.finish_decisions()  # the last decision may still be on its way to the store
        entry = self.session.last_entry()
        if entry is None:
            self.status_message.emit("Nothing to undo")
            return
        if isinstance(entry, BoxEdit):
            self._goto(entry.photo_id)
        try:
            self.session.undo()
        except Exception as exc:
            self._fail(f"The box could not be saved: {exc}" if isinstance(entry, BoxEdit) else f"Cannot undo: {exc}")
            return
        if isinstance(entry, BoxEdit):
            self.editor.restore(entry.before)
            self.status_message.emit("Box edit undone")
        else:
            self.status_message.emit(f"Undone: {entry.kind} {entry.code or ''}".rstrip())

    def redo(self) -> None:
        self.finish_decisions()
        if not self.session.redo_stack or not self.session.can_edit:
            return
        entry = self.session.redo_stack[-1]
        self._goto(entry.photo_id)
        try:
            self.session.redo()
        except Exception as exc:
            self._fail(f"The box could not be saved: {exc}")
            return
        self.editor.restore(entry.after)

    def _on_session_event(self, event: SessionEvent) -> None:
        """What the session wrote to the store, shown: boxes in the queue and review, decisions in
        the catalog; an undone decision goes back to its photo."""
        if isinstance(event, BoxSaved):
            self._on_box_saved(event.photo_id, event.state)
        elif isinstance(event, DecisionRecorded):
            self.store_changed.emit()
        elif isinstance(event, DecisionUndone):
            self.store_changed.emit()
            self.queue.update_photos([self.store.photo(event.photo_id)])
            self._goto(event.photo_id, force=True)

    def _goto(self, photo_id: int, force: bool = False) -> None:
        if self.photo_id != photo_id:
            if not self.queue.select(photo_id):
                self.queue.set_status_filter(None)
                self.queue.select(photo_id)
        elif force:
            self.show_photo(photo_id)

    # ------------------------------------------------------------------ errors
    def _fail(self, message: str, dialog: bool = False) -> None:
        self.review.set_message(message, error=True)
        self.status_message.emit(message)
        if dialog and self._error_sink is not None:
            self._error_sink(message)
