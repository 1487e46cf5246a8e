"""File > New project: the folder, what its photos show (which sets the ranking's default), and
where its catalog lives (in the folder, or a lab's PostgreSQL server that several reviewers share)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.application.photo_subjects import DEFAULT_SUBJECT, SUBJECTS

URL_EXAMPLE = "postgresql://ann@db.lab.org:5432/whales"


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("an empty or new folder")
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)

        self.subject = QComboBox()
        for s in SUBJECTS:
            self.subject.addItem(s.label, s.key)
        self.subject.setCurrentIndex(self.subject.findData(DEFAULT_SUBJECT))
        self.subject.setToolTip("Sets how candidates are ranked (Review > Keypoint re-ranking and Also match the "
                                "trailing edge change it later). A catalog on a server that is joined keeps its own.")

        self.in_folder = QRadioButton("In the project folder (SQLite): the catalog stays on this computer")
        self.on_server = QRadioButton("On a PostgreSQL server: a lab's reviewers work on it together")
        self.in_folder.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.in_folder)
        group.addButton(self.on_server)
        self.url = QLineEdit()
        self.url.setPlaceholderText(URL_EXAMPLE)
        self.url_note = QLabel(
            "An empty database, or one that already holds the lab's catalog (it is joined). "
            "The password is not saved in the folder: WhaleID reads it from PGPASSWORD or ~/.pgpass."
        )
        self.url_note.setWordWrap(True)
        self.on_server.toggled.connect(self._server_toggled)
        self._server_toggled(False)

        form = QFormLayout()
        form.addRow("Folder:", row)
        form.addRow("Photos show:", self.subject)
        form.addRow("Catalog:", self.in_folder)
        form.addRow("", self.on_server)
        form.addRow("Database URL:", self.url)
        form.addRow("", self.url_note)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new project (empty)")
        if folder:
            self.folder.setText(folder)

    def _server_toggled(self, on: bool) -> None:
        self.url.setEnabled(on)
        self.url_note.setEnabled(on)

    def values(self) -> tuple[str, str | None, str]:
        """(folder, database URL or None for SQLite in the folder, what the photos show)."""
        url = self.url.text().strip() if self.on_server.isChecked() else ""
        return self.folder.text().strip(), (url or None), self.subject.currentData()

    def _accept(self) -> None:
        folder, url, _subject = self.values()
        if not folder:
            self.error.setText("Choose a folder for the project.")
            return
        if self.on_server.isChecked() and not url:
            self.error.setText(f"Write the database's URL, e.g. {URL_EXAMPLE}")
            return
        self.accept()
