"""The catalog: individuals with their photos and sighting history; rename, merge, notes; the
study plots of the whole catalog (study_plots) beside the selected individual's details.

Reads and writes through the GUI thread's store connection (each action one transaction);
photo thumbnails come from a worker.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.application import photo_display
from whaleid_gui.application.events import Thumbnail
from whaleid_gui.gui.box_editor import qimage_from_array
from whaleid_gui.gui.dialogs import NewIndividualDialog
from whaleid_gui.gui.study_plots import StudyPlots
from whaleid_gui.workers import Worker

COLUMNS = ["Code", "Name", "Photos", "Last seen", "Place"]


def _ro_item(text: str, data=None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


class CatalogView(QWidget):
    changed = Signal(object)  # the catalog changed here: the codes it touched (the review side follows)
    status_message = Signal(str)

    def __init__(self, start_job: Callable[[str, Worker], object],
                 ask: Callable[[str, str], bool], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("catalogView")
        self.store = None
        self._start_job = start_job
        self._ask = ask
        self._current_id: int | None = None
        self._shown_code: str | None = None  # the code shown when the user started a rename
        self._last_merge: tuple[int, int, str, str] | None = None  # keep id, absorbed id, codes

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by code or name")
        self.filter.textChanged.connect(self._fill_table)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("individualsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.count_label = QLabel()
        self.new_button = QPushButton("New individual\u2026")
        self.new_button.clicked.connect(self.new_individual)
        self.merge_button = QPushButton("Merge selected\u2026")
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.setToolTip("Select two individuals (Ctrl+click): the one whose details are shown (the last "
                                     "clicked) keeps its code; the other's photos and sightings become its")
        self.merge_button.clicked.connect(self.merge_selected)
        self.undo_merge_button = QPushButton("Undo merge")
        self.undo_merge_button.setObjectName("undoMergeButton")
        self.undo_merge_button.clicked.connect(self.undo_merge)
        self.undo_merge_button.hide()
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.filter)
        left.addWidget(self.table, 1)
        left.addWidget(self.count_label)
        lb = QHBoxLayout()
        lb.addWidget(self.new_button)
        lb.addWidget(self.merge_button)
        lb.addWidget(self.undo_merge_button)
        left.addLayout(lb)
        left_w = QWidget()
        left_w.setLayout(left)

        self.title = QLabel("<i>Select an individual</i>")
        self.title.setObjectName("individualTitle")
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("codeEdit")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("nameEdit")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setObjectName("renameButton")
        self.rename_button.clicked.connect(self.rename_current)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("notesEdit")
        self.notes.setFixedHeight(70)
        self.notes_button = QPushButton("Save notes")
        self.notes_button.setObjectName("saveNotesButton")
        self.notes_button.clicked.connect(self.save_notes)
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.code_edit)
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.rename_button)
        form.addRow("Code / name", row)
        nrow = QHBoxLayout()
        nrow.addWidget(self.notes, 1)
        nrow.addWidget(self.notes_button, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("Notes", nrow)

        self.photos = QListWidget()
        self.photos.setObjectName("catalogPhotos")
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(200, 94))
        self.photos.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.photos.setSpacing(6)
        # a cell per photo as wide as the icon size: without it narrow thumbnails sat edge to edge
        # and their file names ran into each other (seen on the 2026-12-05 screenshots)
        self.photos.setGridSize(QSize(212, 94 + 2 * self.photos.fontMetrics().lineSpacing() + 12))  # name, date
        self.photos.setWordWrap(True)
        self.photos.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.sightings = QTableWidget(0, 5)
        self.sightings.setObjectName("sightingsTable")
        self.sightings.setHorizontalHeaderLabels(["Date", "Place", "Survey", "Photo", "Confirmed by"])
        self.sightings.verticalHeader().hide()
        self.sightings.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history = QTableWidget(0, 3)
        self.history.setObjectName("historyTable")
        self.history.setHorizontalHeaderLabels(["When", "Who", "What"])
        self.history.verticalHeader().hide()
        self.history.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.photos, "Photos")
        self.tabs.addTab(self.sightings, "Sightings")
        self.tabs.addTab(self.history, "History")

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.title)
        right.addLayout(form)
        right.addWidget(self.tabs, 1)
        right_w = QWidget()
        right_w.setLayout(right)
        self.study = StudyPlots(start_job, self)
        self.study.status_message.connect(self.status_message)
        self.right_tabs = QTabWidget(self)
        self.right_tabs.setObjectName("catalogRightTabs")
        self.right_tabs.addTab(right_w, "Individual")
        self.right_tabs.addTab(self.study, "Study plots")

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_w)
        split.addWidget(self.right_tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self._rows: list = []
        self._set_details_enabled(False)

    # ------------------------------------------------------------------ data
    def set_store(self, store, refresh: bool = True) -> None:
        """refresh=False: the table is filled when the page is first shown (the caller marks it
        stale); opening a 1,000-photo project spent 50-90 ms of its event-loop stall here."""
        self.store = store
        self._last_merge = None
        self.undo_merge_button.hide()
        ro = store is None or store.read_only
        for w in (self.new_button, self.merge_button):
            w.setEnabled(not ro)
        self.study.set_folder(None if store is None else store.folder)
        if refresh:
            self.refresh()

    def refresh(self) -> None:
        self._rows = self.store.individuals() if self.store is not None else []
        self._fill_table(reload=True)
        self.study.refresh()

    def _fill_table(self, *_args, reload: bool = False) -> None:
        """The rows that pass the filter; the shown individual stays selected if it is one of them, else
        the first row. reload: the catalog was read again, so the details are too."""
        text = self.filter.text().strip().lower()
        rows = [r for r in self._rows if not text or text in r.code.lower() or text in (r.name or "").lower()]
        keep = self._current_id
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        select_row = -1
        for i, r in enumerate(rows):
            self.table.setItem(i, 0, _ro_item(r.code, r.id))
            self.table.setItem(i, 1, _ro_item(r.name or ""))
            n = _ro_item(str(r.n_photos))
            n.setData(Qt.ItemDataRole.DisplayRole, r.n_photos)
            self.table.setItem(i, 2, n)
            self.table.setItem(i, 3, _ro_item((r.last_seen or "")[:10]))
            self.table.setItem(i, 4, _ro_item(r.last_place or ""))
            if r.id == keep:
                select_row = i
        if select_row < 0 and rows:
            select_row = 0
        # Exactly this row, whatever keys are held: selectRow() follows the keyboard modifiers of the
        # moment (Shift, held to type a code in the filter, extended the selection; Ctrl toggled the row off).
        if select_row >= 0:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(self.table.model().index(select_row, 0), flags)
        else:
            self.table.clearSelection()
        self.table.resizeColumnToContents(0)
        self.table.blockSignals(False)
        self.count_label.setText(f"{len(rows)} of {len(self._rows)} individuals")
        # The details and the plots follow the table here, not through itemSelectionChanged: when the same row
        # number stays selected but now holds another individual (filtered), or the same one was edited
        # (renamed), the selection does not change and no signal would come.
        self._on_selection(reload=reload)

    def row_of(self, code: str) -> int:
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == code:
                return i
        return -1

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]

    def _on_selection(self, reload: bool = True) -> None:
        """Show the current row's individual (the last clicked of a multiple selection)."""
        ids = self.selected_ids()
        cur = self.table.currentRow()
        shown = ids[0] if ids else None
        if cur >= 0 and self.table.item(cur, 0) is not None:
            cid = self.table.item(cur, 0).data(Qt.ItemDataRole.UserRole)
            if cid in ids:
                shown = cid
        if reload or shown != self._current_id:
            self.show_individual(shown)

    def _set_details_enabled(self, on: bool) -> None:
        ro = self.store is None or self.store.read_only
        for w in (self.code_edit, self.name_edit, self.rename_button, self.notes, self.notes_button):
            w.setEnabled(on and not ro)

    def show_individual(self, individual_id: int | None) -> None:
        # the same individual again (another reviewer's change reloaded the view): what the user
        # is typing in its fields stays
        again = individual_id is not None and individual_id == self._current_id
        self._current_id = individual_id
        self.photos.clear()
        self.sightings.setRowCount(0)
        self.history.setRowCount(0)
        if individual_id is None or self.store is None:
            self.title.setText("<i>Select an individual</i>")
            self._set_details_enabled(False)
            self.study.set_selected(None)
            return
        ind = self.store.individual(individual_id)
        self.study.set_selected(ind.code)
        self._set_details_enabled(True)
        self.title.setText(f"<b>{ind.code}</b> {ind.name or ''} \u2014 {ind.n_photos} photos, first seen "
                           f"{(ind.first_seen or '?')[:10]}, last seen {(ind.last_seen or '?')[:10]}")
        if not (again and self.code_edit.isModified()):
            self.code_edit.setText(ind.code)
            self._shown_code = ind.code  # the rename states it: refused if someone renamed it since
        if not (again and self.name_edit.isModified()):
            self.name_edit.setText(ind.name or "")
        if not (again and self.notes.document().isModified()):
            self.notes.setPlainText(ind.notes or "")
        photos = photo_display.photos_of(self.store, individual_id)
        boxes = self.store.current_boxes()
        for p in photos:
            item = QListWidgetItem(f"{p.path.name}\n{(p.taken_at or '')[:10]}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setToolTip(str(p.path))
            self.photos.addItem(item)
        items = [(p.id, str(p.path), *photo_display.box_parts(boxes.get(p.id))) for p in photos]
        if items:
            w = Worker(photo_display.thumbnails, items, 200, name="catalog thumbs")
            w.progress.connect(self._on_thumb)
            self._start_job("catalog-thumbs", w)
        names = {p.id: p.path.name for p in photos}
        sightings = self.store.sightings(individual_id=individual_id)
        self.sightings.setRowCount(len(sightings))
        for i, s in enumerate(sightings):
            for c, text in enumerate(((s.date or "")[:16], s.place or "", s.survey or "",
                                      names.get(s.photo_id, str(s.photo_id)), s.confirmed_by or "")):
                self.sightings.setItem(i, c, _ro_item(text))
        self.sightings.resizeColumnsToContents()
        events = self.store.individual_history(individual_id)
        self.history.setRowCount(len(events))
        for i, e in enumerate(events):
            detail = e.get("detail") or {}
            what = e["event"] + (" " + ", ".join(f"{k}={v}" for k, v in detail.items()
                                                 if not isinstance(v, list)) if detail else "")
            for c, text in enumerate(((e.get("at") or "")[:19], e.get("who") or "", what)):
                self.history.setItem(i, c, _ro_item(text))

    def _on_thumb(self, event) -> None:
        if not isinstance(event, Thumbnail):
            return
        for i in range(self.photos.count()):
            item = self.photos.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == event.key:
                item.setIcon(QIcon(QPixmap.fromImage(qimage_from_array(event.image))))

    # ------------------------------------------------------------------ actions
    def _do(self, what: str, fn, touched: set[str]) -> bool:
        """Run one catalog edit; `touched`: the codes whose rankings it changes (a rename's old
        code, a merge's two; none for notes or a new, empty individual)."""
        try:
            fn()
        except Exception as exc:
            self.status_message.emit(f"{what} failed: {exc}")
            return False
        self.refresh()
        self.changed.emit(set(touched))
        return True

    def rename_current(self) -> None:
        if self._current_id is None:
            return
        code = self.code_edit.text().strip() or None
        name = self.name_edit.text().strip()
        iid, seen = self._current_id, self._shown_code
        if self._do("Rename", lambda: self.store.rename_individual(iid, code=code, name=name, expected_code=seen),
                    {seen} if seen else set()):
            self.code_edit.setModified(False)  # saved: later reloads show the catalog's values again
            self.name_edit.setModified(False)
            self.status_message.emit(f"Renamed to {code}" + (f" ({name})" if name else ""))

    def save_notes(self) -> None:
        if self._current_id is None:
            return
        iid, text = self._current_id, self.notes.toPlainText().strip() or None
        if self._do("Saving notes", lambda: self.store.set_notes(iid, text), set()):
            self.notes.document().setModified(False)
            self.status_message.emit("Notes saved")

    def new_individual(self) -> None:
        if self.store is None:
            return
        try:
            suggested = self.store.next_free_code()
        except Exception as exc:  # the code can still be typed: say why none is suggested, open the form
            suggested = ""
            self.status_message.emit(f"No code suggested for the new individual ({exc}); type one")
        dlg = NewIndividualDialog(suggested, self)
        if dlg.exec():
            code, name, notes = dlg.values()
            self._do("New individual", lambda: self.store.create_individual(code, name, notes), set())

    def merge_selected(self) -> None:
        """Merge two selected individuals after a confirmation; the current one keeps its code."""
        ids = self.selected_ids()
        if len(ids) != 2 or self.store is None:
            self.status_message.emit("Select exactly two individuals to merge (Ctrl+click)")
            return
        keep = self._current_id if self._current_id in ids else ids[0]
        absorb = ids[1] if ids[0] == keep else ids[0]
        k, a = self.store.individual(keep), self.store.individual(absorb)
        if not self._ask("Merge individuals",
                         f"Merge {a.code} ({a.n_photos} photos) into {k.code} ({k.n_photos} photos)?\n\n"
                         f"{a.code}'s photos and sightings become {k.code}'s."):
            return
        if self._do("Merge", lambda: self.store.merge_individuals(keep, absorb), {k.code, a.code}):
            self._last_merge = (keep, absorb, k.code, a.code)
            self.undo_merge_button.setVisible(True)
            self.status_message.emit(f"Merged {a.code} into {k.code}")

    def undo_merge(self) -> None:
        if self._last_merge is None or self.store is None:
            return
        keep, absorb, kc, ac = self._last_merge
        if self._do("Undo merge", lambda: self.store.unmerge_individuals(keep, absorb), {kc, ac}):
            self._last_merge = None
            self.undo_merge_button.hide()
            self.status_message.emit(f"Merge undone: {ac} is separate from {kc} again")
