"""The review workflow: photo chosen -> photo shown -> box saved -> matching -> decision.

Glue between the queue, the box editor, the review and compare panels, the store (GUI-thread
connection, one transaction per user action) and the workers. Holds the app-level undo
history, which spans box edits and decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from whaleid_gui.application.match_photos import record_result
from whaleid_gui.gui import box_proposals, jobs
from whaleid_gui.gui.box_editor import BoxEditor, BoxState, qimage_from_array
from whaleid_gui.gui.compare_panel import ComparePanel
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.workers import Worker, WorkerPool


@dataclass(frozen=True)
class _BoxEdit:
    photo_id: int
    before: BoxState
    after: BoxState


@dataclass(frozen=True)
class _Decision:
    photo_id: int
    kind: str
    code: str | None


def _state_of(boxrow) -> BoxState:
    if boxrow is None:
        return BoxState()
    return BoxState(boxrow.box, int(boxrow.rotation or 0), bool(boxrow.flip))


ENCOUNTER_HOURS = 2.0


def _when(photo):
    from datetime import datetime

    try:
        t = datetime.fromisoformat(photo.taken_at) if photo.taken_at else None
    except (TypeError, ValueError):
        return None
    return t.replace(tzinfo=None) if t is not None else None


def encounter_siblings(query, rows, hours: float = ENCOUNTER_HOURS) -> list:
    """The other photos of the query's encounter: same survey and taken within `hours` of it;
    where either date is missing, same survey and same folder (no survey: same folder too)."""
    t0 = _when(query)
    folder = Path(query.path).parent
    out = []
    for p in rows:
        if p.id == query.id or p.survey != query.survey:
            continue
        same_folder = Path(p.path).parent == folder
        if query.survey is None and not same_folder:
            continue
        t = _when(p)
        if t0 is not None and t is not None:
            if abs((t - t0).total_seconds()) <= hours * 3600:
                out.append(p)
        elif same_folder:
            out.append(p)
    out.sort(key=lambda p: (p.taken_at or "9999", Path(p.path).name.lower(), p.id))
    return out


def _caption(photo) -> str:
    date = (photo.taken_at or "no date")[:16].replace("T", " ")
    return f"{photo.path.name} \u00b7 {date}"


class ReviewController(QObject):
    status_message = Signal(str)  # one line for the status bar
    store_changed = Signal()  # a decision or an individual changed: refresh the catalog view
    engine_known = Signal(str, str)  # weights id, device
    box_model_state = Signal(str)  # one line on the box model (proposals on / none)

    def __init__(self, queue: PhotoQueue, editor: BoxEditor, review: MatchReviewPanel,
                 compare: ComparePanel, pool: WorkerPool, engine: jobs.EngineConfig,
                 error_sink: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.queue, self.editor, self.review, self.compare = queue, editor, review, compare
        self.pool = pool
        self.engine = engine
        self.store = None
        self.folder: Path | None = None
        self.read_only = False
        self.photo_id: int | None = None
        self.results: dict[int, jobs.MatchResult] = {}
        self.rejected: dict[int, set[str]] = {}
        self.history: list[object] = []
        self.redo_stack: list[_BoxEdit] = []
        self._photo_state: BoxState = BoxState()
        self._photo_errors: dict[int, str] = {}
        self.proposals: dict[str, object] = {}  # resolved photo path -> proposed BoundingBox
        self._error_sink = error_sink

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
        review.candidate_selected.connect(self._on_candidate)
        review.quality_changed.connect(self.set_quality)
        review.comment_changed.connect(self.set_comment)
        review.sibling_clicked.connect(self.open_photo)
        compare.browse_photo.connect(self._browse_candidate_photo)
        compare.keypoints_wanted.connect(self.show_keypoints)
        self._compare_target: tuple | None = None  # (path, box, rotation, flip) of the compared photo
        self._kp_token = 0

    # ------------------------------------------------------------------ project
    def set_store(self, store, folder: Path | None) -> None:
        self.review.save_comment()  # a comment still being typed goes to the store it was typed for
        self.store = store
        self.folder = folder
        self.read_only = bool(store is not None and store.read_only)
        self.results.clear()
        self.rejected.clear()
        self.history.clear()
        self.redo_stack.clear()
        self._photo_errors.clear()
        self.photo_id = None
        self.editor.set_read_only(self.read_only)
        self.review.set_read_only(self.read_only)
        self.queue.reset_shown()
        if store is None:
            self.queue.set_photos([])
            self.editor.show_message("No project open")
            self.review.clear("No project open.")
            return
        self.proposals = jobs.load_proposals(folder) if folder is not None else {}
        self.refresh_queue()
        self.load_thumbnails()
        self.propose_missing()

    # ------------------------------------------------------------------ box proposals
    def propose_missing(self) -> None:
        """Every photo still without a box gets a proposal from the box model (worker)."""
        if self.store is None or self.folder is None:
            return
        if not box_proposals.box_model_available():
            self.box_model_state.emit("Box model: none (model_weights/box_proposer.pt missing) \u2014 draw boxes")
            return
        if self.read_only:
            self.box_model_state.emit("Box model: read-only project, no new proposals")
            return
        photos = [(p.id, str(p.path)) for p in self.store.photos(status="needs_box")]
        self.box_model_state.emit("Box model: proposing\u2026" if photos else "Box model: on")
        if not photos:
            return
        w = Worker(box_proposals.propose_missing, str(self.folder), photos, name="box proposals")
        w.progress.connect(self._on_proposal)
        w.result.connect(lambda n: self.box_model_state.emit(f"Box model: on ({n} new proposals)"))
        w.errored.connect(lambda reason: self.box_model_state.emit(f"Box model failed: {reason}"))
        self.pool.start("box-proposals", w)

    def _on_proposal(self, event) -> None:
        if not (isinstance(event, tuple) and event and event[0] == "proposal"):
            return
        _tag, pid, path, box = event
        self.proposals[path] = box
        if pid == self.photo_id and self._photo_state.box is None and self.editor.has_image():
            self.editor.set_proposal(box)

    def refresh_queue(self, keep: int | None = None) -> None:
        if self.store is None:
            return
        self.queue.set_photos(self.store.photos(),
                              keep=keep if keep is not None else self.photo_id)

    def load_thumbnails(self, photo_ids: list[int] | None = None) -> None:
        if self.store is None:
            return
        if photo_ids is None:
            rows = self.queue._photos
            boxes = self.store.current_boxes()
        else:  # one photo after an edit: do not read every box of the project
            rows = [self.store.photo(p) for p in photo_ids]
            boxes = {p: b for p in photo_ids if (b := self.store.box(p)) is not None}
        items = [(p.id, str(p.path), boxes[p.id].box if p.id in boxes else None) for p in rows]
        if not items:
            return
        w = Worker(jobs.thumbnails, items, 96, name="thumbnails")
        w.progress.connect(self._on_thumb)
        self.pool.start("thumbnails" if photo_ids is None else f"thumb-{photo_ids[0]}", w)

    def _on_thumb(self, event) -> None:
        if isinstance(event, tuple) and event and event[0] == "thumb":
            _tag, pid, arr = event
            if isinstance(arr, str):
                self._photo_errors[pid] = arr
                self.queue.mark_error(pid, arr)
            else:
                self.queue.set_thumbnail(pid, qimage_from_array(arr))
                pm = self.queue.thumbnail(pid)
                if pm is not None:
                    self.review.set_sibling_thumbnail(pid, pm)

    # ------------------------------------------------------------------ photo
    def show_photo(self, photo_id: int) -> None:
        self.review.new_bar.hide()
        if photo_id is None or photo_id < 0 or self.store is None:
            self.photo_id = None
            self.editor.show_message("No photo in this list")
            self.review.clear("No photo to review here.")
            self.review.set_photo_meta(None)
            self.review.set_siblings([])
            self.compare.set_query(None, "Query", "no photo")
            return
        self.photo_id = photo_id
        photo = self.store.photo(photo_id)
        self.review.set_photo_meta(photo_id, photo.quality, photo.comment)
        self._show_siblings(photo)
        state = _state_of(self.store.box(photo_id))
        self._photo_state = state
        self.editor.show_message(f"Loading {photo.path.name}\u2026")
        w = Worker(jobs.load_view, str(photo.path), name="photo")
        key = str(Path(photo.path).resolve())
        w.result.connect(lambda arr, pid=photo_id, k=key: self._on_photo_loaded(pid, arr, k))
        w.errored.connect(lambda reason, pid=photo_id: self._on_photo_error(pid, reason))
        self.pool.start("photo", w)
        self._show_review_for(photo, state)

    # ------------------------------------------------------------------ same encounter
    def _show_siblings(self, photo) -> None:
        sibs = encounter_siblings(photo, self.queue.all_photos())
        items = []
        for p in sibs:
            t = (p.taken_at or "")[11:16]
            mark = {"done": "\u2713 ", "needs_decision": "\u25a3 "}.get(p.status, "")
            items.append((p.id, mark + (t or Path(p.path).stem[:9]),
                          f"{_caption(p)} \u00b7 {p.status}" + (f" \u00b7 {p.quality}" if p.quality else "")))
        what = f" (\u00b1{ENCOUNTER_HOURS:g} h)" if _when(photo) is not None else " (same folder)"
        self.review.set_siblings(items, what)
        for p in sibs:
            pm = self.queue.thumbnail(p.id)
            if pm is not None:
                self.review.set_sibling_thumbnail(p.id, pm)

    def open_photo(self, photo_id: int) -> None:
        """Jump to a photo (a sibling clicked); clears the queue's filters if they hide it."""
        if photo_id != self.photo_id and not self.queue.reveal(photo_id):
            self.status_message.emit("That photo is no longer in the project")

    # ------------------------------------------------------------------ quality and comment
    def set_quality(self, photo_id: int, quality: str | None) -> None:
        """The photo's quality flag, saved at once (its own transaction)."""
        if self.store is None or self.read_only:
            return
        try:
            row = self.store.set_quality(photo_id, quality)
        except Exception as exc:
            self._fail(f"The quality flag could not be saved: {exc}")
            return
        self.queue.update_photos([row])
        self.status_message.emit(f"{row.path.name}: quality {quality or 'unset'}")

    def set_comment(self, photo_id: int, comment: str) -> None:
        """The photo's comment, saved at once (its own transaction); empty clears it."""
        if self.store is None or self.read_only:
            return
        try:
            row = self.store.set_comment(photo_id, comment)
        except Exception as exc:
            self._fail(f"The comment could not be saved: {exc}")
            return
        self.queue.update_photos([row])
        self.status_message.emit(f"{row.path.name}: comment saved" if comment else f"{row.path.name}: comment cleared")

    def _on_photo_loaded(self, photo_id: int, arr, key: str = "") -> None:
        if photo_id != self.photo_id:
            return
        # the state now, not when loading began: an undo/redo may have changed the box meanwhile
        state = self._photo_state
        # looked up now: the box model may have proposed it while the photo was loading
        proposal = self.proposals.get(key) if state.box is None else None
        self.editor.set_image(qimage_from_array(arr), state, proposal)

    def _on_photo_error(self, photo_id: int, reason: str) -> None:
        """An unreadable photo: say why in place, mark it in the queue, the rest goes on."""
        self._photo_errors[photo_id] = reason
        self.queue.mark_error(photo_id, reason)
        if photo_id != self.photo_id:
            return
        self.editor.show_message(f"This photo cannot be read:\n{reason}\n\nPress J for the next photo.")
        self.review.clear(f"This photo cannot be read: {reason}")
        self.review.set_message(f"This photo cannot be read: {reason}. Press J for the next photo.", error=True)
        self.status_message.emit(f"Unreadable photo: {reason}")

    def _show_review_for(self, photo, state: BoxState) -> None:
        if state.box is None:
            self.review.clear("Draw a box around the fluke: drag on the photo (or press A to accept a "
                              "proposed box).")
            self.review.set_query(None, _caption(photo), "no box yet")
            self.compare.set_query(None, f"Query: {_caption(photo)}", "no box yet")
            return
        self._load_query_crop(photo, state)
        cached = self.results.get(photo.id)
        if cached is not None:
            self.review.set_result(cached, self.rejected.get(photo.id, set()))
            self._load_candidate_thumbs(cached)
        else:
            self.start_matching()

    def _load_query_crop(self, photo, state: BoxState) -> None:
        w = Worker(jobs.crop_rgb, str(photo.path), state.box, state.rotation, state.flip, 800, name="query")
        cap = _caption(photo)
        w.result.connect(lambda arr, pid=photo.id: self._on_query_crop(pid, arr, cap))
        w.errored.connect(lambda reason: self.review.set_query(None, cap, reason))
        self.pool.start("query-crop", w)

    def _on_query_crop(self, photo_id: int, arr, caption: str) -> None:
        if photo_id != self.photo_id:
            return
        img = qimage_from_array(arr)
        self.review.set_query(img, caption)
        self.compare.set_query(img, f"Query: {caption}")

    # ------------------------------------------------------------------ box edits
    def _on_box_edited(self, state: BoxState) -> None:
        if self.photo_id is None or self.store is None or self.read_only:
            return
        before = self._photo_state
        accepted = (state.box is not None and before.box is None
                    and self.proposals.get(str(Path(self.store.photo(self.photo_id).path).resolve())) == state.box)
        self._save_box(self.photo_id, state, source="proposed" if accepted else "manual")
        self.history.append(_BoxEdit(self.photo_id, before, state))
        self.redo_stack.clear()

    def _save_box(self, photo_id: int, state: BoxState, source: str = "manual") -> None:
        """Every edit goes to the store at once; a new box means a new ranking."""
        try:
            if state.box is None:
                self.store.delete_box(photo_id)
            else:
                self.store.set_box(photo_id, state.box, source=source, rotation=state.rotation,
                                   flip=state.flip, author=getattr(self.store, "user", None))
        except Exception as exc:
            self._fail(f"The box could not be saved: {exc}")
            return
        self._photo_state = state
        self.results.pop(photo_id, None)
        self.rejected.pop(photo_id, None)
        self.queue.update_photos([self.store.photo(photo_id)])
        self.load_thumbnails([photo_id])
        if photo_id == self.photo_id:
            self._show_review_for(self.store.photo(photo_id), state)

    def accept_proposal(self) -> None:
        self.editor.accept_proposal()

    # ------------------------------------------------------------------ matching
    def start_matching(self) -> None:
        if self.photo_id is None or self.folder is None:
            return
        pid = self.photo_id
        self.review.set_matching(0, 0, "Matching\u2026")
        w = Worker(jobs.match_photo, str(self.folder), pid, self.engine, name="match")
        w.progress.connect(lambda ev, p=pid: self._on_match_progress(p, ev))
        w.result.connect(self._on_match_result)
        w.errored.connect(lambda reason, p=pid: self._on_match_error(p, reason))
        self.pool.start("match", w)
        self.status_message.emit("Matching\u2026")

    def rematch(self) -> None:
        if self.photo_id is not None:
            self.results.pop(self.photo_id, None)
            self.start_matching()

    def cancel_matching(self) -> None:
        for w in self.pool.running("match"):
            w.cancel()
        self.review.clear("Matching cancelled. Press R\u00e9match (F5) to run it again.")
        self.review.retry_button.show()
        self.status_message.emit("Matching cancelled")

    def _on_match_progress(self, photo_id: int, event) -> None:
        if photo_id != self.photo_id:
            return
        done, total = getattr(event, "done", 0), getattr(event, "total", 0)
        self.review.set_matching(done, total, getattr(event, "message", "") or "Matching\u2026")

    def _on_match_result(self, result: jobs.MatchResult) -> None:
        self.results[result.photo_id] = result
        self.engine_known.emit(result.weights_id, result.device)
        if self.store is not None and not self.read_only:
            try:
                record_result(self.store, result)
            except Exception as exc:  # the ranking is still shown; the audit trail says why not
                self.status_message.emit(f"Candidates not recorded: {exc}")
        if result.photo_id != self.photo_id:
            return
        self.review.set_result(result, self.rejected.get(result.photo_id, set()))
        self._load_candidate_thumbs(result)
        self.status_message.emit(f"{len([c for c in result.candidates if not c.is_new])} candidates "
                                 f"in {result.seconds:.1f} s"
                                 + (f" \u00b7 {result.rerank_note}" if result.rerank_note else ""))

    def _on_match_error(self, photo_id: int, reason: str) -> None:
        if photo_id == self.photo_id:
            self.review.set_error(reason)
        self._fail(f"Matching failed: {reason}", dialog=False)

    def _load_candidate_thumbs(self, result: jobs.MatchResult) -> None:
        items = [(i, str(c.image), c.box) for i, c in enumerate(
            [c for c in result.candidates if not c.is_new]) if c.image is not None]
        if not items:
            return
        w = Worker(jobs.thumbnails, items, 200, name="candidate thumbs")
        pid = result.photo_id

        def on_thumb(ev, pid=pid):
            if pid != self.photo_id or not (isinstance(ev, tuple) and ev[0] == "thumb"):
                return
            _t, idx, arr = ev
            if isinstance(arr, str):
                self.review.set_candidate_thumbnail(idx, None, arr)
            else:
                self.review.set_candidate_thumbnail(idx, qimage_from_array(arr))
        w.progress.connect(on_thumb)
        self.pool.start("candidate-thumbs", w)

    def _on_candidate(self, cand) -> None:
        """A candidate selected: its best photo in the compare view and all its photos below."""
        if cand is None:
            self.compare.set_candidate(None, "Candidate", "no candidate")
            self.compare.set_photos("All photos of the candidate", [])
            return
        kp = f" \u00b7 {cand.inliers} keypoints" if cand.inliers is not None else ""
        self._show_compare_image(cand.image, cand.box, f"{cand.code} \u00b7 score {cand.score:.2f}{kp}",
                                 cand.rotation, cand.flip)
        if self.store is None or cand.individual_id is None:
            return
        try:
            photos = jobs.photos_of(self.store, cand.individual_id)
        except Exception as exc:
            self.status_message.emit(str(exc))
            return
        self.compare.set_photos(f"All {len(photos)} photos of {cand.code} (click to compare)",
                                [(p.id, _caption(p)) for p in photos])
        boxes = self.store.current_boxes()
        items = [(p.id, str(p.path), boxes[p.id].box if p.id in boxes else None) for p in photos]
        w = Worker(jobs.thumbnails, items, 120, name="individual photos")
        w.progress.connect(lambda ev: (isinstance(ev, tuple) and not isinstance(ev[2], str)
                                       and self.compare.set_photo_thumbnail(ev[1], qimage_from_array(ev[2]))))
        self.pool.start("individual-photos", w)

    def _show_compare_image(self, path, box, caption: str, rotation: int = 0, flip: bool = False) -> None:
        if path is None:
            self._compare_target = None
            self.compare.set_candidate(None, caption, "no photo")
            return
        self._compare_target = (str(path), box, int(rotation or 0), bool(flip))
        w = Worker(jobs.crop_rgb, str(path), box, rotation, flip, 800, name="candidate crop")
        cap = f"{caption} \u00b7 {Path(path).name}"
        w.result.connect(lambda arr: self.compare.set_candidate(qimage_from_array(arr), cap))
        w.errored.connect(lambda reason: self.compare.set_candidate(None, cap, reason))
        self.pool.start("candidate-crop", w)

    def _browse_candidate_photo(self, photo_id: int) -> None:
        if self.store is None:
            return
        p = self.store.photo(photo_id)
        b = self.store.box(photo_id)
        cand = self.review.selected()
        self._show_compare_image(p.path, b.box if b else None,
                                 f"{cand.code if cand else ''} \u00b7 {_caption(p)}",
                                 b.rotation if b else 0, b.flip if b else False)

    def show_keypoints(self) -> None:
        """Compute the keypoint matches between the query and the compared photo (worker)."""
        if self.photo_id is None or self.store is None or self._compare_target is None:
            return
        q = self.store.box(self.photo_id)
        if q is None:
            self.compare.set_keypoint_message("Draw the query's box first.")
            return
        photo = self.store.photo(self.photo_id)
        self._kp_token += 1
        token = self._kp_token
        query = (str(photo.path), q.box, int(q.rotation or 0), bool(q.flip))
        w = Worker(jobs.keypoint_lines, str(self.folder) if self.folder else None, query, self._compare_target,
                   name="keypoints")
        w.result.connect(lambda r, t=token: t == self._kp_token and self.compare.set_keypoint_lines(
            r.lines, r.inliers, r.tentative))
        w.errored.connect(lambda reason, t=token: t == self._kp_token and self.compare.set_keypoint_message(
            f"Keypoints failed: {reason}"))
        self.pool.start("keypoints", w)

    # ------------------------------------------------------------------ decisions
    def _decide(self, kind: str, cand=None, new_code: str | None = None, new_name: str | None = None):
        if self.store is None or self.photo_id is None or self.read_only:
            return None
        result = self.results.get(self.photo_id)
        try:
            row = self.store.decide(
                self.photo_id, kind,
                individual_id=cand.individual_id if cand is not None else None,
                score=cand.score if cand is not None else None,
                rank=cand.rank if cand is not None else None,
                weights_id=result.weights_id if result is not None else None,
                new_code=new_code, new_name=new_name or None)
        except Exception as exc:
            self._fail(str(exc))
            return None
        code = cand.code if cand is not None else new_code
        self.history.append(_Decision(self.photo_id, kind, code))
        self.redo_stack.clear()
        self.store_changed.emit()
        return row

    def confirm(self, cand=None) -> None:
        cand = cand or self.review.selected()
        if cand is None:
            return
        if self._decide("confirmed", cand) is not None:
            self.status_message.emit(f"Confirmed: this is {cand.code}")
            self._advance()

    def reject(self, cand=None) -> None:
        cand = cand or self.review.selected()
        if cand is None:
            return
        if self._decide("rejected", cand) is not None:
            self.rejected.setdefault(self.photo_id, set()).add(cand.code)
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

    def _advance(self, force: bool = False) -> None:
        """Auto-advance to the next photo that still needs work."""
        current = self.photo_id
        if current is not None:
            self.queue.update_photos([self.store.photo(current)])
        nxt = self.queue.next_pending(current)
        if nxt is not None and nxt != current:
            self.queue.select(nxt)
        elif force:
            self.queue.step(1)
        elif current is not None:
            self.show_photo(current)

    # ------------------------------------------------------------------ undo
    def undo(self) -> None:
        """Undo the last box edit or decision, whichever came last (and show its photo)."""
        if self.store is None or self.read_only or not self.history:
            self.status_message.emit("Nothing to undo")
            return
        entry = self.history.pop()
        if isinstance(entry, _BoxEdit):
            self._goto(entry.photo_id)
            self._save_box(entry.photo_id, entry.before)
            self.editor.restore(entry.before)
            self.redo_stack.append(entry)
            self.status_message.emit("Box edit undone")
            return
        try:
            row = self.store.undo_last()
        except Exception as exc:
            self._fail(f"Cannot undo: {exc}")
            return
        if isinstance(entry, _Decision) and entry.kind == "rejected":
            self.rejected.get(entry.photo_id, set()).discard(entry.code or "")
        pid = row.photo_id if row is not None else entry.photo_id
        self.store_changed.emit()
        self.queue.update_photos([self.store.photo(pid)])
        self._goto(pid, force=True)
        self.status_message.emit(f"Undone: {entry.kind} {entry.code or ''}".rstrip())

    def redo(self) -> None:
        if not self.redo_stack or self.store is None or self.read_only:
            return
        entry = self.redo_stack.pop()
        self._goto(entry.photo_id)
        self._save_box(entry.photo_id, entry.after)
        self.editor.restore(entry.after)
        self.history.append(entry)

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
