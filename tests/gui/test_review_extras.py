"""Review-screen extras: display-only brightness/contrast, per-photo quality and comment,
sibling photos of the same encounter."""

from __future__ import annotations

import hashlib

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from whaleid_gui.gui.display_adjust import adjust_image
from whaleid_gui.gui.box_editor import qimage_from_array


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    window.activateWindow()
    qtbot.keyClick(window.editor, k, mod)


def rgb(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    return arr.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3].copy()


def mean_grey(img: QImage) -> float:
    return float(rgb(img).mean())


def test_adjust_image_brightens_and_stretches():
    arr = np.full((4, 6, 3), 100, np.uint8)
    arr[:, 3:] = 140
    img = qimage_from_array(arr)
    assert adjust_image(img, 0, 0) is img  # identity: no copy
    brighter = adjust_image(img, 40, 0)
    assert mean_grey(brighter) > mean_grey(img) + 50
    stretched = adjust_image(img, 0, 50)  # x2 around mid-grey: 100 -> 72, 140 -> 152
    px = stretched.pixelColor(0, 0).red(), stretched.pixelColor(5, 0).red()
    assert px == (72, 152)
    assert img.pixelColor(0, 0).red() == 100  # the source image is untouched


def test_brightness_contrast_keys_display_only_and_reset_when_paging(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    ed, bar = window.editor, window.adjust
    first = window.controller.photo_id
    path = window.store.photo(first).path
    file_hash = hashlib.sha1(path.read_bytes()).hexdigest()
    before = mean_grey(ed.displayed_image())
    size = ed.image_size
    key(qtbot, window, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, window, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert bar.values() == (20, 0) and ed.adjustment() == (20, 0)
    assert mean_grey(ed.displayed_image()) > before + 10
    assert ed.image_size == size and window.controller.photo_id == first  # Ctrl+Up is not "previous candidate"
    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert bar.values() == (20, -10) and "+20 / -10" in bar.value_label.text()
    # the compare views get the same adjustment, on every image they show
    q = qimage_from_array(np.full((20, 40, 3), 90, np.uint8))
    window.compare.set_query(q, "Query")
    assert abs(mean_grey(window.compare.query.displayed_image()) - 90) > 5
    # display only: the file is unchanged, the store has nothing new
    assert hashlib.sha1(path.read_bytes()).hexdigest() == file_hash
    assert bar.reset_button.isEnabled() and bar.reset_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert bar.brightness.focusPolicy() == Qt.FocusPolicy.NoFocus
    # paging to another photo resets it
    key(qtbot, window, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: window.controller.photo_id != first, timeout=5_000)
    assert bar.values() == (0, 0) and ed.adjustment() == (0, 0) and not bar.reset_button.isEnabled()
    # the Reset button
    bar.step_brightness(-3)
    assert ed.adjustment() == (-30, 0)
    qtbot.mouseClick(bar.reset_button, Qt.MouseButton.LeftButton)
    assert ed.adjustment() == (0, 0) and window.compare.query._adjust == (0, 0)
    qtbot.waitUntil(lambda: ed.has_image(), timeout=20_000)
    assert np.array_equal(rgb(ed.displayed_image()), rgb(ed._original))


def test_quality_and_comment_saved_at_once_shown_again_and_filtered(qtbot, window, demo_project):
    from PySide6.QtWidgets import QApplication

    from whaleid_gui.core.catalog import ProjectStore

    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    r, store, q = window.review, window.store, window.queue
    first = window.controller.photo_id
    assert r.quality_box.isEnabled() and r.quality() is None and r.comment_edit.text() == ""
    assert r.quality_box.focusPolicy() == Qt.FocusPolicy.NoFocus
    # the combo: saved at once, shown in the queue
    r.quality_box.setCurrentIndex(r.quality_box.findData("poor"))
    assert store.photo(first).quality == "poor"
    assert "poor" in q.list.item(q.visible_ids().index(first)).text()
    # Q cycles it: poor -> unusable
    key(qtbot, window, Qt.Key.Key_Q)
    assert store.photo(first).quality == "unusable" and r.quality() == "unusable"
    # Ctrl+E: type a comment, Enter saves it and gives the keys back
    key(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert r.comment_edit.hasFocus() and not window.act_next.isEnabled()  # J types, does not page
    qtbot.keyClicks(r.comment_edit, "tail half out of frame")
    assert store.photo(first).comment is None  # nothing saved while typing
    qtbot.keyClick(r.comment_edit, Qt.Key.Key_Return)
    assert store.photo(first).comment == "tail half out of frame"
    assert QApplication.focusWidget() is not r.comment_edit and window.act_next.isEnabled()
    # Esc cancels an edit
    r.edit_comment()
    qtbot.keyClicks(r.comment_edit, " NOPE")
    qtbot.keyClick(r.comment_edit, Qt.Key.Key_Escape)
    assert r.comment_edit.text() == "tail half out of frame" and store.photo(first).comment == "tail half out of frame"
    # another photo shows its own (empty) flag and comment; coming back shows them again
    key(qtbot, window, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: window.controller.photo_id != first, timeout=5_000)
    second = window.controller.photo_id
    assert r.quality() is None and r.comment_edit.text() == ""
    # a comment being typed when the photo changes (a click in the queue) is saved for its photo
    r.edit_comment()
    qtbot.keyClicks(r.comment_edit, "blurry")
    q.select(first)
    assert store.photo(second).comment == "blurry"
    assert window.controller.photo_id == first
    assert r.quality() == "unusable" and r.comment_edit.text() == "tail half out of frame"
    # Hide unusable: the photo under review stays until you move on
    q.hide_unusable.setChecked(True)
    assert first in q.visible_ids()
    q.select(second)
    q.hide_unusable.setChecked(False)
    q.hide_unusable.setChecked(True)
    assert first not in q.visible_ids() and second in q.visible_ids()
    # unset clears it, and each change is its own committed transaction (another connection sees it)
    r.set_quality(None)
    r.edit_comment()
    r.comment_edit.clear()
    qtbot.keyClick(r.comment_edit, Qt.Key.Key_Return)
    other = ProjectStore.open(demo_project, read_only=True)
    try:
        assert other.photo(second).quality is None and other.photo(second).comment is None
        assert other.photo(first).quality == "unusable"
    finally:
        other.close()


def _row(i, date, survey, folder="/s/a", name=None):
    from pathlib import Path

    from whaleid_gui.core.catalog import PhotoRow

    return PhotoRow(i, Path(f"{folder}/{name or f'p{i}'}.jpg"), "s", None, 10, 10, date, None, None, None, survey,
                    "2024", "needs_box")


def test_encounter_siblings_by_survey_time_and_folder():
    from whaleid_gui.application.review_session import encounter_siblings

    q = _row(1, "2024-06-01T10:00:00", "S1")
    rows = [q, _row(2, "2024-06-01T11:59:00", "S1", "/s/b"),  # 1 h 59 later, other folder: yes
            _row(3, "2024-06-01T12:01:00", "S1"),  # 2 h 1 min later: no
            _row(4, "2024-06-01T08:30:00", "S1"),  # 1 h 30 earlier: yes
            _row(5, "2024-06-01T10:10:00", "S2"),  # another survey: no
            _row(6, None, "S1"),  # no date, same survey: yes (an explicit survey)
            _row(7, None, "S1", "/s/b")]  # no date, same survey, other folder: yes
    assert [p.id for p in encounter_siblings(q, rows)] == [4, 2, 6, 7]
    undated = _row(8, None, "S1")
    assert [p.id for p in encounter_siblings(undated, rows)] == [4, 1, 2, 3, 6, 7]  # the survey, by date
    nosurvey = _row(9, "2024-06-01T10:00:00", None)
    same_folder = _row(11, "2024-06-01T10:20:00", None)
    assert encounter_siblings(nosurvey, rows + [_row(10, "2024-06-01T10:30:00", None, "/x"), same_folder]) \
        == [same_folder]  # no survey: dated, same folder
    # no date and no survey: a shared folder alone is not an encounter
    assert encounter_siblings(_row(12, None, None), [_row(13, None, None), _row(14, None, None)]) == []


def test_sibling_strip_under_the_query_jumps_to_the_photo(qtbot, window, demo_project, tmp_path):
    from encounter_photos import add_encounter_photos

    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    r, store, c = window.review, window.store, window.controller
    first = store.photo(c.photo_id)
    # the demo's survey photos carry dates: each whale is one encounter, hours from the next
    assert first.taken_at and r.sibling_ids() == [] and "2 h" in r.siblings_label.text()
    expected = [p.id for p in add_encounter_photos(store, first, tmp_path / "more")]
    c.reload_photos()
    c.show_photo(first.id)
    assert len(expected) >= 2 and sorted(r.sibling_ids()) == expected
    assert r.siblings.isVisible() and "2 h" in r.siblings_label.text()
    assert r.siblings.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert r.siblings.geometry().top() > r.query_view.geometry().bottom()  # under the query
    qtbot.waitUntil(lambda: not r.siblings.item(0).icon().isNull(), timeout=20_000)  # the queue's thumbnails
    # a sibling the queue's filter hides: the click clears the filter and opens it
    target = r.sibling_ids()[-1]
    window.queue.update_photos([store.set_quality(target, "unusable")])
    window.queue.hide_unusable.setChecked(True)
    assert target not in window.queue.visible_ids() and c.photo_id == first.id
    item = r.siblings.item(r.siblings.count() - 1)
    r.siblings.scrollToItem(item)
    rect = r.siblings.visualItemRect(item)
    qtbot.mouseClick(r.siblings.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: c.photo_id == target, timeout=5_000)
    assert window.queue.current_id() == target and not window.queue.hide_unusable.isChecked()
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    assert first.id in r.sibling_ids() and target not in r.sibling_ids()


def test_a_photo_larger_than_the_screen_needs_comes_smaller_with_its_box_in_its_own_pixels(
        qtbot, window, demo_project, monkeypatch):
    """A field camera's photo is shown at screen size (decoded smaller: fast, and light on the GUI
    thread); its box, proposals and drawing stay in the photo's own pixels."""
    from whaleid_gui.application import photo_display
    from whaleid_gui.core.photo_files import image_size

    monkeypatch.setattr(photo_display, "VIEW_MIN_SIDE", 32)  # the demo's photos play large ones
    monkeypatch.setattr(photo_display, "VIEW_MAX_SIDE", 64)
    assert window.open_project(str(demo_project))
    ed = window.editor
    qtbot.waitUntil(lambda: ed.has_image(), timeout=20_000)
    photo = window.store.photo(window.controller.photo_id)
    width, height = image_size(photo.path)
    assert max(width, height) > 64
    assert 32 <= max(ed._original.width(), ed._original.height()) <= 64
    assert ed.image_size == (width, height)
    stored = window.store.box(photo.id)
    if stored is not None:
        assert ed.box == stored.box
    rect = ed._pixmap_item.sceneBoundingRect()  # the pixels cover the photo's whole extent
    assert abs(rect.width() - width) < 1 and abs(rect.height() - height) < 1


def test_sibling_strip_follows_the_encounter_in_place(qtbot):
    from PySide6.QtGui import QColor, QPixmap

    from whaleid_gui.gui.match_review import MatchReviewPanel

    panel = MatchReviewPanel()
    qtbot.addWidget(panel)
    pixmaps = {}
    for i in range(6):
        pixmaps[i] = QPixmap(24, 16)
        pixmaps[i].fill(QColor(40 * i, 90, 160))

    def show(query: int, order: list[int], done: set[int]) -> None:
        panel.set_siblings([(i, ("\u2713 " if i in done else "") + f"{i}", f"photo {i}")
                            for i in order if i != query], " (survey S)")
        for i in order:
            if i != query:
                panel.set_sibling_thumbnail(i, pixmaps[i])

    show(0, [0, 1, 2, 3, 4], set())
    photo_2 = panel.siblings.item(1)
    assert panel.sibling_ids() == [1, 2, 3, 4] and "4 other photos" in panel.siblings_label.text()
    show(1, [0, 1, 2, 3, 4], {0})  # the next photo: the previous one joins, marked done
    assert panel.sibling_ids() == [0, 2, 3, 4]
    assert [panel.siblings.item(r).text() for r in range(4)] == ["\u2713 0", "2", "3", "4"]
    assert panel.siblings.item(1) is photo_2  # its item kept, not made again
    assert all(not panel.siblings.item(r).icon().isNull() for r in range(4))
    assert panel.siblings.item(0).toolTip() == "photo 0"
    show(1, [4, 0, 5, 2], {0})  # a date corrected (new order), photo 3 gone, photo 5 new
    assert panel.sibling_ids() == [4, 0, 5, 2] and panel.siblings.count() == 4
    assert not panel.siblings.item(2).icon().isNull()
    panel.set_sibling_thumbnail(3, pixmaps[3])  # a thumbnail for a photo no longer shown: ignored
    assert panel.sibling_ids() == [4, 0, 5, 2]
    panel.set_siblings([], " (needs a date or a survey)")
    assert panel.sibling_ids() == [] and not panel.siblings.isVisibleTo(panel)
    assert "no other photos" in panel.siblings_label.text()
