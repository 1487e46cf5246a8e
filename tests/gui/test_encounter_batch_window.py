"""Confirming one encounter together in the real window: the siblings are ranked, the preview shows
them side by side with the catalog photo each matched, one click confirms them all (each photo its
own decision) and one Ctrl+Z takes them all back."""

from __future__ import annotations

from encounter_photos import add_encounter_photos
from PySide6.QtCore import Qt

MATCH_TIMEOUT = 180_000


def test_an_encounter_is_confirmed_in_one_step_and_undone_in_one(qtbot, window, demo_project, tmp_path):
    assert window.open_project(str(demo_project))
    c, store, review = window.controller, window.store, window.review
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=30_000)
    first = c.photo_id
    window.editor.accept_proposal()  # the box: matching starts
    qtbot.waitUntil(lambda: len(review.cards) >= 2, timeout=MATCH_TIMEOUT)
    # two more photos of this whale minutes later (the small demo shows each whale once)
    more = [p.id for p in add_encounter_photos(store, store.photo(first), tmp_path / "more")]
    c.reload_photos()
    c.show_photo(first)  # its ranking is kept: shown at once, with the strip of its encounter
    assert set(more) <= set(review.sibling_ids())
    qtbot.waitUntil(lambda: len(review.cards) >= 2, timeout=1000)  # drawn at the next event-loop turn
    assert review.encounter_button.isVisible() and review.encounter_button.isEnabled()
    chosen = review.selected()
    assert not chosen.is_new

    # the siblings have no ranking yet: the button ranks them, then previews
    qtbot.mouseClick(review.encounter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: c.encounter.preview is not None and c.encounter.preview.isVisible(),
                    timeout=MATCH_TIMEOUT)
    dlg = c.encounter.preview
    included = [i.photo.id for i in dlg.items if i.included]
    assert included[0] == first and set(included[1:]) <= set(more)
    assert len(included) >= 2, "copies of the photo rank the same individual first"
    assert dlg.confirm_button.text() == f"Confirm {len(included)} photos as {chosen.code}"
    qtbot.waitUntil(lambda: not dlg.pictures[1].pixmap().isNull(), timeout=20_000)  # the catalog photo
    qtbot.mouseClick(dlg.confirm_button, Qt.MouseButton.LeftButton)

    ind = store.individual_by_code(chosen.code)
    qtbot.waitUntil(lambda: set(included) <= {p.id for p in store.photos_of(ind.id)}, timeout=10_000)
    decisions = [d for d in store.decisions(include_undone=False) if d.photo_id in included]
    assert len(decisions) == len(included) and all(d.decision == "confirmed" for d in decisions)
    assert "Ctrl+Z undoes all" in window.statusBar().currentMessage()

    c.undo()  # one step
    assert [d for d in store.decisions(include_undone=False) if d.photo_id in included] == []
    assert all(store.photo(pid).status == "needs_decision" for pid in included)
    assert window.last_error is None
