"""The window beside another reviewer of the same catalog (issue 13 point 2): who has the photo
open shows in the status bar, a decision someone else made first is named in a dialog and not
applied, and the views reload what the other reviewer changed without a restart."""

from __future__ import annotations

from whaleid_gui.application.match_photos import CandidateView
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.gui.decision_worker import CLAIM_DELAY_MS
from gestures import click_row


def test_claim_conflict_and_refresh_from_another_reviewer(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=20_000)
    pid = window.controller.photo_id
    label = window.catalog_poll.label
    assert not label.isVisible()
    bob = ProjectStore.open(demo_project, user="bob")  # another reviewer (same process: the lock is shared)
    try:
        bob.claim_photo(pid)
        window.catalog_poll.poll()
        assert label.isVisible() and label.text().startswith("Being reviewed by bob (")
        version, _ = bob.decision_state(pid)
        first, second = bob.individuals()[:2]
        bob.decide(pid, "confirmed", individual_id=first.id, expected_version=version)

        window.controller.confirm(CandidateView(1, second.code, 0.5, second.id))  # the window saw the old version
        window.controller.finish_decisions()  # recorded in a worker: its outcome is taken here
        name = window.store.photo(pid).path.name
        assert window.last_error.startswith(f"{name} was decided meanwhile by bob at ")
        assert f"confirmed {first.code}. Your decision (confirmed {second.code}) was not applied" in window.last_error
        assert [(d.who, d.undone) for d in window.store.decisions(pid)] == [("bob", False), (window.store.user, True)]
        assert window.store.photo(pid).status == "done"  # bob's decision holds; the queue shows it so

        bob.rename_individual(first.id, name="Renamed by bob")
        before = window.store.change_count()
        window.catalog_poll.poll()  # what the timer does every few seconds
        assert window.controller.session._seen_changes == before
        window.pages.setCurrentIndex(1)  # the catalog view shows bob's rename without a restart
        qtbot.waitUntil(lambda: "Renamed by bob" in _catalog_text(window), timeout=5000)
        bob.release_claims()
        window.catalog_poll.poll()
        assert not label.isVisible()
    finally:
        bob.close()


def test_opening_a_photo_claims_it_and_names_who_else_has_it_open(qtbot, window, demo_project):
    """The claim is written a turn after the photo is drawn (issue 15's stalls): others still see
    it, and the reviewer still sees at once who else has the photo open."""
    window.catalog_poll.timer.stop()  # its refresh every few seconds claims too: the photo's own claim counts here
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=20_000)
    first = window.controller.photo_id
    second = next(p.id for p in window.queue.all_photos() if p.id != first)
    label = window.catalog_poll.label
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        qtbot.waitUntil(lambda: (c := bob.claim_of(first)) is not None and c.who == window.store.user, timeout=5000)
        bob.claim_photo(second)
        assert window.queue.select(second)
        # not claimed in the photo's own turn (a write and its commit there was a 15-20 ms stall)
        assert window.controller.decisions.claim_due
        assert bob.claim_of(second) is None  # bob sees no one else on it yet
        qtbot.waitUntil(lambda: label.isVisible() and label.text().startswith("Being reviewed by bob ("), timeout=5000)
        assert bob.claim_of(second).who == window.store.user  # both have it open now
        assert bob.claim_of(first) is None  # the window's claim moved with it
    finally:
        bob.close()


def test_paging_through_photos_claims_only_the_one_the_reviewer_stops_on(qtbot, window, demo_project):
    """Each photo shown restarts the claim's delay: J J J writes one claim, not three. The delay
    is made a minute while paging, so a slow machine cannot let it run out between two photos."""
    window.catalog_poll.timer.stop()
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=20_000)
    decisions = window.controller.decisions
    qtbot.waitUntil(lambda: not decisions.claim_due, timeout=5000)  # the first photo's claim is made
    claims: list = []
    window.controller.claim_known.connect(claims.append)
    others = [p.id for p in window.queue.all_photos() if p.id != window.controller.photo_id][:3]
    bob = ProjectStore.open(demo_project, user="bob")
    timer = decisions._claim_timer
    try:
        timer.setInterval(60_000)
        for pid in others:  # a reviewer paging on
            assert window.queue.select(pid)
            qtbot.wait(20)
        assert claims == [] and decisions.claim_due and timer.isActive()
        timer.setInterval(CLAIM_DELAY_MS)  # restarts it
        qtbot.waitUntil(lambda: not decisions.claim_due, timeout=5000)
        assert claims == [None]  # one claim (and no one else on the photo)
        assert bob.claim_of(others[-1]).who == window.store.user
        assert bob.claim_of(others[0]) is None and bob.claim_of(others[1]) is None
    finally:
        bob.close()


def _catalog_text(window) -> str:
    table = window.catalog.table
    return " ".join(table.item(r, c).text() for r in range(table.rowCount()) for c in range(table.columnCount())
                    if table.item(r, c) is not None)


def test_a_reload_keeps_what_the_user_types_and_a_stale_rename_is_refused(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    window.pages.setCurrentIndex(1)
    cat = window.catalog
    qtbot.waitUntil(lambda: cat.table.rowCount() > 0, timeout=10_000)
    click_row(qtbot, cat.table, 0)  # selectRow() would follow a Ctrl an earlier test left held
    iid = cat._current_id
    old = window.store.individual(iid).code
    cat.code_edit.selectAll()
    qtbot.keyClicks(cat.code_edit, "HW-MINE")
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        bob.rename_individual(iid, code="HW-BOB")
    finally:
        bob.close()
    window.catalog_poll.poll()  # bob's rename reloads the view ...
    qtbot.waitUntil(lambda: "HW-BOB" in cat.title.text(), timeout=5000)
    assert cat.code_edit.text() == "HW-MINE"  # ... but not the field the user is typing in
    statuses: list[str] = []
    cat.status_message.connect(statuses.append)
    cat.rename_current()
    assert f"{old} was renamed to HW-BOB by someone else meanwhile; nothing was changed" in statuses[-1]
    assert window.store.individual(iid).code == "HW-BOB"


def test_a_box_another_reviewer_moves_gets_a_new_ranking_on_screen(qtbot, window, demo_project):
    """The ranking on screen was computed on the box bob then replaced: the poll drops it, the
    photo is shown with bob's box and ranked again on it (it was kept until the catalog changed)."""
    from whaleid_gui.core.boxes import BoundingBox

    store = ProjectStore.open(demo_project)
    try:
        for p in store.photos(status="needs_box")[:2]:
            store.set_box(p.id, BoundingBox(12, 10, 244, 160), source="proposed")
    finally:
        store.close()
    assert window.open_project(str(demo_project))
    c = window.controller
    qtbot.waitUntil(lambda: c.photo_id is not None and c.photo_id in c.results, timeout=120_000)
    pid = c.photo_id
    old = c.results[pid].box_id
    assert old == window.store.box(pid).id
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        moved = bob.set_box(pid, BoundingBox(20, 16, 200, 150), source="manual")
    finally:
        bob.close()
    window.catalog_poll.poll()
    assert c.session.photo_state.box == moved.box  # the review follows bob's box
    qtbot.waitUntil(lambda: pid in c.results and c.results[pid].box_id == moved.id, timeout=120_000)
    assert window.review.result is not None and window.review.result.photo_id == pid
