"""Matches computed ahead (issue 15): the background queue ranks the photos with a box before they
are opened; opening one shows its stored candidates at once; a box edit re-ranks that photo only;
a confirm marks the rankings that list the confirmed individual stale, refreshes them in the
background, and the next photo's candidates are on screen without waiting. Real engine (64 px),
real store, the demo's photos."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from whaleid_gui.application import engine_process, match_photos
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.core.catalog.errors import CatalogError
from whaleid_gui.gui.candidate_cards import CARD_THUMB
from whaleid_gui.gui.candidate_thumbs import card_key

MATCH_TIMEOUT = 120_000  # the first ranking loads torch and the model


def boxed(folder, n: int = 3) -> list[int]:
    """Give n photos waiting for a box a box, as a reviewer accepting proposals would."""
    store = ProjectStore.open(folder)
    try:
        photos = store.photos(status="needs_box")[:n]
        for p in photos:
            store.set_box(p.id, BoundingBox(12, 10, 244, 160), source="proposed")
        return [p.id for p in photos]
    finally:
        store.close()


def started_kinds(window) -> list[str]:
    """Every kind of job the window starts from now on."""
    kinds: list[str] = []
    start = window.pool.start
    window.pool.start = lambda kind, worker: kinds.append(kind) or start(kind, worker)
    return kinds


def codes(result) -> set[str]:
    return {c.code for c in result.candidates if not c.is_new}


def open_and_wait(qtbot, window, folder, ids):
    assert window.open_project(str(folder))
    plan = window.controller.ahead.plan
    qtbot.waitUntil(lambda: all(plan.has_ranking(i) and i in window.controller.results for i in ids),
                    timeout=MATCH_TIMEOUT)
    return plan


def test_a_precomputed_photo_shows_its_candidates_without_a_match_job(qtbot, window, demo_project):
    ids = boxed(demo_project)
    open_and_wait(qtbot, window, demo_project, ids)
    assert window.store.candidates(ids[2]), "rankings computed ahead are recorded like any other"
    kinds = started_kinds(window)
    assert window.queue.select(ids[2])
    assert window.controller.photo_id == ids[2]
    # drawn at the next event-loop turn (one turn per repaint keeps the window responsive)
    qtbot.waitUntil(lambda: bool(window.review.cards) and window.review.result is window.controller.results[ids[2]],
                    timeout=1000)
    assert "match" not in kinds and "Matching" not in window.review.progress.format()


def test_a_box_edit_ranks_that_photo_again_and_no_other(qtbot, window, demo_project):
    ids = boxed(demo_project)
    plan = open_and_wait(qtbot, window, demo_project, ids)
    assert window.queue.select(ids[1])
    before = dict(window.controller.results)
    window.editor.set_box(BoundingBox(30, 20, 230, 150))
    assert ids[1] not in window.controller.results  # its old ranking is gone at once
    qtbot.waitUntil(lambda: ids[1] in window.controller.results, timeout=60_000)
    assert window.controller.results[ids[1]] is not before[ids[1]] and plan.has_ranking(ids[1])
    assert window.review.result is window.controller.results[ids[1]] and window.review.cards
    for other in (ids[0], ids[2]):
        assert window.controller.results[other] is before[other]


def test_a_confirm_refreshes_the_rankings_it_affects_and_the_next_photo_is_ready(qtbot, window, demo_project, in_process_engine):
    ids = boxed(demo_project, 4)
    plan = open_and_wait(qtbot, window, demo_project, ids)
    assert window.queue.select(ids[0])
    top = window.review.selected()
    assert top is not None and not top.is_new
    old = dict(window.controller.results)
    affected = [i for i in ids[1:] if top.code in codes(old[i])]
    untouched = [i for i in ids[1:] if i not in affected]
    assert affected, "the demo's rankings list most of its six individuals"
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_C)
    # The next photo is on screen with its stored candidates at once (no refit, no match job) ...
    nxt = window.controller.photo_id
    assert nxt in ids[1:]
    # never the confirmed photo's cards under the next photo, not even for one turn
    assert window.review.result is None or window.review.result.photo_id == nxt
    qtbot.waitUntil(lambda: bool(window.review.cards) and window.review.result is old[nxt], timeout=1000)
    window.controller.finish_decisions()  # the confirm is recorded in a worker; once it is, ...
    assert all(plan.is_stale(i) for i in affected)
    if nxt in affected:
        assert "Refreshing" in window.review.message.text()
    # ... and the stale rankings are refreshed in the background, against the grown catalog.
    qtbot.waitUntil(lambda: all(not plan.is_stale(i) and window.controller.results[i] is not old[i]
                                for i in affected), timeout=60_000)
    assert all(window.controller.results[i] is old[i] for i in untouched)
    assert all(window.controller.results[i].catalog_photos == old[i].catalog_photos + 1 for i in affected)
    if nxt in affected:
        assert window.review.result is window.controller.results[nxt] and "Refreshing" not in window.review.message.text()
    followed = [m for (folder, *_rest), (_model, m, _sig, _note) in match_photos._MATCHERS.items()
                if folder == str(demo_project)]
    assert followed and getattr(followed[0], "followed_changes", 0) >= 1  # grown, not prepared again


def test_at_opening_the_first_rows_thumbnails_come_before_the_first_ranking_and_the_rest_after(
        qtbot, window, demo_project, monkeypatch):
    from whaleid_gui.gui import review_controller, review_matching

    monkeypatch.setattr(review_controller, "FIRST_THUMBNAILS", 2)
    # a new engine process: the first ranking loads torch and the model there (seconds), the two
    # thumbnails take milliseconds
    engine_process.shared().shutdown()
    ids = boxed(demo_project)
    arrived: list[float] = []
    drawn: list[float] = []
    rest: list[float] = []
    c = window.controller
    ranking_arrived, set_result, start = c.ranking_arrived, window.review.set_result, window.pool.start
    monkeypatch.setattr(c, "ranking_arrived", lambda: arrived.append(time.monotonic()) or ranking_arrived())
    monkeypatch.setattr(window.review, "set_result", lambda *a: drawn.append(time.monotonic()) or set_result(*a))
    monkeypatch.setattr(window.pool, "start", lambda kind, w: (kind == "thumbnails-rest" and rest.append(
        time.monotonic())) or start(kind, w))
    assert window.open_project(str(demo_project))
    q, c = window.queue, window.controller
    first_two = q.visible_ids()[:2]
    qtbot.waitUntil(lambda: all(q.thumbnail(i) is not None for i in first_two), timeout=20_000)
    if not c.results:  # still preparing: the other rows wait for it
        assert all(q.thumbnail(i) is None for i in q.visible_ids()[2:])
    qtbot.waitUntil(lambda: bool(c.results), timeout=MATCH_TIMEOUT)
    qtbot.waitUntil(lambda: all(q.thumbnail(i) is not None for i in q.visible_ids()), timeout=20_000)
    assert len(q.visible_ids()) > 2 and set(ids) <= set(q.visible_ids())
    # and the rest start once the first ranking's cards are drawn, not beside that drawing
    assert arrived and drawn and rest and rest[0] > drawn[0]
    # (a coarse Qt timer, QTimer.singleShot's kind here, may fire up to 5% early)
    assert rest[0] - arrived[0] >= 0.95 * review_matching.REST_OF_THUMBNAILS_AFTER_MS / 1000 - 0.01


def test_opening_draws_the_list_in_one_event_loop_turn_and_the_first_photo_in_the_next(qtbot, window, demo_project):
    """Together they stalled the loop for 150-250 ms at a 1,000-photo project's opening (issue 15)."""
    boxed(demo_project)
    assert window.open_project(str(demo_project))
    first = window.queue.current_id()
    assert first is not None and len(window.queue.visible_ids()) > 3
    assert window.controller.photo_id is None  # not shown yet: the loop gets its turn first
    qtbot.waitUntil(lambda: window.controller.photo_id == first, timeout=2000)


def test_the_first_photos_ranking_started_before_it_was_shown_is_the_one_shown(qtbot, window, demo_project, monkeypatch):
    """The queue claims the first photo as the project opens; showing it a turn later must not drop
    that ranking and match it again (a second of the first candidates on two cores)."""
    from whaleid_gui.application.match_ahead import MatchPlan

    verdicts: list[tuple[int, str]] = []
    deliver = MatchPlan.deliver
    monkeypatch.setattr(MatchPlan, "deliver", lambda plan, claim, result: verdicts.append(
        (claim.photo_id, v := deliver(plan, claim, result))) or v)
    boxed(demo_project)
    assert window.open_project(str(demo_project))
    first = window.queue.current_id()
    qtbot.waitUntil(lambda: first in window.controller.results, timeout=MATCH_TIMEOUT)
    assert [v for pid, v in verdicts if pid == first] == ["fresh"]


def test_a_catalog_page_edit_ranks_again_in_the_background_what_it_touched(qtbot, window, demo_project):
    """The catalog page's edits: notes change no ranking; a merge or rename of an individual drops
    the rankings that list it (a merged-away individual must not stay on a card) and the queue ranks
    those photos again before they are opened; an edit that cannot say what it touched, all."""
    ids = boxed(demo_project, 4)
    open_and_wait(qtbot, window, demo_project, ids)
    results = window.controller.results
    old = dict(results)
    window._on_catalog_changed(set())  # notes saved, a new individual without photos
    assert all(results[i] is old[i] for i in ids)

    shown = window.controller.photo_id
    code = next(c.code for c in old[shown].candidates if not c.is_new)
    affected = [i for i in ids if code in codes(old[i])]
    window.catalog.changed.emit({code})  # what a merge or rename of that individual emits
    assert all(i not in results for i in affected)
    assert all(results[i] is old[i] for i in ids if i not in affected)
    assert not window.review.cards and "Matching" in window.review.progress.format()
    qtbot.waitUntil(lambda: all(i in results for i in ids) and bool(window.review.cards), timeout=MATCH_TIMEOUT)

    again = dict(results)
    window._on_catalog_changed(None)
    qtbot.waitUntil(lambda: all(i in results and results[i] is not again[i] for i in ids), timeout=MATCH_TIMEOUT)


def test_another_reviewers_confirm_refreshes_the_rankings_that_list_that_individual(qtbot, window, demo_project):
    ids = boxed(demo_project, 4)
    plan = open_and_wait(qtbot, window, demo_project, ids)
    window.catalog_poll.poll()  # its first look: what is in the catalog now is in the rankings
    decided = next(i for i in ids if i != window.controller.photo_id)
    old = dict(window.controller.results)
    top = next(c for c in old[decided].candidates if not c.is_new)
    affected = [i for i in ids if i != decided and top.code in codes(old[i])]
    assert affected, "the demo's rankings list most of its six individuals"
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        version, _ = bob.decision_state(decided)
        bob.decide(decided, "confirmed", individual_id=bob.individual_by_code(top.code).id, expected_version=version)
    finally:
        bob.close()
    window.catalog_poll.poll()  # what its timer does every few seconds
    assert all(plan.is_stale(i) for i in affected)
    qtbot.waitUntil(lambda: all(not plan.is_stale(i) and window.controller.results[i] is not old[i]
                                for i in affected), timeout=60_000)
    assert all(window.controller.results[i].catalog_photos == old[i].catalog_photos + 1 for i in affected)
    before = window.store.change_count()
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        bob.set_notes(bob.individual_by_code(top.code).id, "seen at sea")  # a change the poll sees ...
    finally:
        bob.close()
    assert window.store.change_count() != before
    window.catalog_poll.poll()  # ... with bob's confirm among the last decisions the store names again
    assert not any(plan.is_stale(i) for i in affected)  # followed once


def test_the_queue_records_the_ranking_of_the_photo_on_screen_and_the_window_does_not_again(qtbot, window, demo_project):
    """The queue records every ranking on its own connection; the window wrote the one on screen a
    second time, a write transaction on the GUI thread that also told the catalog's poll of a change
    (issue 15)."""
    boxed(demo_project)
    assert window.open_project(str(demo_project))
    first = window.queue.current_id()
    writes: list[str] = []
    window.store.connection.connection.driver_connection.set_trace_callback(
        lambda sql: writes.append(sql) if "candidates" in sql and sql.lstrip().startswith(("INSERT", "DELETE")) else None)
    qtbot.waitUntil(lambda: window.review.result is not None and window.review.result.photo_id == first
                    and bool(window.review.cards), timeout=MATCH_TIMEOUT)
    assert [c.code for c in window.store.candidates(first)] == [c.code for c in window.review.result.candidates]
    assert writes == []


def test_the_queue_reads_the_catalog_on_one_connection_for_all_its_photos(demo_project, engine, monkeypatch, in_process_engine):
    """Each photo opened a store of its own (70 ms of Python, and an engine's reference cycles left
    for the GUI thread's collector, issue 15): the queue keeps one read-only store and closes it."""
    from whaleid_gui.application.match_ahead import MatchPlan, Precomputed, match_ahead_job

    ids = boxed(demo_project)
    opened: list = []
    real_open = ProjectStore.open

    def counted(folder, *args, **kwargs):
        store = real_open(folder, *args, **kwargs)
        opened.append(store)
        return store

    monkeypatch.setattr(ProjectStore, "open", counted)
    plan = MatchPlan()
    plan.set_engine(engine)
    plan.set_order(ids)
    job = match_ahead_job(demo_project, plan)
    ranked = []
    while len(ranked) < len(ids):
        event = next(job)
        if isinstance(event, Precomputed):
            ranked.append(event.claim.photo_id)
    job.close()
    assert sorted(ranked) == sorted(ids)
    assert len(opened) == 1 and opened[0].read_only
    with pytest.raises(CatalogError, match="closed"):
        opened[0].photo(ids[0])  # closed with the queue


def test_a_box_moved_elsewhere_while_its_photo_is_ranked_is_ranked_again(demo_project, engine):
    """Another reviewer replaces the box after the queue read it: that ranking is not delivered,
    the photo is ranked again on the new box."""
    from whaleid_gui.application.match_ahead import AheadProgress, MatchPlan, Precomputed, match_ahead_job

    ids = boxed(demo_project, 1)
    plan = MatchPlan()
    plan.set_engine(engine)
    plan.set_order(ids)
    job = match_ahead_job(demo_project, plan)
    event = next(job)
    while not (isinstance(event, AheadProgress) and event.photo_id == ids[0]):
        event = next(job)  # the queue has read the photo's box and is ranking it
    bob = ProjectStore.open(demo_project, user="bob")
    try:
        moved = bob.set_box(ids[0], BoundingBox(20, 16, 200, 150), source="manual")
    finally:
        bob.close()
    delivered = []
    while not delivered:
        event = next(job)
        if isinstance(event, Precomputed):
            delivered.append(event.result)
    job.close()
    assert delivered[0].photo_id == ids[0] and delivered[0].box_id == moved.id


def test_the_next_photos_candidates_come_with_their_photos_made_ahead(qtbot, window, demo_project):
    ids = boxed(demo_project)
    open_and_wait(qtbot, window, demo_project, ids)
    c, queue = window.controller, window.queue
    before = next(q for q in queue.visible_ids() if q != ids[1] and queue.next_pending(q) == ids[1])
    assert queue.select(before)
    # a moment after a photo is shown, the next one's pixels and its candidates' photos are made
    kept = c.candidates.thumbs._kept
    wanted = [card_key(x) for x in c.results[ids[1]].candidates if not x.is_new and x.image is not None]
    assert wanted
    qtbot.waitUntil(lambda: all(k in kept for k in wanted), timeout=20_000)
    kinds = started_kinds(window)
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_J)  # skip: the photo a skip leads to is the one made ahead
    qtbot.waitUntil(lambda: bool(window.review.cards) and window.review.result is c.results[ids[1]], timeout=5000)
    cards = [card for card in window.review.cards if not card.candidate.is_new]
    assert cards and all(not card.thumb.pixmap().isNull() for card in cards)  # drawn with the cards
    for card in cards:  # each card its own candidate's photo
        own = kept[card_key(card.candidate)]
        expected = QPixmap.fromImage(own).scaled(CARD_THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        assert card.thumb.pixmap().toImage() == expected.toImage()
    assert not any(k.startswith("candidate-thumbs") for k in kinds)  # no decode after the key press
