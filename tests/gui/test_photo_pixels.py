"""The next photo's pixels are loaded while the reviewer looks at this one (issue 15): the key
press shows them without a decode of its own, and only while they are still the photo's."""

from __future__ import annotations

from PySide6.QtCore import Qt

from whaleid_gui.application.review_session import BoxState
from whaleid_gui.core.boxes import BoundingBox


def _open_and_wait_for_the_next(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    c, ed = window.controller, window.editor
    qtbot.waitUntil(lambda: ed.has_image(), timeout=20_000)
    # a moment after the photo is shown, the one a skip or a confirm leads to is loaded
    qtbot.waitUntil(lambda: "view" in c.pixels._kept, timeout=20_000)
    nxt = c.pixels._next[0]
    assert nxt == window.queue.next_pending(c.photo_id) and nxt != c.photo_id
    return c, ed, nxt


def test_the_next_photo_is_loaded_ahead_and_shown_from_there(qtbot, window, demo_project):
    c, ed, nxt = _open_and_wait_for_the_next(qtbot, window, demo_project)
    ahead = c.pixels._kept["view"][0]
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_J)  # skip: the next photo
    qtbot.waitUntil(lambda: c.photo_id == nxt and ed.has_image(), timeout=20_000)
    assert ed._original is ahead  # the pixels loaded ahead, not a decode after the key
    width, height = ed.image_size
    assert (width, height) == (ahead.width(), ahead.height())  # the demo's photos are small: as they are


def test_a_box_changed_since_keeps_the_photo_loaded_ahead_and_crops_the_new_box(qtbot, window, demo_project):
    from whaleid_gui.application import photo_display

    c, ed, nxt = _open_and_wait_for_the_next(qtbot, window, demo_project)
    ahead = c.pixels._kept["view"][0]
    moved = BoundingBox(2, 3, 40, 30)
    window.store.set_box(nxt, moved, source="manual")  # e.g. another reviewer, or an import
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: c.photo_id == nxt and ed.has_image(), timeout=20_000)
    assert ed._original is ahead and ed.box == moved  # the pixels do not depend on the box
    # the query crop is the new box's, not the one loaded ahead
    expected = photo_display.crop_rgb(window.store.photo(nxt).path, moved, max_side=800)
    query = window.compare
    qtbot.waitUntil(lambda: query._query_image is not None
                    and (query._query_image.height(), query._query_image.width()) == expected.shape[:2], timeout=20_000)


def test_zooming_in_past_the_pixels_shown_brings_the_photos_own(qtbot, window, demo_project, monkeypatch):
    """A field camera's photo is shown at screen size; at 1:1 the notches must be its own pixels."""
    from whaleid_gui.application import photo_display

    monkeypatch.setattr(photo_display, "VIEW_MIN_SIDE", 32)  # the demo's photos play large ones
    monkeypatch.setattr(photo_display, "VIEW_MAX_SIDE", 64)
    assert window.open_project(str(demo_project))
    ed = window.editor
    qtbot.waitUntil(lambda: ed.has_image(), timeout=20_000)
    width, height = ed.image_size
    assert ed._original.width() < width
    box, zoom = ed.box, None
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_1)  # Actual size
    zoom = ed.zoom_factor()
    qtbot.waitUntil(lambda: (ed._original.width(), ed._original.height()) == (width, height), timeout=20_000)
    assert ed.image_size == (width, height) and ed.box == box and ed.zoom_factor() == zoom == 1.0
    shown = ed.displayed_image()
    assert (shown.width(), shown.height()) == (width, height)


def test_a_crop_arriving_after_its_box_was_deleted_is_not_shown(qtbot, window, demo_project):
    c, ed, nxt = _open_and_wait_for_the_next(qtbot, window, demo_project)
    window.store.set_box(nxt, BoundingBox(2, 3, 40, 30), source="manual")  # its crop: a worker's, not ahead
    window.activateWindow()
    qtbot.keyClick(window.editor, Qt.Key.Key_J)
    assert c.photo_id == nxt and c.session.photo_state.box is not None
    ed.state_changed.emit(BoxState())  # the box deleted before its crop arrived (no event has run since the key)
    qtbot.waitUntil(lambda: not window.pool.running("query-crop"), timeout=20_000)
    qtbot.wait(300)  # the crop's result, had it been taken, is drawn by now
    assert c.session.photo_state.box is None and window.store.box(nxt) is None
    assert window.compare._query_image is None and window.review.query_view.pixmap().isNull()
