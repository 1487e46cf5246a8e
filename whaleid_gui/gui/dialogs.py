"""Small dialogs: the F1 help (keyboard shortcuts and how to read a score) and a new-individual form
(catalog view)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from whaleid_gui.core.score_scale import EXPLANATION
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)


class ShortcutsDialog(QDialog):
    """Every shortcut of the window's actions, grouped by menu, read from the actions themselves
    (so the list can never drift from what the keys do), under a paragraph on reading the scores."""

    def __init__(self, groups: list[tuple[str, list]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Help: keyboard shortcuts and scores")
        self.setObjectName("shortcutsDialog")
        rows = []
        for group, actions in groups:
            for action in actions:
                keys = ", ".join(s.toString() for s in action.shortcuts())
                if keys:
                    rows.append((group, action.text().replace("&", ""), keys))
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
        for r, (g, a, k) in enumerate(rows):
            for c, text in enumerate((g, a, k)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.scores = QLabel(f"<b>Reading the scores.</b> {EXPLANATION} Keypoint re-ranking counts marks "
                             "that line up under one geometric transform (6 or more is convincing); it can "
                             "raise a candidate, never lower it. For dorsal fins, the trailing edge's notches "
                             "can be a third score (Review menu), on the same scale and with the same rule. "
                             "Hover over a score for the model's raw value.")
        self.scores.setObjectName("scoreHelp")
        self.scores.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scores)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]


class NewIndividualDialog(QDialog):
    """Code (suggested), name and notes of a new individual."""

    def __init__(self, suggested_code: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New individual")
        self.code = QLineEdit(suggested_code)
        self.code.setObjectName("dialogCode")
        self.name = QLineEdit()
        self.name.setObjectName("dialogName")
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(80)
        form = QFormLayout()
        form.addRow("Code", self.code)
        form.addRow("Name", self.name)
        form.addRow("Notes", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.name.setFocus()

    def _accept(self) -> None:
        if self.code.text().strip():
            self.accept()
        else:
            self.code.setFocus()

    def values(self) -> tuple[str, str | None, str | None]:
        return (self.code.text().strip(), self.name.text().strip() or None,
                self.notes.toPlainText().strip() or None)
