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


def card_key(candidate) -> tuple:
    """What a card's thumbnail is made of: (photo path, box, rotation, flip). A reference is shown
    turned as its box says, as it was matched and as the compare view shows it."""
    return (str(candidate.image), *photo_display.box_parts(candidate))


def _items(result: MatchResult) -> list[tuple[int, tuple]]:
    """(card index, card_key) of the result's candidates that have a photo."""
    cands = [c for c in result.candidates if not c.is_new]
    return [(i, card_key(c)) for i, c in enumerate(cands) if c.image is not None]


class CandidateThumbs(QObject):
    """Thumbnails keyed by photo, box and orientation, drawn on every card of the shown ranking that has that
    key when they arrive: a card's index is never trusted across rankings (a photo ranked again
    keeps its cards' keys, not their order), and a thumbnail already being made is not made twice
    (the key pressed while the next photo's were still being made)."""

    def __init__(self, review: MatchReviewPanel, pool: WorkerPool, session: ReviewSession) -> None:
        super().__init__()
        self.review, self.pool, self.session = review, pool, session
        self._kept: OrderedDict[tuple, QImage] = OrderedDict()  # key (see _items): the thumbnail
        self._making: dict[tuple, Worker] = {}  # key: the job making it
        self._limit = KEPT
        self._jobs = 0
        self._generation = 0  # forget(): what the last project's jobs bring is dropped

    def show(self, result: MatchResult) -> None:
        """The cards of result (just drawn) get their photos: kept ones now, the others when made."""
        for index, key in _items(result):
            image = self._kept.get(key)
            if image is not None:
                self.review.set_candidate_thumbnail(index, image)
        self.ahead(result)

    def ahead(self, result: MatchResult) -> None:
        """Thumbnails of result's candidates made (unless kept or being made) and kept for its cards:
        the next photo's, or the shown photo's that are missing."""
        items = _items(result)
        self._limit = max(self._limit, 3 * len(items))  # more candidates per ranking: room for three
        missing = []
        for _index, key in items:
            if key in self._kept:
                self._kept.move_to_end(key)
            elif key not in self._making:
                missing.append(key)
        self._load(missing)

    def forget(self) -> None:
        """Another project: its photos' thumbnails are of no use."""
        self._kept.clear()
        self._making.clear()
        self._generation += 1

    def _draw(self, key: tuple, image: QImage | None, reason: str = "") -> None:
        shown = self.review.result
        if shown is None or shown.photo_id != self.session.photo_id:
            return
        for index, card_key in _items(shown):
            if card_key == key:
                self.review.set_candidate_thumbnail(index, image, reason)

    def _keep(self, key: tuple, image: QImage) -> None:
        self._kept[key] = image
        self._kept.move_to_end(key)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def _load(self, keys: list[tuple]) -> None:
        if not keys:
            return
        generation = self._generation
        w = Worker(photo_display.thumbnails, [(n, *key) for n, key in enumerate(keys)],
                   CARD_THUMB_SIDE, name="candidate thumbs")
        for key in keys:
            self._making[key] = w

        def on_thumb(ev) -> None:
            if generation != self._generation:
                return
            key = keys[ev.key]
            if self._making.get(key) is w:
                del self._making[key]
            if isinstance(ev, Thumbnail):
                image = qimage_from_array(ev.image)
                self._keep(key, image)
                self._draw(key, image)
            elif isinstance(ev, ThumbnailFailed):
                self._draw(key, None, ev.reason)

        def over() -> None:  # ended, cancelled included: what it did not make is made by the next ask
            for key in keys:
                if self._making.get(key) is w:
                    del self._making[key]
        w.progress.connect(on_thumb)
        w.finished.connect(over)
        self._jobs += 1
        # a kind of its own: a later job must not cancel one whose thumbnails it left to it
        self.pool.start(f"candidate-thumbs-{self._jobs}", w)
