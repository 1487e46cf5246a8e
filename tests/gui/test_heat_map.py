"""The Compare tab's "Show what drove the score": the query view shows the model's input with the
regions whose hiding lowers the similarity most in red; off again, the photo as shot returns."""

from __future__ import annotations

MATCH_TIMEOUT = 180_000


def test_the_heat_map_toggle_shows_and_hides_the_map(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    review, compare = window.review, window.compare
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=30_000)
    window.editor.accept_proposal()
    qtbot.waitUntil(lambda: len(review.cards) >= 2, timeout=MATCH_TIMEOUT)
    # The hidden Compare tab draws nothing at each key (issue 15's stalls); shown, it draws the pick.
    review.select(1)
    qtbot.wait(100)
    assert compare.strip.count() == 0 and compare._other_image is None
    window.center.setCurrentIndex(1)
    qtbot.waitUntil(lambda: compare.strip.count() > 0, timeout=20_000)
    assert review.selected().code in compare.strip_label.text()
    # hidden with its page (the Catalog and back): the pick made meanwhile is drawn on return
    window.pages.setCurrentIndex(1)
    review.select(0)
    window.pages.setCurrentIndex(0)
    qtbot.waitUntil(lambda: review.selected().code in compare.strip_label.text(), timeout=20_000)
    qtbot.waitUntil(lambda: compare._query_image is not None and compare._other_image is not None, timeout=20_000)
    shot = compare._query_image
    compare.show_heat.setChecked(True)
    qtbot.waitUntil(lambda: "model saw" in compare.query_label.text(), timeout=60_000)
    assert "red" in compare.query_label.text()
    heat = compare.query.displayed_image()
    assert heat.width() == heat.height() == 64  # the model's input (the general model: a 64 px square here)
    compare.show_heat.setChecked(False)
    assert "model saw" not in compare.query_label.text() and window.last_error is None
    assert compare.query.displayed_image().size() == shot.size()  # the photo as shot again
