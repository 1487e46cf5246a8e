"""A confirm is recorded off the GUI thread (issue 15): the key press moves on to the next photo
at once while a worker records the decision on its own connection; the decision survives the
window and undo takes it back; one the store refuses is said, and the photo is not shown as
decided. Real engine (64 px), real store, the demo's photos."""

from __future__ import annotations

from PySide6.QtCore import Qt

from whaleid_gui.application.match_photos import CandidateView
from whaleid_gui.core.catalog import ProjectStore
from test_match_ahead import boxed, open_and_wait, started_kinds


def test_a_confirm_is_recorded_in_a_worker_survives_and_is_undone(qtbot, window, demo_project):
    ids = boxed(demo_project, 2)
    open_and_wait(qtbot, window, demo_project, ids)
    c = window.controller
    assert window.queue.select(ids[0])
    top = window.review.selected()
    kinds = started_kinds(window)
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_C)
    assert c.photo_id == ids[1]  # moved on at once
    assert c.deciding() and not any(k.startswith("decision") for k in kinds)  # after the next photo is drawn
    qtbot.waitUntil(lambda: any(k.startswith("decision") for k in kinds), timeout=5000)  # in a worker
    assert window.queue.photo(ids[0]).status == "done"  # shown as decided while it is recorded
    qtbot.waitUntil(lambda: not c.deciding(), timeout=10_000)
    qtbot.waitUntil(lambda: not c.decisions.claim_due, timeout=5000)  # the claim's own delay
    other = ProjectStore.open(demo_project, user="bob", read_only=True)  # another connection sees it committed
    try:
        d = [x for x in other.decisions(ids[0]) if not x.undone]
        assert [(x.decision, x.individual_code) for x in d] == [("confirmed", top.code)]
        assert other.photo(ids[0]).status == "done"
        # the next photo's claim (a write) waited for the decision, and was made after it
        claim = other.claim_of(ids[1])
        assert claim is not None and claim.who == window.store.user
    finally:
        other.close()
    assert c.session.history[-1].photo_id == ids[0]
    c.undo()  # the decision's row is known: undo takes it back
    assert window.store.photo(ids[0]).status == "needs_decision" and c.photo_id == ids[0]


def test_confirms_in_quick_succession_are_recorded_in_order(qtbot, window, demo_project):
    """The second key press comes before the first confirm's worker has started (it waits for the
    next photo's drawing): the first is recorded before the second, and undo takes back the last."""
    ids = boxed(demo_project, 3)
    open_and_wait(qtbot, window, demo_project, ids)
    c = window.controller
    assert window.queue.select(ids[0])
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: c.photo_id == ids[1] and window.review.selected() is not None, timeout=20_000)
    qtbot.keyClick(window.editor, Qt.Key.Key_C)
    c.finish_decisions()
    assert [h.photo_id for h in c.session.history] == ids[:2]
    for pid in ids[:2]:
        assert window.store.photo(pid).status == "done"
    c.undo()
    assert window.store.photo(ids[1]).status == "needs_decision"
    assert window.store.photo(ids[0]).status == "done"


def test_a_confirm_the_store_refuses_is_said_and_not_shown_as_decided(qtbot, window, demo_project):
    ids = boxed(demo_project, 1)
    open_and_wait(qtbot, window, demo_project, ids)
    c = window.controller
    assert window.queue.select(ids[0])
    gone = CandidateView(1, "HW-GONE", 0.9, individual_id=987_654)  # e.g. deleted by another reviewer
    c.confirm(gone)
    c.finish_decisions()
    assert "Not recorded" in (window.last_error or "") and "HW-GONE" in window.last_error
    assert window.store.photo(ids[0]).status == "needs_decision"
    assert window.queue.photo(ids[0]).status == "needs_decision"  # no longer shown as done
    assert not c.session.history  # nothing to undo


def test_closing_the_project_right_after_a_confirm_keeps_the_decision(qtbot, window, demo_project):
    ids = boxed(demo_project, 1)
    open_and_wait(qtbot, window, demo_project, ids)
    assert window.queue.select(ids[0])
    top = window.review.selected()
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_C)
    asked = []
    window.ask = lambda title, text: asked.append(text) or True
    assert window.close_project()
    assert not any("decision" in a for a in asked)  # waited for, not a job to stop
    store = ProjectStore.open(demo_project, read_only=True)
    try:
        assert [(d.decision, d.individual_code) for d in store.decisions(ids[0]) if not d.undone] == \
            [("confirmed", top.code)]
    finally:
        store.close()
