"""The candidates' photos on the review's cards (gui/candidate_thumbs.py): each card shows its own
candidate's photo, also when the photo is ranked again while they are being made."""

from __future__ import annotations

from PIL import Image
from PySide6.QtGui import QColor

from whaleid_gui.application.match_photos import CandidateView, MatchResult
from whaleid_gui.application.review_session import ReviewSession
from whaleid_gui.gui.candidate_thumbs import CandidateThumbs
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.workers import WorkerPool

COLOURS = {"HW-A": (200, 30, 30), "HW-B": (30, 30, 200)}


def _ranking(photos, order) -> MatchResult:
    cands = [CandidateView(rank=n + 1, code=code, score=0.9 - 0.1 * n, individual_id=n + 1, image=photos[code])
             for n, code in enumerate(order)]
    return MatchResult(photo_id=7, candidates=cands, threshold=None, weights_id="w", device="cpu",
                       catalog_photos=2, catalog_individuals=2, ran_at="2026-12-05T12:00:00", seconds=0.1)


def _colour(card) -> tuple[int, int, int]:
    image = card.thumb.pixmap().toImage()
    c = QColor(image.pixel(image.width() // 2, image.height() // 2))
    return c.red(), c.green(), c.blue()


def test_a_photo_ranked_again_while_its_thumbnails_are_made_gets_each_card_its_own(qtbot, tmp_path):
    photos = {}
    for code, rgb in COLOURS.items():
        photos[code] = tmp_path / f"{code}.jpg"
        Image.new("RGB", (300, 200), rgb).save(photos[code])
    panel, pool, session = MatchReviewPanel(), WorkerPool(), ReviewSession()
    qtbot.addWidget(panel)
    session.photo_id = 7
    thumbs = CandidateThumbs(panel, pool, session)
    first, again = _ranking(photos, ["HW-A", "HW-B"]), _ranking(photos, ["HW-B", "HW-A"])
    panel.set_result(first)
    thumbs.show(first)  # made in a worker...
    panel.set_result(again)  # ...while the photo is ranked again, the candidates the other way round
    thumbs.show(again)
    assert len(pool.running()) == 1  # not made twice
    qtbot.waitUntil(lambda: not pool.busy() and all(not c.thumb.pixmap().isNull() for c in panel.cards), timeout=10_000)
    for card in panel.cards:
        got, want = _colour(card), COLOURS[card.candidate.code]
        assert all(abs(g - w) < 40 for g, w in zip(got, want)), (card.candidate.code, got)
    assert pool.shutdown(5000)


def test_a_card_shows_its_reference_turned_as_its_box_says(qtbot, tmp_path):
    """A catalog photo whose box was turned 180 degrees (an upside-down fluke) is shown on its card
    as it was matched and as the compare view shows it, the same photo unturned on another card."""
    path = tmp_path / "ref.png"
    two = Image.new("RGB", (300, 200), COLOURS["HW-A"])
    two.paste(Image.new("RGB", (300, 100), COLOURS["HW-B"]), (0, 100))  # red above, blue below
    two.save(path)
    cands = [CandidateView(rank=1, code="HW-A", score=0.9, individual_id=1, image=path, rotation=180),
             CandidateView(rank=2, code="HW-B", score=0.8, individual_id=2, image=path)]
    result = MatchResult(photo_id=7, candidates=cands, threshold=None, weights_id="w", device="cpu",
                         catalog_photos=2, catalog_individuals=2, ran_at="2026-12-05T12:00:00", seconds=0.1)
    panel, pool, session = MatchReviewPanel(), WorkerPool(), ReviewSession()
    qtbot.addWidget(panel)
    session.photo_id = 7
    thumbs = CandidateThumbs(panel, pool, session)
    panel.set_result(result)
    thumbs.show(result)
    qtbot.waitUntil(lambda: not pool.busy() and all(not c.thumb.pixmap().isNull() for c in panel.cards), timeout=10_000)

    def top(card):
        image = card.thumb.pixmap().toImage()
        c = QColor(image.pixel(image.width() // 2, image.height() // 5))
        return c.red(), c.green(), c.blue()
    turned, upright = (top(c) for c in panel.cards)
    assert all(abs(g - w) < 40 for g, w in zip(turned, COLOURS["HW-B"])), turned
    assert all(abs(g - w) < 40 for g, w in zip(upright, COLOURS["HW-A"])), upright
    assert pool.shutdown(5000)
