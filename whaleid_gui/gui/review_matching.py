"""The photo on screen's ranking: asked of the background queue (or a match job of its own),
its progress, and the candidates shown when it arrives, or why it failed.

A mixin of ReviewController (it uses the controller's review panel, session, pool, engine,
background queue, pictures and signals).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from whaleid_gui.application import engine_process, match_photos
from whaleid_gui.application.match_photos import MatchResult
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

# The queue's thumbnails beyond the first rows (review_controller.py FIRST_THUMBNAILS) start this
# long after the first ranking arrives: its cards are drawn and painted first, without the
# thumbnails' worker (reading every box, decoding) taking the GIL from them.
REST_OF_THUMBNAILS_AFTER_MS = 300


class ReviewMatching:
    """The ranking of ReviewController's photo on screen (see the module's docstring)."""

    def ranking_arrived(self) -> None:
        """A ranking (or its failure) came: the catalog is prepared, the rest of the thumbnails follow
        once it is drawn."""
        QTimer.singleShot(REST_OF_THUMBNAILS_AFTER_MS, self.pictures, self.pictures.load_rest)

    def start_matching(self, fresh: bool = False) -> None:
        """Candidates for the photo on screen: from the background queue when it runs (fresh: a
        new ranking even if one is on its way, as Match again asks), else a match job."""
        self._stored_pending = None
        if self.photo_id is None or self.folder is None:
            return
        pid = self.photo_id
        self.review.set_matching(0, 0, "Matching\u2026")
        if self.ahead.request(pid, fresh=fresh):  # the background queue matches it next
            return
        w = Worker(engine_process.run, match_photos.match_photo, str(self.folder), pid, self.engine, name="match")
        w.progress.connect(lambda ev, p=pid: self._on_match_progress(p, ev))
        w.result.connect(self._on_match_result)
        w.errored.connect(lambda exc, p=pid: self._on_match_error(p, error_text(exc)))
        self.pool.start("match", w)
        self.status_message.emit("Matching\u2026")

    def rematch(self) -> None:
        if self.photo_id is not None:
            self.results.pop(self.photo_id, None)
            self.start_matching(fresh=True)

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

    def _on_match_result(self, result: MatchResult, recorded: bool = False) -> None:
        """A ranking arrived; recorded: its candidates are in the store already (the background
        queue records on its own connection), so only kept, not written again from this thread."""
        self.ranking_arrived()
        self.engine_known.emit(result.model_label or result.weights_id, result.device)
        try:
            self.session.add_result(result, recorded=recorded)
        except Exception as exc:  # the ranking is still shown; the audit trail says why not
            self.status_message.emit(f"Candidates not recorded: {exc}")
        if result.photo_id != self.photo_id:
            return
        self._stored_pending = None
        self.review.set_result(result, self.session.rejected_for(result.photo_id))
        self.candidates.load_candidate_thumbs(result)
        self.status_message.emit(f"{len([c for c in result.candidates if not c.is_new])} candidates "
                                 f"in {result.seconds:.1f} s"
                                 + (f" \u00b7 {result.rerank_note}" if result.rerank_note else ""))

    def _on_match_error(self, photo_id: int, reason: str) -> None:
        self.ranking_arrived()
        if photo_id == self.photo_id:
            self._stored_pending = None
            self.review.set_error(reason)
        self._fail(f"Matching failed: {reason}", dialog=False)
