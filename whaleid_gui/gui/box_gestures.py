"""The box editor's mouse: left-drag draws a box, drags it by its inside or resizes it by a
handle; right-, middle- or Shift-drag pans. A gesture shows a live box and commits one edit when
the button is released (BoxEditor._commit: one undo step, one state_changed).

A mixin of BoxEditor (a QGraphicsView): it uses the editor's state (_state, _image_size,
_read_only, _live_box) and its _commit / _refresh_items; the geometry is in box_geometry.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt

from whaleid_gui.gui.box_geometry import HANDLES, drawn_box, handle_point, moved_box, resized_box

HANDLE_PX = 9  # handle size on screen, independent of zoom
CURSORS = {
    "tl": Qt.CursorShape.SizeFDiagCursor, "br": Qt.CursorShape.SizeFDiagCursor,
    "tr": Qt.CursorShape.SizeBDiagCursor, "bl": Qt.CursorShape.SizeBDiagCursor,
    "t": Qt.CursorShape.SizeVerCursor, "b": Qt.CursorShape.SizeVerCursor,
    "l": Qt.CursorShape.SizeHorCursor, "r": Qt.CursorShape.SizeHorCursor,
}


def _xy(p: QPointF) -> tuple[float, float]:
    return p.x(), p.y()


class BoxGestures:
    """Mouse handling of the box editor (see the module's docstring)."""

    def _reset_gesture(self) -> None:
        self._mode: str | None = None  # "draw" | "move" | "resize" | "pan"
        self._press_scene = QPointF()
        self._press_view = QPointF()
        self._press_box = None
        self._handle: str | None = None
        self._live_box = None

    def handle_at(self, view_pos: QPointF) -> str | None:
        """The handle under a view position (hit area a little larger than drawn)."""
        box = self._state.box
        if box is None or self._read_only:
            return None
        for name in HANDLES:
            hp = self.mapFromScene(QPointF(*handle_point(box, name)))
            if abs(hp.x() - view_pos.x()) <= HANDLE_PX and abs(hp.y() - view_pos.y()) <= HANDLE_PX:
                return name
        return None

    def handle_view_pos(self, name: str) -> QPointF:
        """Where a handle of the current box is in view coordinates (tests drive the mouse)."""
        assert self._state.box is not None
        return QPointF(self.mapFromScene(QPointF(*handle_point(self._state.box, name))))

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        self._press_view = pos
        self._press_scene = self.mapToScene(pos.toPoint())
        button = event.button()
        pan = (button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton)
               or (button == Qt.MouseButton.LeftButton
                   and event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        if pan:
            self._mode = "pan"
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button != Qt.MouseButton.LeftButton or not self.has_image() or self._read_only:
            super().mousePressEvent(event)
            return
        handle = self.handle_at(pos)
        box = self._state.box
        if handle is not None:
            self._mode, self._handle, self._press_box = "resize", handle, box
        elif box is not None and QRectF(box.x0, box.y0, box.width, box.height).contains(self._press_scene):
            self._mode, self._press_box = "move", box
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
        else:
            self._mode = "draw"
        self._live_box = None
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._mode is None:
            self._update_hover_cursor(pos)
            super().mouseMoveEvent(event)
            return
        scene = self.mapToScene(pos.toPoint())
        if self._mode == "pan":
            d = pos - self._press_view
            self._press_view = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
        elif self._mode == "draw":
            self._live_box = drawn_box(_xy(self._press_scene), _xy(scene), self._image_size)
            self._refresh_items()
        elif self._mode == "move" and self._press_box is not None:
            self._live_box = moved_box(self._press_box, scene.x() - self._press_scene.x(),
                                        scene.y() - self._press_scene.y(), self._image_size)
            self._refresh_items()
        elif self._mode == "resize" and self._press_box is not None:
            self._live_box = resized_box(self._press_box, self._handle, _xy(scene), self._image_size)
            self._refresh_items()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        mode, live = self._mode, self._live_box
        self._mode, self._live_box, self._handle = None, None, None
        self.viewport().unsetCursor()
        if mode == "draw" and live is not None:
            self._commit(replace(self._state, box=live))
            self.box_drawn.emit(live)
        elif mode == "move" and live is not None and live != self._press_box:
            self._commit(replace(self._state, box=live))
            self.box_moved.emit(live)
        elif mode == "resize" and live is not None and live != self._press_box:
            self._commit(replace(self._state, box=live))
            self.box_resized.emit(live)
        else:
            self._refresh_items()
        event.accept()

    def _update_hover_cursor(self, pos: QPointF) -> None:
        handle = self.handle_at(pos)
        if handle is not None:
            self.viewport().setCursor(CURSORS[handle])
        elif self.has_image() and not self._read_only:
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.viewport().unsetCursor()
