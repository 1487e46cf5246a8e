"""Closing a project or the window while work runs: ask first, keep painting while waiting, and
never close over a job that did not stop."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QTimer

from whaleid_gui.workers import Worker


def slow_to_stop(seconds_after_cancel: float = 0.3):
    """A generator job that runs until cancelled and then takes a while to clean up."""
    try:
        while True:
            time.sleep(0.02)
            yield None
    finally:
        time.sleep(seconds_after_cancel)


def test_close_project_asks_before_stopping_training(qtbot, window, demo_project, tmp_path):
    assert window.open_project(str(demo_project))
    store = window.store
    asked = []
    window.ask = lambda title, text: asked.append(text) or False
    job = window.pool.start("training", Worker(slow_to_stop, name="training"))
    other = tmp_path / "other"
    assert window.new_project(str(other)) is False  # the user keeps the project open
    assert asked and "training" in asked[0] and "close the project" in asked[0]
    assert window.store is store and job.is_running() and not job.cancelled

    # Yes: the job is cancelled and waited for, with the window still processing events.
    window.ask = lambda title, text: True
    seen_busy = []
    QTimer.singleShot(50, lambda: seen_busy.append(window.pool.busy()))
    assert window.open_project(str(other))
    assert seen_busy == [True]  # the timer fired while the job was still stopping: no frozen GUI
    assert job.cancelled and job.wait(0)
    assert window.folder == other


def test_quit_keeps_the_window_open_while_a_job_does_not_stop(qtbot, window):
    release = threading.Event()
    job = window.pool.start("export", Worker(lambda: release.wait(30), name="export"))  # ignores cancel
    window.QUIT_WAIT_MS = 200
    try:
        assert window.close() is False
        assert window.isVisible() and job.is_running()
        assert "export" in window.last_error and "stays open" in window.last_error
    finally:
        release.set()
    assert job.wait(10_000)
    window.QUIT_WAIT_MS = 60000
    assert window.close() is True


def test_close_project_keeps_it_open_while_a_job_does_not_stop(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    release = threading.Event()
    job = window.pool.start("export", Worker(lambda: release.wait(30), name="export"))
    window.CLOSE_WAIT_MS = 200
    try:
        assert window.close_project() is False
        assert window.store is not None and "stays open" in window.last_error
    finally:
        release.set()
    assert job.wait(10_000)
    assert window.close_project() is True and window.store is None


def _until_cancelled(*_a, **_k):
    while True:
        time.sleep(0.02)
        yield None


def test_photo_and_catalog_imports_do_not_cancel_each_other(qtbot, window, demo_project, monkeypatch, tmp_path):
    from whaleid_gui.application import imports

    monkeypatch.setattr(imports, "import_photos", _until_cancelled)
    monkeypatch.setattr(imports, "import_catalog", _until_cancelled)
    assert window.open_project(str(demo_project))
    photos = window.import_paths([str(tmp_path)])
    catalog = window.import_catalog(str(tmp_path / "catalog.csv"))
    qtbot.wait(100)
    assert photos.is_running() and catalog.is_running()
    assert not photos.cancelled and not catalog.cancelled
    assert "cancelled" not in window.statusBar().currentMessage()
    # A second photo import replaces the first, and the status bar says so.
    again = window.import_paths([str(tmp_path)])
    assert photos.cancelled and not again.cancelled and not catalog.cancelled
    assert "Importing photos: cancelled" in window.statusBar().currentMessage()
    assert window.pool.shutdown(10_000)


def test_what_a_stopped_job_sent_last_reaches_the_project_it_belongs_to(qtbot, window, demo_project, tmp_path):
    """A job's last messages, queued when it ended just before the project closed, are delivered
    while that project is still open, never to the next one (whose photo numbers are the same)."""
    assert window.open_project(str(demo_project))
    first = window.store
    seen = []

    def one_message():
        yield "proposal for photo 1"

    assert window.stop_work(10_000)  # the project's own jobs stopped: nothing else lets the queue run
    job = Worker(one_message, name="probe")
    job.progress.connect(lambda message: seen.append((message, window.controller.session.store)))
    window.pool.start("probe", job)
    assert job.wait(5000)  # ended; its message waits in the event queue (no event loop ran)
    assert not seen
    assert window.new_project(str(tmp_path / "next"))
    assert seen == [("proposal for photo 1", first)]
