"""The compare view: the query and the selected candidate at a larger size with zoom and pan kept
in step, the matching keypoints on request, on request the regions that drove the embedding score
(an occlusion map over the query as the model saw it: application/score_heatmap.py), and every
photo of the candidate to browse."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.gui.buttons import no_focus_button
from whaleid_gui.gui.image_view import ImageView, SyncedPair
from whaleid_gui.gui.keypoint_view import KeypointPairView


class ComparePanel(QWidget):
    """Query and the selected candidate at a larger size, zoom and pan kept in step; below, all
    photos of the candidate individual to browse with one click."""

    browse_photo = Signal(int)  # photo id picked in the strip
    keypoints_wanted = Signal()  # the keypoint toggle is on and the pair changed: compute the lines
    heat_wanted = Signal()  # the heat-map toggle is on and the pair changed: compute the map
    shown = Signal()  # the tab became visible within the window (what it skipped while hidden is due)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.query = ImageView()
        self.query.setObjectName("compareQuery")
        self.other = ImageView()
        self.other.setObjectName("compareCandidate")
        self.pair = SyncedPair(self.query, self.other)
        self.query_label = QLabel("Query")
        self.other_label = QLabel("Candidate")
        for lab in (self.query_label, self.other_label):
            lab.setWordWrap(True)
            lab.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.link = QCheckBox("Zoom and pan together")
        self.link.setObjectName("linkZoom")
        self.link.setChecked(True)
        self.link.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.link.toggled.connect(self._set_linked)
        fit = no_focus_button("Fit", "Fit both images", "compareFit")
        fit.clicked.connect(self.fit)
        self.show_keypoints = QCheckBox("Show matching keypoints")
        self.show_keypoints.setObjectName("showKeypoints")
        self.show_keypoints.setToolTip("Lines join the keypoints that geometric verification matched between "
                                       "the query and this photo")
        self.show_keypoints.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.show_keypoints.toggled.connect(self._on_keypoints_toggled)
        self.show_heat = QCheckBox("Show what drove the score")
        self.show_heat.setObjectName("showHeat")
        self.show_heat.setToolTip("Red: the regions of the query (as the model saw it) whose hiding lowers its "
                                  "similarity to this photo most")
        self.show_heat.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.show_heat.toggled.connect(self._on_heat_toggled)
        self._query_caption = "Query"
        self.keypoint_view = KeypointPairView()
        self.keypoint_label = QLabel("")
        self.keypoint_label.setObjectName("keypointLabel")
        self._query_image: QImage | None = None
        self._other_image: QImage | None = None
        self.strip = QListWidget()
        self.strip.setObjectName("individualPhotos")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(120, 56))
        self.strip.setFixedHeight(96)
        self.strip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.strip.itemClicked.connect(
            lambda item: self.browse_photo.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.strip_label = QLabel("All photos of the candidate")
        top = QHBoxLayout()
        top.addWidget(self.link)
        top.addWidget(self.show_keypoints)
        top.addWidget(self.show_heat)
        top.addStretch(1)
        top.addWidget(fit)
        pair_page = QWidget()
        pl = QVBoxLayout(pair_page)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(2)
        pl.addWidget(self.query_label)
        pl.addWidget(self.query, 1)
        pl.addWidget(self.other_label)
        pl.addWidget(self.other, 1)
        kp_page = QWidget()
        kl = QVBoxLayout(kp_page)
        kl.setContentsMargins(0, 0, 0, 0)
        kl.setSpacing(2)
        kl.addWidget(self.keypoint_label)
        kl.addWidget(self.keypoint_view, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(pair_page)
        self.stack.addWidget(kp_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.strip_label)
        layout.addWidget(self.strip)

    def set_adjust(self, brightness: int, contrast: int) -> None:
        """Display-only brightness/contrast of both compared images."""
        self.query.set_adjust(brightness, contrast)
        self.other.set_adjust(brightness, contrast)

    def _set_linked(self, on: bool) -> None:
        self.pair.linked = on
        if on:
            self.other.copy_view_from(self.query)

    def set_query(self, image: QImage | None, caption: str, text: str = "") -> None:
        self.query.set_image(image, text)
        self.query_label.setText(caption)
        self.query.fit()
        self._query_image = image
        self._query_caption = caption
        self._pair_changed()

    def event(self, e: QEvent) -> bool:
        # Show: visible again with its page (Catalog and back); ShowToParent: its tab switched to,
        # also in a window not yet on screen (which gets no Show)
        handled = super().event(e)
        if e.type() in (QEvent.Type.Show, QEvent.Type.ShowToParent):
            self.shown.emit()
        return handled

    def set_candidate(self, image: QImage | None, caption: str, text: str = "") -> None:
        self.other.set_image(image, text)
        self.other_label.setText(caption)
        if self.pair.linked and self.query.has_image():
            self.other.copy_view_from(self.query)
        else:
            self.other.fit()
        self._other_image = image
        self._pair_changed()

    # ------------------------------------------------------------------ keypoint evidence
    def _on_keypoints_toggled(self, on: bool) -> None:
        self.link.setEnabled(not on)
        self.stack.setCurrentIndex(1 if on else 0)
        self._pair_changed()

    def _on_heat_toggled(self, on: bool) -> None:
        if on:
            self._pair_changed()
        else:  # the query as shot again
            self.query.set_image(self._query_image)
            self.query_label.setText(self._query_caption)
            self.query.fit()

    def set_heat(self, image: QImage | None, text: str) -> None:
        """The query as the model saw it with the heat drawn over it (None: `text` says why not)."""
        if not self.show_heat.isChecked():
            return
        if image is not None:
            self.query.set_image(image)
            self.query.fit()
        self.query_label.setText(text)

    def _pair_changed(self) -> None:
        if self.show_heat.isChecked() and self._query_image is not None and self._other_image is not None:
            self.query_label.setText("Finding what drove the score\u2026")
            self.heat_wanted.emit()
        if not self.show_keypoints.isChecked():
            return
        self.keypoint_view.set_images(self._query_image, self._other_image)
        if self._query_image is None or self._other_image is None:
            self.set_keypoint_message("Select a candidate (with a boxed query) to see the matching keypoints.")
            return
        self.set_keypoint_message("Matching keypoints\u2026")
        self.keypoints_wanted.emit()

    def set_keypoint_message(self, text: str) -> None:
        self.keypoint_label.setText(text)

    def set_keypoint_lines(self, lines, inliers: int, tentative: int = 0) -> None:
        """Lines (K, 4) as fractions of the two crops; K may be below `inliers` when some fall
        outside the displayed crops."""
        self.keypoint_view.set_lines(lines)
        if inliers:
            weak = " \u2014 few: near chance level, not evidence" if inliers < 6 else ""
            self.set_keypoint_message(f"{inliers} keypoint matches verified by geometry (of {tentative} "
                                      f"candidate matches){weak}. Top: query, bottom: candidate")
        else:
            self.set_keypoint_message(f"No geometrically consistent keypoint matches ({tentative} candidate "
                                      "matches were rejected)")

    def keypoint_line_count(self) -> int:
        return len(self.keypoint_view.line_items)

    def set_photos(self, title: str, photos: list[tuple[int, str]]) -> None:
        """(photo id, caption) of every photo of the candidate individual."""
        self.strip.clear()
        self.strip_label.setText(title)
        for pid, caption in photos:
            item = QListWidgetItem(caption)
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.strip.addItem(item)

    def set_photo_thumbnail(self, photo_id: int, image: QImage) -> None:
        from PySide6.QtGui import QIcon

        for i in range(self.strip.count()):
            item = self.strip.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == photo_id:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def fit(self) -> None:
        self.query.fit()
        self.other.fit() if not self.pair.linked else self.other.copy_view_from(self.query)
        self.keypoint_view.fit()
