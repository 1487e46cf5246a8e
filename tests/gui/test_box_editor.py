"""The box editor: draw with the mouse, move, resize, delete, undo/redo, zoom, proposal."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.gui.box_editor import BoxEditor, BoxState, qimage_from_array
from gestures import drag


def shown_editor(qtbot, view_w=600, view_h=400) -> BoxEditor:
    ed = BoxEditor()
    qtbot.addWidget(ed)
    ed.resize(view_w, view_h)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def make_editor(qtbot, w=400, h=200):
    ed = shown_editor(qtbot)
    img = np.full((h, w, 3), 90, np.uint8)
    ed.set_image(qimage_from_array(img))
    return ed


def view_point(ed, x, y) -> QPoint:
    return ed.mapFromScene(QPointF(x, y))


def test_draw_move_resize_delete_undo(qtbot):
    ed = make_editor(qtbot)
    states = []
    ed.state_changed.connect(states.append)
    with qtbot.waitSignal(ed.box_drawn) as sig:
        drag(qtbot, ed, view_point(ed, 50, 40), view_point(ed, 250, 140))
    box = sig.args[0]
    assert isinstance(box, BoundingBox)
    assert abs(box.x0 - 50) < 3 and abs(box.x1 - 250) < 3 and abs(box.y1 - 140) < 3

    with qtbot.waitSignal(ed.box_moved) as sig:
        drag(qtbot, ed, view_point(ed, 150, 90), view_point(ed, 170, 100))
    moved = sig.args[0]
    assert abs(moved.x0 - box.x0 - 20) < 3 and abs(moved.width - box.width) < 0.5

    br = ed.handle_view_pos("br").toPoint()
    with qtbot.waitSignal(ed.box_resized) as sig:
        drag(qtbot, ed, br, br + QPoint(-30, -10))
    assert sig.args[0].width < moved.width

    with qtbot.waitSignal(ed.box_deleted):
        ed.delete_box()
    assert ed.box is None
    assert ed.undo() and ed.box == sig.args[0]
    assert ed.undo() and ed.box == moved
    assert ed.redo() and ed.box == sig.args[0]
    assert len(states) == 7


def test_zoom_keeps_point_under_cursor_and_fit(qtbot):
    ed = make_editor(qtbot)
    ed.fit()
    anchor = QPointF(100, 80)
    before = ed.mapToScene(anchor.toPoint())
    z0 = ed.zoom_factor()
    ed.zoom_by(2.0, anchor)
    after = ed.mapToScene(anchor.toPoint())
    assert abs(ed.zoom_factor() - 2 * z0) < 1e-6
    assert abs(before.x() - after.x()) < 2 and abs(before.y() - after.y()) < 2
    ed.one_to_one()
    assert abs(ed.zoom_factor() - 1.0) < 1e-6


def test_rotate_flip_keep_photo_coordinates(qtbot):
    ed = make_editor(qtbot)
    ed.set_box(BoundingBox(10, 10, 100, 60))
    ed.rotate_180()
    ed.toggle_flip()
    assert ed.state == BoxState(BoundingBox(10, 10, 100, 60), 180, True)
    # Drawing in the rotated view still gives photo coordinates.
    ed.delete_box()
    with qtbot.waitSignal(ed.box_drawn) as sig:
        drag(qtbot, ed, view_point(ed, 300, 150), view_point(ed, 200, 50))
    b = sig.args[0]
    assert abs(b.x0 - 200) < 3 and abs(b.y1 - 150) < 3


def test_proposal_dashed_and_accepted_with_one_call(qtbot):
    ed = make_editor(qtbot)
    prop = BoundingBox(20, 20, 200, 120)
    ed.set_proposal(prop)
    assert ed._proposal_item.isVisible()
    assert ed._proposal_item.pen().style() == Qt.PenStyle.DashLine
    with qtbot.waitSignal(ed.proposal_accepted):
        assert ed.accept_proposal()
    assert ed.box == prop and ed.proposal is None


def test_unreadable_message(qtbot):
    ed = make_editor(qtbot)
    ed.show_message("photo.jpg: not an image")
    assert not ed.has_image() and "not an image" in ed._message.text()


def test_a_photo_shown_smaller_than_it_is_keeps_boxes_and_zoom_in_its_own_pixels(qtbot):
    """load_view_image gives a large photo's pixels at screen size; the box stays in the photo's."""
    ed = shown_editor(qtbot)
    ed.set_image(qimage_from_array(np.full((100, 200, 3), 90, np.uint8)), photo_size=(800, 400))
    assert ed.image_size == (800, 400)
    ed.set_box(BoundingBox(100, 50, 700, 350))
    with qtbot.waitSignal(ed.box_drawn) as sig:
        ed.delete_box()
        drag(qtbot, ed, view_point(ed, 200, 100), view_point(ed, 600, 300))
    box = sig.args[0]
    assert abs(box.x0 - 200) < 6 and abs(box.x1 - 600) < 6 and abs(box.y1 - 300) < 6  # photo pixels
    # fit shows the whole photo: its corners are inside the view, at its own size
    ed.fit()
    for x, y in ((0, 0), (800, 400)):
        assert ed.viewport().rect().adjusted(-2, -2, 2, 2).contains(view_point(ed, x, y))
    assert ed.zoom_factor() < 1.0  # 800 photo pixels into a 600 px view


def test_zooming_in_past_a_smaller_photos_pixels_asks_once_for_its_own_and_keeps_the_rest(qtbot):
    ed = shown_editor(qtbot, 300, 200)
    wanted = []
    ed.full_pixels_wanted.connect(lambda: wanted.append(1))
    ed.set_image(qimage_from_array(np.full((200, 400, 3), 90, np.uint8)), photo_size=(800, 400))
    assert wanted == []  # at fit one pixel shown covers less than one screen pixel
    ed.set_box(BoundingBox(100, 50, 700, 350))
    ed.one_to_one()
    assert wanted == [1]  # 1:1 would enlarge each pixel shown to two screen pixels
    ed.zoom_by(2.0)
    assert wanted == [1]  # asked once
    zoom = ed.zoom_factor()
    ed.set_full_pixels(qimage_from_array(np.full((400, 800, 3), 200, np.uint8)))
    assert ed.displayed_image().size().toTuple() == (800, 400) and ed.image_size == (800, 400)
    assert ed.box == BoundingBox(100, 50, 700, 350) and ed.zoom_factor() == zoom
    assert ed.undo()  # the box's history stays
    # a photo shown at its own size never asks
    ed.set_image(qimage_from_array(np.full((40, 80, 3), 90, np.uint8)))
    ed.one_to_one()
    ed.zoom_by(4.0)
    assert wanted == [1]
