"""A read-only zoom/pan image view, and a pair of them kept in step (the compare view).

Every image is shown scaled to the same scene width, so two crops of different pixel sizes
line up at the same scale and sharing a transform and scroll position keeps them in step.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

SCENE_WIDTH = 1000.0
ZOOM_STEP = 1.25


class ImageView(QGraphicsView):
    view_changed = Signal()  # zoom or pan changed by the user

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setBackgroundBrush(QBrush(QColor("#202326")))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self._text = QGraphicsSimpleTextItem()
        self._text.setBrush(QBrush(QColor("#e0e0e0")))
        self._scene.addItem(self._text)
        self._has_image = False
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self._user_changed())
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._user_changed())
        self._quiet = False
        self._original: QImage | None = None
        self._adjust: tuple[int, int] = (0, 0)  # brightness, contrast (display only)

    def set_adjust(self, brightness: int, contrast: int) -> None:
        """Brightness/contrast of the shown image; zoom and pan stay as they are."""
        from whaleid_gui.gui.display_adjust import adjust_image

        self._adjust = (int(brightness), int(contrast))
        if self._original is not None:
            self._item.setPixmap(QPixmap.fromImage(adjust_image(self._original, *self._adjust)))

    def displayed_image(self) -> QImage:
        return self._item.pixmap().toImage()

    def set_image(self, image: QImage | None, text: str = "") -> None:
        self._quiet = True
        try:
            if image is None or image.isNull():
                self._original = None
                self._item.setPixmap(QPixmap())
                self._has_image = False
                self._text.setText(text or "no image")
                self._text.show()
                r = self._text.boundingRect()
                self._scene.setSceneRect(r.adjusted(-10, -10, 10, 10))
                self.resetTransform()
                return
            self._text.hide()
            from whaleid_gui.gui.display_adjust import adjust_image

            self._original = image
            pm = QPixmap.fromImage(adjust_image(image, *self._adjust))
            self._item.setPixmap(pm)
            s = SCENE_WIDTH / max(pm.width(), 1)
            self._item.setScale(s)
            h = pm.height() * s
            m = SCENE_WIDTH  # margin so zoom under the cursor reaches the edges
            self._scene.setSceneRect(QRectF(-m, -m, SCENE_WIDTH + 2 * m, h + 2 * m))
            self._has_image = True
        finally:
            self._quiet = False

    def has_image(self) -> bool:
        return self._has_image

    def fit(self) -> None:
        if self._has_image:
            self._quiet = True
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
            self._quiet = False
            self.view_changed.emit()

    def zoom_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self._quiet = True
        self.scale(factor, factor)
        now = self.mapFromScene(before)
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + int(round(now.x() - anchor.x())))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + int(round(now.y() - anchor.y())))
        self._quiet = False
        self.view_changed.emit()

    def wheelEvent(self, event) -> None:
        d = event.angleDelta().y()
        if d:
            self.zoom_by(ZOOM_STEP ** (d / 120.0), event.position())
        event.accept()

    def copy_view_from(self, other: "ImageView") -> None:
        self._quiet = True
        self.setTransform(other.transform())
        self.horizontalScrollBar().setValue(other.horizontalScrollBar().value())
        self.verticalScrollBar().setValue(other.verticalScrollBar().value())
        self._quiet = False

    def scene_center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def _user_changed(self) -> None:
        if not self._quiet:
            self.view_changed.emit()


class SyncedPair:
    """Keeps two ImageViews at the same zoom and pan while ``linked`` is True."""

    def __init__(self, a: ImageView, b: ImageView) -> None:
        self.a, self.b = a, b
        self.linked = True
        self._busy = False
        a.view_changed.connect(lambda: self._sync(a, b))
        b.view_changed.connect(lambda: self._sync(b, a))

    def _sync(self, src: ImageView, dst: ImageView) -> None:
        if not self.linked or self._busy:
            return
        self._busy = True
        try:
            dst.copy_view_from(src)
        finally:
            self._busy = False

    def fit(self) -> None:
        self.a.fit()
        if not self.linked:
            self.b.fit()
