"""The keypoint evidence view: the query crop above the candidate crop, with a line joining each
pair of keypoints that geometric verification kept (the same nick or pigment mark in both).

Points arrive as fractions of the two displayed crops (application.keypoint_evidence), so the drawing
needs no knowledge of boxes or orientation. Zoom with the wheel, pan by dragging.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

WIDTH = 1000.0  # both crops are drawn this wide in the scene
GAP = 24.0
ZOOM_STEP = 1.25


class KeypointPairView(QGraphicsView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("keypointView")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setBackgroundBrush(QBrush(QColor("#202326")))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._top = QGraphicsPixmapItem()
        self._bottom = QGraphicsPixmapItem()
        for item in (self._top, self._bottom):
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._scene.addItem(item)
        self._text = QGraphicsSimpleTextItem()
        self._text.setBrush(QBrush(QColor("#e0e0e0")))
        self._scene.addItem(self._text)
        self.line_items: list[QGraphicsLineItem] = []
        self._dots: list[QGraphicsEllipseItem] = []
        self._h_top = self._h_bottom = 0.0

    def set_images(self, query: QImage | None, candidate: QImage | None) -> None:
        self.clear_lines()
        self._h_top = self._place(self._top, query, 0.0)
        self._h_bottom = self._place(self._bottom, candidate, self._h_top + GAP)
        h = self._h_top + GAP + self._h_bottom
        self._scene.setSceneRect(QRectF(-20, -20, WIDTH + 40, max(h, 40) + 40))
        self.fit()

    @staticmethod
    def _place(item: QGraphicsPixmapItem, image: QImage | None, y: float) -> float:
        if image is None or image.isNull():
            item.setPixmap(QPixmap())
            return 0.0
        pm = QPixmap.fromImage(image)
        item.setPixmap(pm)
        s = WIDTH / max(pm.width(), 1)
        item.setScale(s)
        item.setPos(0.0, y)
        return pm.height() * s

    def set_message(self, text: str) -> None:
        self._text.setText(text)
        self._text.setPos(8, max(self._h_top + GAP + self._h_bottom, 0) + 4)
        self._text.setVisible(bool(text))

    def clear_lines(self) -> None:
        for item in self.line_items + self._dots:
            self._scene.removeItem(item)
        self.line_items, self._dots = [], []

    def set_lines(self, lines: np.ndarray) -> None:
        """(K, 4) rows (uq, vq, uc, vc): fractions of the query and the candidate crop."""
        self.clear_lines()
        if self._h_top <= 0 or self._h_bottom <= 0:
            return
        y0 = self._h_top + GAP
        n = len(lines)
        for i, (uq, vq, uc, vc) in enumerate(np.asarray(lines, dtype=float).reshape(-1, 4)):
            color = QColor.fromHsvF((i / max(n, 1) * 0.8) % 1.0, 0.85, 1.0)
            pen = QPen(color, 1.6)
            pen.setCosmetic(True)  # same thickness at every zoom
            a = QPointF(uq * WIDTH, vq * self._h_top)
            b = QPointF(uc * WIDTH, y0 + vc * self._h_bottom)
            line = self._scene.addLine(a.x(), a.y(), b.x(), b.y(), pen)
            line.setZValue(2)
            self.line_items.append(line)
            for p in (a, b):
                dot = self._scene.addEllipse(p.x() - 5, p.y() - 5, 10, 10, pen)
                dot.setZValue(3)
                self._dots.append(dot)

    def fit(self) -> None:
        r = self._scene.itemsBoundingRect()
        if r.isValid() and r.width() > 0:
            self.fitInView(r, Qt.AspectRatioMode.KeepAspectRatio)

    def wheelEvent(self, event) -> None:
        d = event.angleDelta().y()
        if d:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
            f = ZOOM_STEP ** (d / 120.0)
            self.scale(f, f)
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()
