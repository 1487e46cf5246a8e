"""A large project's photo list is read in a worker (gui/queue_reader.py, issue 15): the window
stays responsive while 10,000 rows are read, the list and the first photo follow, edits made
while it was read are laid over it, a read replaced by a newer one still has its follow-up run,
and a list the worker cannot read is read on the GUI thread. The demo project (a few dozen photos)
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


def test_edits_made_while_the_list_is_read_are_laid_over_it_not_lost(qtbot, window, demo_project, monkeypatch):
    """A confirm marks its photo done in the queue before a worker records it, so the store cannot
    be read again for it: the edits made meanwhile are laid over the rows that arrive. At the
    opening they wait for the list instead of making a queue of the edited rows alone."""
    from dataclasses import replace

    monkeypatch.setattr(queue_reader, "READ_IN_WORKER_ABOVE", 10)
    kinds = started_kinds(window)
    assert window.open_project(str(demo_project))
    with ProjectStore.open(demo_project, read_only=True) as store:
        rows = store.photos()
    first = replace(rows[0], quality="poor")  # a change the store does not have (yet)
    window.queue.update_photos([first])  # before the rows can arrive: they come through this loop
    assert window.queue.all_photos() == []  # not a queue of the one edited row
    qtbot.waitUntil(lambda: len(window.queue.all_photos()) == len(rows), timeout=30_000)
    assert kinds.count("queue list") == 1
    assert next(p for p in window.queue.all_photos() if p.id == first.id).quality == "poor"
    # Later reads too: an edit during a refresh survives the refresh.
    second = replace(rows[1], comment="seen from the boat")
    window.controller.refresh_queue()
    window.queue.update_photos([second])
    qtbot.waitUntil(lambda: kinds.count("queue list") == 2 and not window.pool.running("queue list"),
                    timeout=30_000)
    qtbot.waitUntil(lambda: next(p for p in window.queue.all_photos() if p.id == second.id).comment
                    == "seen from the boat", timeout=10_000)
    with ProjectStore.open(demo_project, read_only=True) as store:
        assert store.photo(first.id).quality is None  # the test changed the queue only
    assert window.last_error is None


def test_a_read_replaced_by_a_newer_one_still_has_its_follow_up_run_once(qtbot, window, demo_project, monkeypatch):
    monkeypatch.setattr(queue_reader, "READ_IN_WORKER_ABOVE", 10)
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=30_000)
    calls: list[str] = []
    window.controller.refresh_queue(listed=lambda: calls.append("import"))  # e.g. an import's reload
    window.controller.refresh_queue(listed=lambda: calls.append("poll"))  # a newer read replaces it
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=30_000)
    assert sorted(calls) == ["import", "poll"]
    qtbot.wait(200)  # no third call comes
    assert len(calls) == 2 and window.last_error is None


def test_a_list_that_cannot_be_read_in_the_background_is_read_here(qtbot, window, demo_project, monkeypatch):
    monkeypatch.setattr(queue_reader, "READ_IN_WORKER_ABOVE", 10)

    def unreachable(folder):
        raise OSError("the catalog's server closed the connection")

    monkeypatch.setattr(queue_reader, "photo_list", unreachable)
    with ProjectStore.open(demo_project, read_only=True) as store:
        expected = {p.id for p in store.photos()}
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=30_000)
    assert {p.id for p in window.queue.all_photos()} == expected and window.last_error is None
