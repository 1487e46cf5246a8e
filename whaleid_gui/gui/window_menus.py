"""The main window's actions, shortcuts and menus (and the keyboard-shortcut list built from them).

A mixin of MainWindow: the slots it binds (controller, editor, review, adjust bar, pages) are the
window's; the review keys are switched off while a text field has the focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from whaleid_gui.gui.dialogs import ShortcutsDialog

EXPORTS = [  # (name in core.catalog.exporters.EXPORTERS, menu text, default file name)
    ("catalog", "Catalog: individuals and their photos (CSV)\u2026", "catalog.csv"),
    ("sightings", "Sightings (CSV)\u2026", "sightings.csv"),
    ("decisions", "Decisions / audit trail (CSV)\u2026", "decisions.csv"),
    ("submission", "Top-5 predictions (CSV)\u2026", "submission.csv"),
    ("coco", "Boxes (COCO JSON)\u2026", "boxes.json"),
    ("wildbook", "Wildbook / Flukebook bulk import (Excel, photos beside it)\u2026", "flukebook.xlsx"),
    ("dwca", "Darwin Core Archive for OBIS / GBIF (zip)\u2026", "dwca.zip"),
    ("capture-history", "Capture histories for MARK / RMark (.inp or CSV)\u2026", "capture_history.inp"),
]


class WindowMenus:
    """Actions and menus of MainWindow (see the module's docstring)."""

    def _action(self, text: str, keys, slot, tip: str = "") -> QAction:
        a = QAction(text, self)
        if keys:
            seqs = keys if isinstance(keys, list) else [keys]
            a.setShortcuts([QKeySequence(k) for k in seqs])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(slot)
        if tip:
            a.setStatusTip(tip)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        c = self.controller
        A = self._action
        self.act_new = A("&New project\u2026", QKeySequence.StandardKey.New, self.new_project_dialog)
        self.act_open = A("&Open project\u2026", QKeySequence.StandardKey.Open, self.open_project_dialog)
        self.act_demo = A("Open the &demo project", None, lambda: self.start_demo(force_new=False))
        self.act_import = A("&Import photos\u2026", "Ctrl+I", self.import_photos_dialog)
        self.act_import_folder = A("Import a photo &folder\u2026", "Ctrl+Shift+I", self.import_folder_dialog)
        self.act_import_csv = A("Import catalog &CSV\u2026", None, self.import_catalog_dialog)
        self.act_import_wildbook = A("Import a &Wildbook / Flukebook spreadsheet\u2026", None,
                                     self.import_wildbook_dialog)
        self.act_sharing = A("&Sharing settings (species, places, dataset)\u2026", None,
                             lambda: self.sharing_settings_dialog(),
                             "What the Wildbook and Darwin Core exports write")
        self.act_quit = A("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.act_undo = A("&Undo", QKeySequence.StandardKey.Undo, c.undo, "Undo the last decision or box edit")
        self.act_redo = A("&Redo box edit", [QKeySequence.StandardKey.Redo, "Ctrl+Y"], c.redo)
        self.act_fit = A("&Fit photo", "F", self.editor.fit)
        self.act_100 = A("Actual size (1:1)", "1", self.editor.one_to_one)
        self.act_zoom_in = A("Zoom in", "+", lambda: self.editor.zoom_by(1.25))
        self.act_zoom_out = A("Zoom out", "-", lambda: self.editor.zoom_by(0.8))
        self.act_brighter = A("Brighter (display only)", "Ctrl+Up", lambda: self.adjust.step_brightness(1))
        self.act_darker = A("Darker (display only)", "Ctrl+Down", lambda: self.adjust.step_brightness(-1))
        self.act_more_contrast = A("More contrast (display only)", "Ctrl+Right", lambda: self.adjust.step_contrast(1))
        self.act_less_contrast = A("Less contrast (display only)", "Ctrl+Left", lambda: self.adjust.step_contrast(-1))
        self.act_adjust_reset = A("Reset brightness/contrast", "Ctrl+0", self.adjust.reset)
        self.act_rotate = A("&Rotate 180\u00b0", "R", self.editor.rotate_180)
        self.act_flip = A("F&lip (mirror)", "M", self.editor.toggle_flip)
        self.act_delete_box = A("&Delete box", [QKeySequence.StandardKey.Delete, "Backspace"], self.editor.delete_box)
        self.act_accept = A("&Accept proposed box", "A", c.accept_proposal)
        self.act_compare = A("Toggle photo / &compare", "V", self._toggle_compare)
        self.act_confirm = A("&Confirm: this is the selected candidate", ["C", "Return"], self.review.confirm)
        self.act_reject = A("Re&ject the selected candidate", "X", self.review.reject)
        self.act_confirm_encounter = A("Confirm the &encounter together\u2026", "Shift+C", c.encounter.start,
                                       "The encounter's photos that rank the selected individual first, "
                                       "after a side-by-side preview; one undo step")
        self.act_newind = A("&New individual", "N", c.begin_new_individual)
        self.act_skip = A("&Skip photo", "S", c.skip)
        self.act_rematch = A("Match &again", "F5", c.rematch)
        self.act_next = A("Next photo", ["J", "PgDown"], lambda: self.queue.step(1))
        self.act_prev = A("Previous photo", ["K", "PgUp"], lambda: self.queue.step(-1))
        self.act_next_c = A("Next candidate", "Down", lambda: self.review.move_selection(1))
        self.act_prev_c = A("Previous candidate", "Up", lambda: self.review.move_selection(-1))
        self.act_quality = A("Cycle the photo's &quality flag", "Q", self.review.cycle_quality,
                             "good / fair / poor / unusable / unset, saved at once")
        self.act_comment = A("Co&mment on the photo", "Ctrl+E", self.review.edit_comment,
                             "Type a one-line comment; Enter saves, Esc cancels")
        self.act_blind = A("&Blind mode (hide IDs)", "B", lambda: self.review.blind_box.toggle())
        self.act_catalog = A("Show the &catalog", "Ctrl+2", lambda: self.pages.setCurrentIndex(1))
        self.act_review = A("Show the &review", "Ctrl+1", lambda: self.pages.setCurrentIndex(0))
        self.act_training = A("Show the &training", "Ctrl+3", lambda: self.pages.setCurrentIndex(2))
        self.act_rerank = A("&Keypoint re-ranking (verify the top candidates)", None, self.set_rerank,
                            "Re-rank the candidates by verified keypoint matches (project setting)")
        self.act_rerank.setCheckable(True)
        self.act_rerank.setChecked(True)
        self.act_fin_edges = A("Also match the &trailing edge (dorsal fins)", None, self.set_fin_edges,
                               "Fin catalogs only: the notches of the fin's trailing edge as a third score "
                               "(project setting; a fluke or a flank has no such edge)")
        self.act_fin_edges.setCheckable(True)
        self.act_help = A("&Keyboard shortcuts and scores", ["F1", "?"], self.show_shortcuts)
        self.act_about = A("&About WhaleID", None, self._about)
        # The review keys must not fire while typing a name or a note.
        self._review_keys = [self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_rotate,
                             self.act_flip, self.act_delete_box, self.act_accept, self.act_compare,
                             self.act_confirm, self.act_confirm_encounter, self.act_reject, self.act_newind,
                             self.act_skip, self.act_next,
                             self.act_prev, self.act_next_c, self.act_prev_c, self.act_blind, self.act_help,
                             self.act_brighter, self.act_darker, self.act_more_contrast, self.act_less_contrast,
                             self.act_adjust_reset, self.act_quality, self.act_comment]
        from PySide6.QtWidgets import QApplication

        QApplication.instance().focusChanged.connect(self._on_focus)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        for a in (self.act_new, self.act_open):
            f.addAction(a)
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addAction(self.act_demo)
        f.addSeparator()
        for a in (self.act_import, self.act_import_folder, self.act_import_csv, self.act_import_wildbook):
            f.addAction(a)
        self.export_menu = f.addMenu("&Export")
        self.export_actions: dict[str, QAction] = {}
        for kind, text, default in EXPORTS:
            a = QAction(text, self)
            a.triggered.connect(lambda _c=False, k=kind, d=default: self.export_dialog(k, d))
            self.export_menu.addAction(a)
            self.export_actions[kind] = a
        f.addAction(self.act_sharing)
        f.addSeparator()
        f.addAction(self.act_quit)
        e = mb.addMenu("&Edit")
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        v = mb.addMenu("&View")
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_rotate, self.act_flip,
                  self.act_compare, self.act_blind, self.act_review, self.act_catalog, self.act_training):
            v.addAction(a)
        v.addSeparator()
        for a in (self.act_brighter, self.act_darker, self.act_more_contrast, self.act_less_contrast,
                  self.act_adjust_reset):
            v.addAction(a)
        b = mb.addMenu("&Box")
        for a in (self.act_delete_box, self.act_accept):
            b.addAction(a)
        r = mb.addMenu("&Review")
        for a in (self.act_confirm, self.act_confirm_encounter, self.act_reject, self.act_newind, self.act_skip, self.act_rematch,
                  self.act_next, self.act_prev, self.act_next_c, self.act_prev_c, self.act_quality, self.act_comment):
            r.addAction(a)
        r.addSeparator()
        r.addAction(self.act_rerank)
        r.addAction(self.act_fin_edges)
        self._model_menu(r.addMenu("&Model (species profile)"))
        h = mb.addMenu("&Help")
        h.addAction(self.act_help)
        h.addAction(self.act_about)
        self._menus = [("File", f), ("Edit", e), ("View", v), ("Box", b), ("Review", r), ("Help", h)]

    def _model_menu(self, menu) -> None:
        """One checkable entry per named model, plus the project's trained weights when active."""
        from PySide6.QtGui import QActionGroup

        from whaleid_gui.core.model_names import MODEL_NAMES

        group = QActionGroup(self)
        self.model_actions: dict[str, QAction] = {}
        for name, text in MODEL_NAMES.items():
            act = QAction(text, self)
            act.setCheckable(True)
            act.triggered.connect(lambda _checked=False, n=name: self.set_model(n))
            group.addAction(act)
            menu.addAction(act)
            self.model_actions[name] = act
        self.act_trained_model = QAction("Trained weights (make a run active in the Training page)", self)
        self.act_trained_model.setCheckable(True)
        self.act_trained_model.setEnabled(False)
        group.addAction(self.act_trained_model)
        menu.addAction(self.act_trained_model)

    def shortcut_groups(self) -> list[tuple[str, list]]:
        return [(name, [a for a in menu.actions() if not a.isSeparator() and a.menu() is None])
                for name, menu in self._menus]

    def show_shortcuts(self) -> ShortcutsDialog:
        dlg = ShortcutsDialog(self.shortcut_groups(), self)
        dlg.setModal(False)
        dlg.show()
        self.shortcuts_dialog = dlg
        return dlg

    def _about(self) -> None:
        QMessageBox.about(self, "About WhaleID", "WhaleID \u2014 photo-identification of humpback whale flukes.")

    def _on_focus(self, _old, new) -> None:
        from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QPlainTextEdit, QTextEdit

        typing = isinstance(new, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox))
        for a in self._review_keys:
            a.setEnabled(not typing)

    def _toggle_compare(self) -> None:
        self.center.setCurrentIndex(1 - self.center.currentIndex())
