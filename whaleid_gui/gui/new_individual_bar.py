"""Create a new individual in place, on the review panel: a suggested code and a name typed there."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit

from whaleid_gui.gui.buttons import no_focus_button


class NewIndividualBar(QFrame):
    """Create a new individual in place: suggested code, name typed here, Enter creates."""

    accepted = Signal(str, str)  # code, name
    cancelled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("newIndividualBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#newIndividualBar{background:#fff7e0;}")
        self.code = QLineEdit()
        self.code.setObjectName("newCode")
        self.code.setMaximumWidth(90)
        self.name = QLineEdit()
        self.name.setObjectName("newName")
        self.name.setPlaceholderText("name (optional) \u2014 Enter creates, Esc cancels")
        create = no_focus_button("Create", "Create the new individual (Enter)", "newCreate")
        cancel = no_focus_button("Cancel", "Cancel (Esc)", "newCancel")
        create.clicked.connect(self._accept)
        cancel.clicked.connect(self.cancel)
        self.code.returnPressed.connect(self._accept)
        self.name.returnPressed.connect(self._accept)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(QLabel("New:"))
        row.addWidget(self.code)
        row.addWidget(self.name, 1)
        row.addWidget(create)
        row.addWidget(cancel)
        self.hide()

    def start(self, code: str) -> None:
        self.code.setText(code)
        self.name.clear()
        self.show()
        self.name.setFocus()

    def _accept(self) -> None:
        code = self.code.text().strip()
        if not code:
            self.code.setFocus()
            return
        self.hide()
        self.accepted.emit(code, self.name.text().strip())

    def cancel(self) -> None:
        self.hide()
        self.cancelled.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        super().keyPressEvent(event)
