"""Errors shown in place: unreadable photo, failing worker, project in use elsewhere, quit while busy."""

from __future__ import annotations

import subprocess
import sys
import time

from whaleid_gui.application import match_photos
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.core.progress import Progress


def test_unreadable_photo_message_in_place_and_queue_goes_on(qtbot, window, demo_project, tmp_path):
    # A photo that was fine at import and is damaged on disk later (a bad card, a sync tool).
    from PIL import Image

    store = ProjectStore.open(demo_project)
    bad = tmp_path / "broken.jpg"
    Image.new("RGB", (120, 80), (30, 60, 90)).save(bad)
    added = store.add_photo(bad)
    store.close()
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert window.open_project(str(demo_project))
    window.queue.set_status_filter(None)
    assert window.queue.select(added.id)
    qtbot.waitUntil(lambda: "cannot be read" in window.review.message.text(), timeout=10_000)
    assert "broken.jpg" in window.review.message.text()
    assert not window.editor.has_image()
    # the queue goes on
    window.act_next.trigger()
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=10_000)


def test_failing_worker_shows_reason_and_app_stays_usable(qtbot, window, demo_project, monkeypatch, in_process_engine):
    def broken(*_a, **_k):
        raise RuntimeError("weights file is corrupt")
        yield  # pragma: no cover

    monkeypatch.setattr(match_photos, "match_photo", broken)
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=10_000)
    window.editor.set_box(BoundingBox(10, 10, 200, 120))
    qtbot.waitUntil(lambda: "corrupt" in window.review.message.text(), timeout=10_000)
    assert window.review.retry_button.isVisible()
    # still usable: the next photo loads, and skipping records a decision
    pid = window.controller.photo_id
    window.controller.skip()
    assert [d.decision for d in window.store.decisions(pid)] == ["skipped"]


def test_project_in_use_elsewhere_opens_read_only_with_banner(qtbot, window, demo_project):
    code = ("import sys, time; from whaleid_gui.core.catalog import ProjectStore; "
            "s = ProjectStore.open(sys.argv[1]); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(demo_project)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert window.open_project(str(demo_project))
        assert window.store.read_only
        assert window.banner.isVisible() and "Read-only" in window.banner.text()
        assert not window.review.new_button.isEnabled()
        assert not window.act_import.isEnabled()
    finally:
        holder.kill()
        holder.wait()


def test_closing_while_work_runs_asks_cancels_and_waits(qtbot, window, demo_project, monkeypatch):
    def slow(*_a, **_k):
        for i in range(10_000):
            time.sleep(0.01)
            yield Progress(i, 10_000, "working")

    assert window.open_project(str(demo_project))
    questions = []
    window.ask = lambda title, text: questions.append(text) or False
    w = window.run_job("import", "Importing photos", slow)
    qtbot.waitUntil(lambda: w.is_running())
    window.close()
    assert questions and "import" in questions[0]
    assert w.is_running() and window.isVisible()  # said no: nothing stops
    window.ask = lambda title, text: True
    window.close()
    assert not w.is_running() and w.cancelled


def test_new_individual_says_why_no_code_is_suggested(qtbot, window, demo_project, monkeypatch):
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=20_000)

    def broken(*_a, **_k):
        raise RuntimeError("individuals table is locked")

    monkeypatch.setattr(window.store, "next_free_code", broken)
    window.controller.begin_new_individual()
    assert "individuals table is locked" in window.review.message.text()
    assert "individuals table is locked" in window.statusBar().currentMessage()
    assert window.review.new_bar.isVisibleTo(window.review)  # a code can still be typed


def test_another_project_shows_none_of_the_last_ones_thumbnails_or_unreadable_marks(qtbot, window, tmp_path):
    """Photo numbers start at 1 in every project: photo 1 unreadable in one project must not be
    shown unreadable, or with the other's thumbnail, in the next."""
    from PIL import Image
    from PySide6.QtGui import QColor

    def project(name, colour, broken=False):
        photo = tmp_path / f"{name}.jpg"
        Image.new("RGB", (120, 80), colour).save(photo)
        with ProjectStore.create(tmp_path / name, user="tester") as store:
            assert store.add_photo(photo).id == 1
        if broken:
            photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        return tmp_path / name

    def row():
        window.queue.set_status_filter(None)
        return window.queue.list.item(window.queue.visible_ids().index(1))

    assert window.open_project(str(project("first", (200, 30, 30), broken=True)))
    qtbot.waitUntil(lambda: "unreadable" in row().text(), timeout=10_000)
    assert window.open_project(str(project("second", (30, 200, 30))))
    qtbot.waitUntil(lambda: window.queue.has_thumbnail(1), timeout=10_000)
    assert "unreadable" not in row().text() and "second.jpg" in row().toolTip()
    image = window.queue.thumbnail(1).toImage()
    green = QColor(image.pixel(image.width() // 2, image.height() // 2))
    assert green.green() > 150 and green.red() < 80
