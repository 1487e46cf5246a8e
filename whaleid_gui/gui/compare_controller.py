"""What the candidates show: the thumbnails on the review cards, the selected candidate in the
compare view beside the query, every photo of its individual, and the matching keypoints.

Reads the photo under review and the store from the ReviewSession; images are made in workers.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from whaleid_gui.application.events import Thumbnail
from whaleid_gui.application.review_session import ReviewSession
from whaleid_gui.application import engine_process, keypoint_evidence, photo_display, score_heatmap
from whaleid_gui.application.match_photos import MatchResult
from whaleid_gui.gui.box_editor import qimage_from_array
from whaleid_gui.gui.candidate_thumbs import CandidateThumbs
from whaleid_gui.gui.candidate_cards import candidate_score_words
from whaleid_gui.gui.compare_panel import ComparePanel
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.workers import Worker, WorkerPool


def photo_caption(photo) -> str:
    date = (photo.taken_at or "no date")[:16].replace("T", " ")
    return f"{photo.path.name} \u00b7 {date}"


class CompareController(QObject):
    status_message = Signal(str)

    def __init__(self, review: MatchReviewPanel, compare: ComparePanel, pool: WorkerPool,
                 session: ReviewSession) -> None:
        super().__init__()
        self.review, self.compare, self.pool, self.session = review, compare, pool, session
        self.folder: Path | None = None
        self._target: tuple | None = None  # (path, box, rotation, flip) of the compared photo
        self._kp_token = 0
        self._heat_token = 0
        self.engine_of = lambda: None  # the review's engine (set by the ReviewController)
        self.thumbs = CandidateThumbs(review, pool, session)  # the cards' photos, the next photo's ahead
        self._strip_for = None  # the candidate whose photos the strip shows next (show_candidate)
        self._strip_timer = QTimer(self)
        self._strip_timer.setSingleShot(True)
        self._strip_timer.setInterval(0)
        self._strip_timer.timeout.connect(self._show_strip)
        # The candidate selected while the Compare tab was hidden, drawn when it is shown: its crop,
        # the strip's reads of the store and its thumbnails cost every key press of the review
        # (about 30 ms on two busy cores, issue 15) for a tab nobody was looking at.
        self._hidden_pick: tuple | None = None
        compare.shown.connect(self._on_compare_shown)
        review.candidate_selected.connect(self.show_candidate)
        compare.browse_photo.connect(self.browse_photo)
        compare.keypoints_wanted.connect(self.show_keypoints)
        compare.heat_wanted.connect(self.show_heat)

    def load_candidate_thumbs(self, result: MatchResult) -> None:
        self.thumbs.show(result)

    def candidate_thumbs_ahead(self, result: MatchResult) -> None:
        self.thumbs.ahead(result)

    def show_candidate(self, cand) -> None:
        """A candidate selected: its best photo in the compare view and all its photos below (when
        the Compare tab is hidden, once it is shown)."""
        if not self.compare.isVisibleTo(self.compare.window()):
            self._hidden_pick = (cand,)
            self._strip_for = None
            self._target = None  # no keypoint lines or heat map for the last pair drawn meanwhile
            return
        self._hidden_pick = None
        if cand is None:
            self._strip_for = None
            self.compare.set_candidate(None, "Candidate", "no candidate")
            self.compare.set_photos("All photos of the candidate", [])
            return
        kp = f" \u00b7 {cand.inliers} keypoints" if cand.inliers is not None else ""
        self._show_image(cand.image, cand.box, f"{cand.code} \u00b7 {candidate_score_words(cand)}{kp}",
                         cand.rotation, cand.flip)
        # The strip of the individual's photos reads the store: drawn at the next turn of the
        # event loop (the newest candidate's), not within the key press that showed the photo.
        self._strip_for = cand
        self._strip_timer.start()

    def forget_project(self) -> None:
        """Another project (or none): nothing of the last one stays on the Compare tab. Its candidate
        stayed there until the next project's first ranking, and a click on its strip browsed the
        photo of the same number in the next project (photo numbers start at 1 in every project)."""
        self._hidden_pick = None
        self._strip_for = None
        self._target = None
        self._kp_token += 1  # a late keypoint or heat result of the last pair is dropped
        self._heat_token += 1
        self.thumbs.forget()
        self.compare.set_query(None, "Query", "no photo")
        self.compare.set_candidate(None, "Candidate", "no candidate")
        self.compare.set_photos("All photos of the candidate", [])

    def _on_compare_shown(self) -> None:
        if self._hidden_pick is not None:
            (cand,), self._hidden_pick = self._hidden_pick, None
            self.show_candidate(cand)

    def _show_strip(self) -> None:
        cand, self._strip_for = self._strip_for, None
        store = self.session.store
        if cand is None or store is None or cand.individual_id is None:
            return
        try:
            photos = photo_display.photos_of(store, cand.individual_id)
        except Exception as exc:
            self.status_message.emit(str(exc))
            return
        self.compare.set_photos(f"All {len(photos)} photos of {cand.code} (click to compare)",
                                [(p.id, photo_caption(p)) for p in photos])
        # this individual's boxes only: every box of a 1,000-photo catalog took 100 ms of the key
        # press that shows the next photo (benchmarks/bench_review_flow.py)
        boxes = {p.id: store.box(p.id) for p in photos}
        items = [(p.id, str(p.path), *photo_display.box_parts(boxes[p.id])) for p in photos]
        w = Worker(photo_display.thumbnails, items, 120, name="individual photos")
        w.progress.connect(lambda ev: isinstance(ev, Thumbnail)
                           and self.compare.set_photo_thumbnail(ev.key, qimage_from_array(ev.image)))
        self.pool.start("individual-photos", w)

    def _show_image(self, path, box, caption: str, rotation: int = 0, flip: bool = False) -> None:
        if path is None:
            self._target = None
            self.compare.set_candidate(None, caption, "no photo")
            return
        self._target = (str(path), box, int(rotation or 0), bool(flip))
        w = Worker(photo_display.crop_rgb, str(path), box, rotation, flip, 800, name="candidate crop")
        cap = f"{caption} \u00b7 {Path(path).name}"
        w.result.connect(lambda arr: self.compare.set_candidate(qimage_from_array(arr), cap))
        w.errored.connect(lambda exc: self.compare.set_candidate(None, cap, error_text(exc)))
        self.pool.start("candidate-crop", w)

    def browse_photo(self, photo_id: int) -> None:
        """A photo of the candidate's individual clicked in the strip: compare the query with it."""
        store = self.session.store
        if store is None:
            return
        p = store.photo(photo_id)
        b = store.box(photo_id)
        cand = self.review.selected()
        self._show_image(p.path, b.box if b else None, f"{cand.code if cand else ''} \u00b7 {photo_caption(p)}",
                         b.rotation if b else 0, b.flip if b else False)

    def show_heat(self) -> None:
        """The occlusion map of the query against the compared photo (worker): the newest wins."""
        store, photo_id, engine = self.session.store, self.session.photo_id, self.engine_of()
        if photo_id is None or store is None or self._target is None or engine is None:
            return
        q = store.box(photo_id)
        if q is None:
            self.compare.set_heat(None, "Draw the query's box first.")
            return
        self._heat_token += 1
        token = self._heat_token
        query = (str(store.photo(photo_id).path), q.box, int(q.rotation or 0), bool(q.flip))
        w = Worker(engine_process.run, score_heatmap.catalog_heatmap, engine, query, self._target, name="heat map")
        w.result.connect(lambda m, t=token: t == self._heat_token and self.compare.set_heat(
            qimage_from_array(m.image), "Query as the model saw it \u00b7 red: hiding it lowers the similarity most"
            if m.drop > 0 else "Query as the model saw it \u00b7 no single region changes the score"))
        w.errored.connect(lambda exc, t=token: t == self._heat_token and self.compare.set_heat(
            None, f"Heat map failed: {error_text(exc)}"))
        self.pool.start("heat-map", w)

    def show_keypoints(self) -> None:
        """Compute the keypoint matches between the query and the compared photo (worker)."""
        store, photo_id = self.session.store, self.session.photo_id
        if photo_id is None or store is None or self._target is None:
            return
        q = store.box(photo_id)
        if q is None:
            self.compare.set_keypoint_message("Draw the query's box first.")
            return
        photo = store.photo(photo_id)
        self._kp_token += 1
        token = self._kp_token
        query = (str(photo.path), q.box, int(q.rotation or 0), bool(q.flip))
        w = Worker(keypoint_evidence.keypoint_lines, str(self.folder) if self.folder else None, query, self._target,
                   name="keypoints")
        w.result.connect(lambda r, t=token: t == self._kp_token and self.compare.set_keypoint_lines(
            r.lines, r.inliers, r.tentative))
        w.errored.connect(lambda exc, t=token: t == self._kp_token and self.compare.set_keypoint_message(
            f"Keypoints failed: {error_text(exc)}"))
        self.pool.start("keypoints", w)
