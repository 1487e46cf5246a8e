"""The photo canvas: draw, move, resize and delete the fluke box; zoom, pan, rotate, flip.

The canvas keeps the box in pixels of the (EXIF-oriented) photo: the scene coordinates are
the photo's pixels, and rotation/flip are only a view transform, so the stored box never
depends on how the photo is shown. Every user edit emits a typed signal and, for the owner
that saves to the store, one ``state_changed(BoxState)``; undo/redo restore earlier states
and emit ``state_changed`` too. The mouse gestures are in box_gestures.py, their geometry in
box_geometry.py.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap, QTransform
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from whaleid_gui.application import photo_display
from whaleid_gui.application.review_session import BoxState
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.gui.box_geometry import HANDLES, handle_point
from whaleid_gui.gui.box_gestures import HANDLE_PX, BoxGestures
from whaleid_gui.gui.display_adjust import adjust_image

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.02, 40.0

# A photo shown smaller than it is (load_view_image) gets its own pixels once one pixel shown would
# cover more than this many screen pixels (zoomed in; 1:1): the notches sharp, not enlarged.
SHARP_LIMIT = 1.25

BOX_COLOR = QColor("#ffb000")
PROPOSAL_COLOR = QColor("#37c8ff")


def qimage_from_array(rgb) -> QImage:
    """A QImage that owns a copy of an (H, W, 3) uint8 array (safe after the array dies)."""
    import numpy as np

    arr = np.ascontiguousarray(rgb)
    if arr.ndim == 2:
        h, w = arr.shape
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8)
    else:
        h, w, _ = arr.shape
        img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    return img.copy()


def load_view_image(path: str, whole: bool = False) -> tuple[QImage, tuple[int, int]]:
    """Worker job: the box editor's photo (photo_display.load_view; whole: at its own size) as a
    QImage in the screen's own format, made here: a QPixmap takes it without a copy (a 6 MP
    RGB888 image: 9-10 ms of the GUI thread), and the photo's size."""
    view = photo_display.load_view(path, whole)
    return qimage_from_array(view.rgb).convertToFormat(QImage.Format.Format_RGB32), (view.width, view.height)


class BoxEditor(BoxGestures, QGraphicsView):
    box_drawn = Signal(object)  # BoundingBox
    box_moved = Signal(object)  # BoundingBox
    box_resized = Signal(object)  # BoundingBox
    box_deleted = Signal()
    orientation_changed = Signal(int, bool)  # rotation, flip
    proposal_accepted = Signal(object)  # BoundingBox
    state_changed = Signal(object)  # BoxState, after every edit, undo and redo
    zoom_changed = Signal(float)
    full_pixels_wanted = Signal()  # zoomed in past the pixels of a photo shown smaller (set_full_pixels)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("boxEditor")
        self._scene = QGraphicsScene(self)
        # a dozen items, most moved or hidden at every photo: a spatial index only costs (issue 15)
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(self._scene)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QBrush(QColor("#202326")))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 160)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._pixmap_item)
        self._message = QGraphicsSimpleTextItem()
        self._message.setBrush(QBrush(QColor("#f0f0f0")))
        self._scene.addItem(self._message)

        self._box_item = QGraphicsRectItem()
        self._box_item.setZValue(10)
        pen = QPen(BOX_COLOR, 2)
        pen.setCosmetic(True)
        self._box_item.setPen(pen)
        self._box_item.setBrush(QBrush(QColor(255, 176, 0, 28)))
        self._box_item.hide()
        self._scene.addItem(self._box_item)

        self._proposal_item = QGraphicsRectItem()
        self._proposal_item.setZValue(9)
        ppen = QPen(PROPOSAL_COLOR, 2, Qt.PenStyle.DashLine)
        ppen.setCosmetic(True)
        self._proposal_item.setPen(ppen)
        self._proposal_item.hide()
        self._scene.addItem(self._proposal_item)

        self._handle_items: dict[str, QGraphicsRectItem] = {}
        for name in HANDLES:
            item = QGraphicsRectItem()
            item.setZValue(11)
            item.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            hp = QPen(QColor("#202020"), 1)
            hp.setCosmetic(True)
            item.setPen(hp)
            item.setBrush(QBrush(BOX_COLOR))
            item.setRect(-HANDLE_PX / 2, -HANDLE_PX / 2, HANDLE_PX, HANDLE_PX)
            item.hide()
            self._scene.addItem(item)
            self._handle_items[name] = item

        self._image_size: tuple[int, int] = (0, 0)
        self._state = BoxState()
        self._proposal: BoundingBox | None = None
        self._undo: list[BoxState] = []
        self._redo: list[BoxState] = []
        self._read_only = False
        self._original: QImage | None = None  # the photo as loaded; the pixmap may be adjusted
        self._reduced = False  # shown smaller than it is, its own pixels not asked for yet
        self._adjust: tuple[int, int] = (0, 0)  # brightness, contrast (display only)
        self._reset_gesture()  # the mouse's drag state (box_gestures)

    # ----------------------------------------------------------------- content
    def set_image(self, image: QImage | None, state: BoxState | None = None,
                  proposal: BoundingBox | None = None, photo_size: tuple[int, int] | None = None) -> None:
        """Show a new photo with its stored box; clears undo history (it is per photo).
        photo_size: the photo's own size when `image` shows it smaller (load_view_image): the
        scene, boxes and zoom stay in the photo's pixels."""
        self._message.hide()
        if image is None or image.isNull():
            self._original = None
            self._pixmap_item.setPixmap(QPixmap())
            self._image_size = (0, 0)
        else:
            self._original = image
            self._pixmap_item.setPixmap(QPixmap.fromImage(adjust_image(image, *self._adjust)))
            self._image_size = photo_size or (image.width(), image.height())
            self._fit_pixels(image)
            self._reduced = self._image_size != (image.width(), image.height())
        self._pixmap_item.show()
        self._state = state or BoxState()
        self._proposal = proposal
        self._undo.clear()
        self._redo.clear()
        w, h = self._image_size
        m = max(w, h, 1)  # margin: lets zoom-under-cursor and pan reach the photo's edges
        self._scene.setSceneRect(QRectF(-m, -m, w + 2 * m, h + 2 * m))
        self._apply_view_transform()
        self._refresh_items()
        self.fit()

    def set_full_pixels(self, image: QImage) -> None:
        """The photo shown smaller, now at its own size: only the pixels change (box, zoom, undo
        history and adjustment stay)."""
        if self._original is None or image.isNull():
            return
        self._original = image
        self._pixmap_item.setPixmap(QPixmap.fromImage(adjust_image(image, *self._adjust)))
        self._fit_pixels(image)
        self._reduced = False

    def _fit_pixels(self, image: QImage) -> None:
        """The pixels cover the photo's extent in the scene (its own pixels), each axis apart:
        the sides of a photo shown smaller are rounded."""
        w, h = self._image_size
        self._pixmap_item.setTransform(QTransform.fromScale(w / image.width(), h / image.height()))

    def _want_full_pixels(self) -> None:
        """Asked once per photo, when the reviewer zooms in (the wheel, 1:1) so far that a pixel
        shown would cover more than SHARP_LIMIT screen pixels. Not at fit: on a high-density screen
        every photo would then load whole, the stall the smaller pixels are there to avoid."""
        if not self._reduced or self._original is None:
            return
        shown = self.zoom_factor() * self._image_size[0] / self._original.width() * self.devicePixelRatioF()
        if shown > SHARP_LIMIT:
            self._reduced = False  # asked
            self.full_pixels_wanted.emit()

    def show_message(self, text: str) -> None:
        """Replace the photo by a message (unreadable photo, no photo selected)."""
        self._original = None
        self._reduced = False
        self._pixmap_item.setPixmap(QPixmap())
        self._pixmap_item.hide()
        self._image_size = (0, 0)
        self._state = BoxState()
        self._proposal = None
        self._undo.clear()
        self._redo.clear()
        self._refresh_items()
        self.resetTransform()
        self._message.setText(text)
        self._message.show()
        r = self._message.boundingRect()
        self._scene.setSceneRect(r.adjusted(-20, -20, 20, 20))
        self.centerOn(r.center())

    def set_adjust(self, brightness: int, contrast: int) -> None:
        """Brightness/contrast of the shown photo (display only: the box, zoom and files stay)."""
        self._adjust = (int(brightness), int(contrast))
        if self._original is not None:
            self._pixmap_item.setPixmap(QPixmap.fromImage(adjust_image(self._original, *self._adjust)))

    def adjustment(self) -> tuple[int, int]:
        return self._adjust

    def displayed_image(self) -> QImage:
        """What is on screen now (tests compare it with the photo as loaded)."""
        return self._pixmap_item.pixmap().toImage()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only

    def set_proposal(self, box: BoundingBox | None) -> None:
        self._proposal = box
        self._refresh_items()

    @property
    def state(self) -> BoxState:
        return self._state

    @property
    def box(self) -> BoundingBox | None:
        return self._state.box

    @property
    def proposal(self) -> BoundingBox | None:
        return self._proposal

    @property
    def image_size(self) -> tuple[int, int]:
        return self._image_size

    def has_image(self) -> bool:
        return self._image_size[0] > 0

    # ----------------------------------------------------------------- edits
    def _commit(self, new: BoxState) -> None:
        if new == self._state:
            return
        self._undo.append(self._state)
        self._redo.clear()
        self._state = new
        self._apply_view_transform()
        self._refresh_items()
        self.state_changed.emit(new)

    def delete_box(self) -> None:
        if self._read_only or self._state.box is None:
            return
        self._commit(replace(self._state, box=None))
        self.box_deleted.emit()

    def rotate_180(self) -> None:
        if self._read_only or not self.has_image():
            return
        self._commit(replace(self._state, rotation=(self._state.rotation + 180) % 360))
        self.orientation_changed.emit(self._state.rotation, self._state.flip)

    def toggle_flip(self) -> None:
        if self._read_only or not self.has_image():
            return
        self._commit(replace(self._state, flip=not self._state.flip))
        self.orientation_changed.emit(self._state.rotation, self._state.flip)

    def accept_proposal(self) -> bool:
        """Make the dashed proposed box the box (one key). Returns False if there is none."""
        if self._read_only or self._proposal is None:
            return False
        box = self._proposal
        self._proposal = None
        self._commit(replace(self._state, box=box))
        self.proposal_accepted.emit(box)
        return True

    def set_box(self, box: BoundingBox | None) -> None:
        """Programmatic edit (undoable), e.g. from a keyboard nudge or a test."""
        if box is not None:
            box = self._clip(box)
        self._commit(replace(self._state, box=box))

    def restore(self, state: BoxState) -> None:
        """Show a state saved elsewhere (app-level undo): no signal, no history entry."""
        self._state = state
        self._apply_view_transform()
        self._refresh_items()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        if self._read_only or not self._undo:
            return False
        self._redo.append(self._state)
        self._state = self._undo.pop()
        self._apply_view_transform()
        self._refresh_items()
        self.state_changed.emit(self._state)
        return True

    def redo(self) -> bool:
        if self._read_only or not self._redo:
            return False
        self._undo.append(self._state)
        self._state = self._redo.pop()
        self._apply_view_transform()
        self._refresh_items()
        self.state_changed.emit(self._state)
        return True

    # ----------------------------------------------------------------- view
    def zoom_factor(self) -> float:
        t = self.transform()
        return (t.m11() ** 2 + t.m12() ** 2) ** 0.5

    def fit(self) -> None:
        if not self.has_image():
            return
        self.fitInView(self._pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom_factor())

    def one_to_one(self) -> None:
        if not self.has_image():
            return
        center = self.mapToScene(self.viewport().rect().center())
        self._apply_view_transform(scale=1.0)
        self.centerOn(center)
        self.zoom_changed.emit(1.0)
        self._want_full_pixels()

    def zoom_by(self, factor: float, anchor_view: QPointF | None = None) -> None:
        """Zoom keeping the photo point under ``anchor_view`` (view coords) where it is."""
        current = self.zoom_factor()
        target = min(max(current * factor, ZOOM_MIN), ZOOM_MAX)
        factor = target / current if current > 0 else 1.0
        if anchor_view is None:
            anchor_view = QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor_view.toPoint())
        self.scale(factor, factor)
        # Scroll so the photo point that was under the cursor is under it again (the scene
        # has a margin around the photo, so this works at the photo's edges too).
        now = self.mapFromScene(before)
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + int(round(now.x() - anchor_view.x())))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + int(round(now.y() - anchor_view.y())))
        self.zoom_changed.emit(self.zoom_factor())
        self._want_full_pixels()

    def _apply_view_transform(self, scale: float | None = None) -> None:
        s = self.zoom_factor() if scale is None else scale
        if s <= 0:
            s = 1.0
        t = QTransform()
        sx = -s if self._state.flip else s
        t.scale(sx, s)
        if self._state.rotation == 180:
            t.rotate(180)
        self.setTransform(t)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            return
        factor = ZOOM_STEP ** (delta / 120.0)
        self.zoom_by(factor, event.position())
        event.accept()

    # ----------------------------------------------------------------- items
    def _refresh_items(self) -> None:
        box = self._live_box or self._state.box
        if box is None:
            self._box_item.hide()
            for item in self._handle_items.values():
                item.hide()
        else:
            self._box_item.setRect(QRectF(box.x0, box.y0, box.width, box.height))
            self._box_item.show()
            for name, item in self._handle_items.items():
                item.setPos(QPointF(*handle_point(box, name)))
                item.setVisible(not self._read_only)
        if self._proposal is not None:
            p = self._proposal
            self._proposal_item.setRect(QRectF(p.x0, p.y0, p.width, p.height))
            self._proposal_item.show()
        else:
            self._proposal_item.hide()

    def _clip(self, box: BoundingBox) -> BoundingBox:
        w, h = self._image_size
        return box.clipped(w, h) if w > 0 else box

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
