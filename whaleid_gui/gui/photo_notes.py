"""The review panel's notes on the photo under review: its quality flag and one-line comment (the
controller saves them at once), and the strip of its sibling photos of the same encounter.

A mixin of MatchReviewPanel (it emits the panel's quality_changed, comment_changed and
sibling_clicked signals and follows its read-only state).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem

SIBLING_THUMB = QSize(64, 36)
QUALITY_CHOICES = [("quality: unset", None), ("good", "good"), ("fair", "fair"), ("poor", "poor"),
                   ("unusable", "unusable")]


class PhotoNotes:
    """Quality, comment and same-encounter strip of MatchReviewPanel (see the module's docstring)."""

    def _build_photo_notes(self) -> QHBoxLayout:
        """The quality-and-comment row (returned) and the siblings label and strip (attributes)."""
        self._meta_photo: int | None = None
        self._saved_comment = ""
        self.quality_box = QComboBox()
        self.quality_box.setObjectName("photoQuality")
        for label, value in QUALITY_CHOICES:
            self.quality_box.addItem(label, value)
        self.quality_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.quality_box.setToolTip("Photo quality (Q cycles it); saved at once")
        self.quality_box.currentIndexChanged.connect(self._on_quality)
        self.comment_edit = QLineEdit()
        self.comment_edit.setObjectName("photoComment")
        self.comment_edit.setPlaceholderText("comment on this photo (Ctrl+E; Enter saves, Esc cancels)")
        self.comment_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.comment_edit.returnPressed.connect(self._comment_done)
        self.comment_edit.editingFinished.connect(self.save_comment)
        self.comment_edit.installEventFilter(self)
        meta_row = QHBoxLayout()
        meta_row.setContentsMargins(0, 0, 0, 0)
        meta_row.addWidget(self.quality_box)
        meta_row.addWidget(self.comment_edit, 1)
        self._set_meta_enabled(False)

        # the query's sibling photos of the same encounter: one click opens one
        self.siblings_label = QLabel()
        self.siblings_label.setObjectName("siblingsLabel")
        self.siblings_label.setStyleSheet("color:#555;")
        self.siblings = QListWidget()
        self._sibling_items: dict[int, QListWidgetItem] = {}  # photo id: its item in the strip
        self._sibling_icons: dict[int, int] = {}  # photo id: the cacheKey of the pixmap its icon shows
        self.siblings.setObjectName("siblingPhotos")
        self.siblings.setViewMode(QListWidget.ViewMode.IconMode)
        self.siblings.setFlow(QListWidget.Flow.LeftToRight)
        self.siblings.setWrapping(False)
        self.siblings.setMovement(QListWidget.Movement.Static)
        self.siblings.setIconSize(SIBLING_THUMB)
        self.siblings.setGridSize(QSize(SIBLING_THUMB.width() + 10, SIBLING_THUMB.height() + 20))
        self.siblings.setWordWrap(False)
        self.siblings.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.siblings.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.siblings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        bar_h = self.siblings.horizontalScrollBar().sizeHint().height()
        self.siblings.setFixedHeight(SIBLING_THUMB.height() + 20 + bar_h + 4)
        self.siblings.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.siblings.itemClicked.connect(
            lambda item: self.sibling_clicked.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.set_siblings([])
        return meta_row

    # ------------------------------------------------------------------ same encounter
    def set_siblings(self, photos: list[tuple[int, str, str]], what: str = "") -> None:
        """(photo id, short text, tooltip) of the query's sibling photos of the same encounter.

        The strip is changed, not rebuilt: the next photo of an encounter has nearly the same
        siblings, and rebuilding the strip and its icons (one search per icon) took 34 ms per key
        press for a 100-photo burst, 61 at worst (issue 15's stall target is 50)."""
        items = self._sibling_items
        wanted = {pid for pid, _text, _tip in photos}
        for row in reversed(range(self.siblings.count())):
            pid = self.siblings.item(row).data(Qt.ItemDataRole.UserRole)
            if pid not in wanted:
                self.siblings.takeItem(row)
                items.pop(pid, None)
                self._sibling_icons.pop(pid, None)
        for row, (pid, text, tip) in enumerate(photos):
            item = items.get(pid)
            if item is None:
                item = items[pid] = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, pid)
                self.siblings.insertItem(row, item)
            else:
                if self.siblings.item(row) is not item:  # another order (a date corrected)
                    self.siblings.insertItem(row, self.siblings.takeItem(self.siblings.row(item)))
                if item.text() != text:
                    item.setText(text)
            if item.toolTip() != tip:
                item.setToolTip(tip)
        n = len(photos)
        self.siblings.setVisible(n > 0)
        if n:
            self.siblings_label.setText(f"Same encounter{what}: {n} other photo{'s' if n != 1 else ''} "
                                        "\u00b7 click to open")
        else:
            self.siblings_label.setText(f"Same encounter{what}: no other photos")

    def sibling_ids(self) -> list[int]:
        return [self.siblings.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.siblings.count())]

    def set_sibling_thumbnail(self, photo_id: int, pixmap: QPixmap) -> None:
        item = self._sibling_items.get(photo_id)
        if item is not None and self._sibling_icons.get(photo_id) != pixmap.cacheKey():
            item.setIcon(QIcon(pixmap))
            self._sibling_icons[photo_id] = pixmap.cacheKey()

    # ------------------------------------------------------------------ quality and comment
    def set_photo_meta(self, photo_id: int | None, quality: str | None = None, comment: str | None = None) -> None:
        """Show the quality flag and comment of the photo under review (None: no photo).
        A comment still being typed for the previous photo is saved first."""
        self.save_comment()
        self._meta_photo = photo_id
        self.quality_box.blockSignals(True)
        self.quality_box.setCurrentIndex(max(self.quality_box.findData(quality), 0))
        self.quality_box.blockSignals(False)
        self._saved_comment = comment or ""
        self.comment_edit.setText(self._saved_comment)
        self.comment_edit.setModified(False)
        self._set_meta_enabled(photo_id is not None)

    def quality(self) -> str | None:
        return self.quality_box.currentData()

    def set_quality(self, quality: str | None) -> None:
        """As if chosen in the combo: shown and asked to be saved."""
        self.quality_box.setCurrentIndex(max(self.quality_box.findData(quality), 0))

    def cycle_quality(self) -> None:
        if self.quality_box.isEnabled():
            self.quality_box.setCurrentIndex((self.quality_box.currentIndex() + 1) % self.quality_box.count())

    def edit_comment(self) -> None:
        if self.comment_edit.isEnabled():
            self.comment_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.comment_edit.selectAll()

    def _on_quality(self, _index: int) -> None:
        if self._meta_photo is not None and not self._read_only:
            self.quality_changed.emit(self._meta_photo, self.quality_box.currentData())

    def save_comment(self) -> None:
        """Save the comment if it changed (Enter, leaving the field, another photo)."""
        text = self.comment_edit.text().strip()
        if self._meta_photo is None or self._read_only or text == self._saved_comment:
            return
        self._saved_comment = text
        self.comment_edit.setModified(False)
        self.comment_changed.emit(self._meta_photo, text)

    def _comment_done(self) -> None:
        self.save_comment()
        self.comment_edit.clearFocus()  # back to the one-key review shortcuts

    def eventFilter(self, obj, event) -> bool:
        if obj is self.comment_edit and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Escape:
            self.comment_edit.setText(self._saved_comment)  # cancel the edit
            self.comment_edit.clearFocus()
            return True
        return super().eventFilter(obj, event)

    def _set_meta_enabled(self, on: bool) -> None:
        on = on and not self._read_only
        self.quality_box.setEnabled(on)
        self.comment_edit.setEnabled(on)
