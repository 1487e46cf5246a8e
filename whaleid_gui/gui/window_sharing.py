"""Importing into and exporting from the open project in the main window: photos (also dropped on
the window), catalog CSVs, Wildbook spreadsheets, and every export format, each in a status-bar job.

A mixin of MainWindow (it uses run_job, the controller and the window's messages).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from whaleid_gui.application import exports, imports
from whaleid_gui.application.sharing_form import species_missing, species_note
from whaleid_gui.workers import Worker

SHARING_EXPORTS = ("wildbook", "dwca", "capture-history")  # core.catalog.sharing: they report what they skip
SPECIES_EXPORTS = ("wildbook", "dwca")  # they write the species (core/catalog/sharing_settings.py)
FILE_FILTERS = {  # default file name's suffix -> the save dialog's filter (the name's suffix picks the format)
    ".json": "JSON (*.json)",
    ".csv": "CSV (*.csv)",
    ".xlsx": "Excel workbook (*.xlsx);;CSV (*.csv)",
    ".zip": "Zip archive (*.zip)",
    ".inp": "MARK input (*.inp);;CSV (*.csv)",
}


class WindowSharing:
    """Import and export of MainWindow (see the module's docstring)."""

    # ------------------------------------------------------------------ import / export
    def import_photos_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import survey photos", "",
                                                "Images (*.jpg *.jpeg *.png *.tif *.tiff *.bmp);;All files (*)")
        if files:
            self.import_paths(files)

    def import_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of survey photos")
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: list[str]) -> Worker | None:
        if self.store is None or self.store.read_only:
            self.show_error("Open a project you can write to before importing photos")
            return None

        def done(result):
            summary, errors = result
            self.say(summary)
            if errors:
                self.show_error(summary + ":\n" + "\n".join(errors[:10]))
            self.controller.reload_photos()
        return self.run_job("import-photos", "Importing photos", imports.import_photos, str(self.folder), list(paths),
                            on_result=done)

    def import_catalog_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a catalog CSV (Image,Id)", "", "CSV (*.csv)")
        if path:
            self.import_catalog(path)

    def import_catalog(self, path: str) -> Worker | None:
        return self._import_table("import-catalog", "Importing the catalog", imports.import_catalog, path)

    def import_wildbook_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a Wildbook / Flukebook spreadsheet", "",
                                              "Wildbook spreadsheet (*.xlsx *.csv);;All files (*)")
        if path:
            self.import_wildbook(path)

    def import_wildbook(self, path: str) -> Worker | None:
        """Encounters of a Wildbook bulk-import spreadsheet or Flukebook export (photos beside it)."""
        if not self.species_named("Importing a Wildbook spreadsheet checks its species against the project's."):
            return None
        return self._import_table("import-wildbook", "Importing the Wildbook spreadsheet", imports.import_wildbook, path)

    def _import_table(self, kind: str, label: str, job, path: str) -> Worker | None:
        if self.store is None or self.store.read_only:
            self.show_error("Open a project you can write to before importing a catalog")
            return None

        def done(report):
            summary = report.summary() if hasattr(report, "summary") else "Catalog imported"
            self.say(summary)
            errors = getattr(report, "errors", [])
            if errors:
                self.show_error(f"{summary}; not imported:\n" + "\n".join(f"{w}: {why}" for w, why in errors[:15])
                                + (f"\n\u2026 and {len(errors) - 15} more" if len(errors) > 15 else ""))
            self.controller.results.clear()
            self.controller.refresh_queue()
            self._catalog_dirty()
        return self.run_job(kind, label, job, str(self.folder), path, on_result=done)

    def export_dialog(self, kind: str, default_name: str) -> None:
        if self.store is None:
            return
        if kind in SPECIES_EXPORTS and not self.species_named("The export names the species in every record."):
            return
        suffix = Path(default_name).suffix
        path, chosen = QFileDialog.getSaveFileName(self, "Export", str(Path.home() / default_name),
                                                   FILE_FILTERS[suffix])
        if not path:
            return
        if not Path(path).suffix:  # the format is the name's suffix: the chosen filter's, else the default
            picked = re.search(r"\*(\.\w+)", chosen or "")
            path += picked.group(1) if picked else suffix
        options = self.export_options(kind, path)
        if options is not None:
            self.export_to(kind, path, options)

    def export_options(self, kind: str, path: str) -> dict | None:
        """What a sharing export needs to know besides the file; None when the user cancels."""
        if kind == "wildbook":
            from whaleid_gui.core.catalog.export_wildbook import photos_folder

            choices = ["Copy the photos", "Link to the photos (symbolic links)"]
            choice, ok = QInputDialog.getItem(self, "Wildbook export", f"Photos go to {photos_folder(Path(path))}:",
                                              choices, 0, False)
            if not ok:
                return None
            folder = photos_folder(Path(path))
            if folder.exists() and not self.ask("Replace the photo folder?", f"{folder} exists. Replace it?"):
                return None
            return {"photos": "link" if choice == choices[1] else "copy"}
        if kind == "capture-history":
            choices = ["One occasion per survey", "Occasions of N days"]
            choice, ok = QInputDialog.getItem(self, "Capture histories", "Occasions:", choices, 0, False)
            if not ok:
                return None
            if choice == choices[0]:
                return {"occasions": "survey"}
            days, ok = QInputDialog.getInt(self, "Capture histories", "Days per occasion:", 7, 1, 3660)
            return {"occasions": "days", "days": days} if ok else None
        return {}

    def export_to(self, kind: str, path: str, options: dict | None = None) -> Worker | None:
        """Write one export (the save dialog has already asked before replacing an existing file)."""
        if self.folder is None:
            return None
        if kind in SHARING_EXPORTS:
            return self.run_job("export", "Exporting", exports.export_sharing, str(self.folder), kind, path,
                                options or {}, on_result=self._exported)
        return self.run_job("export", "Exporting", exports.export_catalog, str(self.folder), kind, path,
                            on_result=lambda out: self.say(f"Exported to {out}"))

    def _exported(self, report) -> None:
        """A sharing export's report: the summary in the status bar, what it left out in a box."""
        self.last_export = report
        self.say(report.summary())
        if report.skipped or report.notes:
            lines = report.lines()
            shown = lines if len(lines) <= 21 else lines[:20] + [f"\u2026 {len(lines) - 21} more lines", lines[-1]]
            if not getattr(self, "_quiet_errors", False):
                box = QMessageBox(QMessageBox.Icon.Information, "Export", "\n".join(shown),
                                  QMessageBox.StandardButton.Ok, self)
                box.setModal(False)
                box.show()

    # ------------------------------------------------------------------ sharing settings
    def sharing_settings_dialog(self, reason: str = "") -> bool:
        """File > Sharing settings; True when saved."""
        if self.store is None:
            self.show_error("Open a project first: sharing settings belong to a project")
            return False
        from whaleid_gui.gui.sharing_settings_dialog import SharingSettingsDialog

        dialog = SharingSettingsDialog(self.store, self, reason)
        self._sharing_dialog = dialog  # tests fill it in while it is open
        try:
            return dialog.exec() == SharingSettingsDialog.DialogCode.Accepted
        finally:
            self._sharing_dialog = None
            dialog.deleteLater()  # it holds the project's store

    def species_named(self, why: str) -> bool:
        """A catalog of other photos than flukes names its species before sharing: ask for it here
        (the form opens) instead of failing the job. True when the species is known."""
        if self.store is None or not species_missing(self.store):
            return True  # no project: the caller says so
        saved = self.sharing_settings_dialog(why)
        if not species_missing(self.store):
            return True
        if saved:  # saved without the species: say why nothing more happens
            self.show_error(species_note(self.store))
        return False

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)
