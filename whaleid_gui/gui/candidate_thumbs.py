"""The candidates' photos on the review's cards, and those of the next photo's candidates made
ahead (issue 15).

Made after the key press, five thumbnails decoded in a worker beside the cards' drawing and the
window's paint, and the GUI thread waited for the interpreter while they did (review_flow_calls.py
and review_flow_stalls.py on a slow machine: the key press's 35-56 ms gap held up to 25 such waits). So while the reviewer looks at a
photo, the thumbnails of the next photo's stored candidates are made and kept here, and the key
press draws them with the cards. A catalog's photos come back as candidates again and again, so
the last few dozen stay.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage

from whaleid_gui.application import photo_display
from whaleid_gui.application.match_photos import MatchResult
from whaleid_gui.application.review_session import ReviewSession
from whaleid_gui.application.events import Thumbnail, ThumbnailFailed
from whaleid_gui.gui.box_editor import qimage_from_array
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.workers import Worker, WorkerPool

CARD_THUMB_SIDE = 200
KEPT = 60  # thumbnails kept (200 px: about 10 MB at most)


def _items(result: MatchResult) -> list[tuple[int, str, object]]:
    """(card index, photo path, box) of the result's candidates that have a photo."""
    cands = [c for c in result.candidates if not c.is_new]
    return [(i, str(c.image), c.box) for i, c in enumerate(cands) if c.image is not None]


class CandidateThumbs(QObject):
    def __init__(self, review: MatchReviewPanel, pool: WorkerPool, session: ReviewSession) -> None:
        super().__init__()
        self.review, self.pool, self.session = review, pool, session
        self._kept: OrderedDict[tuple, QImage] = OrderedDict()  # (path, box): the thumbnail

    def show(self, result: MatchResult) -> None:
        """The cards of result (just drawn) get their photos: kept ones now, the others from a worker."""
        missing = []
        for index, path, box in _items(result):
            image = self._take((path, box))
            if image is not None:
                self.review.set_candidate_thumbnail(index, image)
            else:
                missing.append((index, path, box))
        if missing:
            self._load(missing, "candidate-thumbs", result.photo_id)

    def ahead(self, result: MatchResult) -> None:
        """The next photo's stored candidates: their thumbnails made now and kept for its cards."""
        missing = [(index, path, box) for index, path, box in _items(result) if (path, box) not in self._kept]
        if missing:
            self._load(missing, "candidate-thumbs-ahead", None)

    def forget(self) -> None:
        """Another project: its photos' thumbnails are of no use."""
        self._kept.clear()

    def _take(self, key: tuple) -> QImage | None:
        image = self._kept.get(key)
        if image is not None:
            self._kept.move_to_end(key)
        return image

    def _keep(self, key: tuple, image: QImage) -> None:
        self._kept[key] = image
        self._kept.move_to_end(key)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)

    def _load(self, items: list, kind: str, shown_for: int | None) -> None:
        """shown_for: the photo whose cards show them as they come (None: kept only)."""
        keys = {index: (path, box) for index, path, box in items}
        w = Worker(photo_display.thumbnails, items, CARD_THUMB_SIDE, name="candidate thumbs")

        def on_thumb(ev) -> None:
            mine = shown_for is not None and shown_for == self.session.photo_id
            if isinstance(ev, Thumbnail):
                image = qimage_from_array(ev.image)
                self._keep(keys[ev.key], image)
                if mine:
                    self.review.set_candidate_thumbnail(ev.key, image)
            elif isinstance(ev, ThumbnailFailed) and mine:
                self.review.set_candidate_thumbnail(ev.key, None, ev.reason)
        w.progress.connect(on_thumb)
        self.pool.start(kind, w)
