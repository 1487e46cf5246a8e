"""File > Sharing settings: the species, place codes and dataset metadata that the Wildbook and
Darwin Core exports write (application/sharing_form.py reads and saves them)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from whaleid_gui.application.sharing_form import default_texts, form_texts, save_form, species_note, species_required
from whaleid_gui.core.catalog.errors import CatalogError
from whaleid_gui.core.catalog.sharing_settings import HELP, SPECIES_KEYS

LABELS = {
    "species_genus": "Genus",
    "species_epithet": "Species epithet",
    "scientific_name": "Scientific name",
    "scientific_name_id": "Scientific name ID (WoRMS LSID)",
    "location_id": "Location code (places without one)",
    "location_ids": "Location codes of places",
    "wildbook_submitter_id": "Wildbook user name",
    "dataset_id": "Dataset ID",
    "dataset_title": "Dataset title",
    "organization": "Organisation",
    "contact_name": "Contact name",
    "contact_email": "Contact e-mail",
    "license": "Licence (URL)",
    "media_base_url": "Where the photos are online (URL)",
}


class SharingSettingsDialog(QDialog):
    """Edits the open project's sharing settings; saved (in one write) only by Save."""

    def __init__(self, store, parent: QWidget | None = None, reason: str = ""):
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Sharing settings")
        layout = QVBoxLayout(self)
        note = " ".join(t for t in (reason, species_note(store)) if t)
        self.note = QLabel(note or "What the Wildbook and Darwin Core exports write. An empty field takes "
                                   "the default shown in it.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        texts, defaults = form_texts(store), default_texts()
        required = set(SPECIES_KEYS) if species_required(store) else set()  # no humpback default
        for key, label in LABELS.items():
            edit = QLineEdit(texts[key])
            edit.setPlaceholderText("(required)" if key in required else defaults[key])
            edit.setToolTip(HELP[key])
            edit.setReadOnly(store.read_only)
            self.fields[key] = edit
            form.addRow(label, edit)
        layout.addLayout(form)
        self.error = QLabel("This project is open read-only: nothing can be saved." if store.read_only else "")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(not store.read_only)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)

    def save(self) -> None:
        """Save and close; a field that cannot be read is named and nothing is saved."""
        try:
            save_form(self.store, {key: edit.text() for key, edit in self.fields.items()})
        except CatalogError as exc:  # a bad field, or the settings file not writable
            self.error.setText(str(exc))
            return
        self.accept()
