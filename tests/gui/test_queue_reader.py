"""A large project's photo list is read in a worker (gui/queue_reader.py, issue 15): the window
stays responsive while 10,000 rows are read, the list and the first photo follow, and rows read
before a decision edited the list are read again rather than drawn. The demo project (167 photos)
stands in for a large one by lowering the size above which the worker reads."""

from __future__ import annotations

from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.gui import queue_reader


def started_kinds(window) -> list[str]:
    kinds: list[str] = []
    start = window.pool.start
    window.pool.start = lambda kind, worker: kinds.append(kind) or start(kind, worker)
    return kinds


def test_a_large_projects_list_comes_from_a_worker_and_its_first_photo_follows(qtbot, window, demo_project,
                                                                             monkeypatch):
    monkeypatch.setattr(queue_reader, "READ_IN_WORKER_ABOVE", 10)
    with ProjectStore.open(demo_project, read_only=True) as store:
        expected = {p.id for p in store.photos()}
    kinds = started_kinds(window)
    assert window.open_project(str(demo_project))
    assert window.queue.all_photos() == []  # not read on the GUI thread
    assert "queue list" in kinds
    assert f"{len(expected)} photos" in window.statusBar().currentMessage()  # counted, not listed
    qtbot.waitUntil(lambda: {p.id for p in window.queue.all_photos()} == expected, timeout=30_000)
    first = window.queue.current_id()
    assert first is not None
    qtbot.waitUntil(lambda: window.controller.photo_id == first, timeout=10_000)
    assert window.last_error is None


def test_rows_read_before_a_decision_edited_the_list_are_read_again(qtbot, window, demo_project, monkeypatch):
    monkeypatch.setattr(queue_reader, "READ_IN_WORKER_ABOVE", 10)
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=30_000)
    pid = window.queue.all_photos()[0].id
    kinds = started_kinds(window)
    drawn: list[list] = []
    set_photos = window.queue.set_photos
    window.queue.set_photos = lambda rows, **kw: drawn.append(list(rows)) or set_photos(rows, **kw)
    window.controller.refresh_queue()  # e.g. another reviewer imported photos
    # Before its rows can arrive (they come through this thread's event loop), a decision edits
    # the list, with the store already changed, as a recorded decision does.
    changed = window.store.set_quality(pid, "poor")
    window.queue.update_photos([changed])
    qtbot.waitUntil(lambda: len(drawn) == 1, timeout=10_000)
    assert kinds.count("queue list") == 2  # the first rows predate the edit: read again, never drawn
    assert next(p for p in drawn[0] if p.id == pid).quality == "poor"
    assert next(p for p in window.queue.all_photos() if p.id == pid).quality == "poor"
    assert window.last_error is None
