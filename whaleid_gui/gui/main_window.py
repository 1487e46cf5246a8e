"""The main window: menus and shortcuts, the review page, the catalog page, the status bar.

Owns the GUI thread's store connection and the worker pool; the review workflow lives in
ReviewController and the catalog page in CatalogView. Project start-up (last project or a
new demo project) runs in workers so the window is usable at once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.application.project_engine import project_engine
from whaleid_gui.gui import jobs
from whaleid_gui.gui.box_editor import BoxEditor
from whaleid_gui.gui.catalog_view import CatalogView
from whaleid_gui.gui.compare_panel import ComparePanel
from whaleid_gui.gui.dialogs import ShortcutsDialog
from whaleid_gui.gui.display_adjust import DisplayAdjustBar
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.gui.review_controller import ReviewController
from whaleid_gui.gui.training_panel import TrainingPanel
from whaleid_gui.workers import Worker, WorkerPool

MAX_RECENT = 8
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
SHARING_EXPORTS = ("wildbook", "dwca", "capture-history")  # core.catalog.sharing: they report what they skip
FILE_FILTERS = {  # default file name's suffix -> the save dialog's filter (the name's suffix picks the format)
    ".json": "JSON (*.json)",
    ".csv": "CSV (*.csv)",
    ".xlsx": "Excel workbook (*.xlsx);;CSV (*.csv)",
    ".zip": "Zip archive (*.zip)",
    ".inp": "MARK input (*.inp);;CSV (*.csv)",
}
# Jobs that only show something (thumbnails, a photo, the model's name): stopped without asking.
QUIET_JOBS = frozenset({"thumbnails", "catalog thumbs", "candidate thumbs", "individual photos", "engine", "photo",
                        "query", "candidate crop", "keypoints", "training data", "device", "study plots"})


class MainWindow(QMainWindow):
    project_opened = Signal(str)
    busy_changed = Signal(bool)
    CLOSE_WAIT_MS = 30000  # closing a project: how long to wait for cancelled work to stop
    QUIT_WAIT_MS = 60000  # quitting

    def __init__(self, engine: jobs.EngineConfig | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("WhaleID")
        from whaleid_gui.gui.app import app_icon

        icon = app_icon()
        if icon is not None:
            self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self.base_engine = engine or jobs.EngineConfig()  # before the project's settings (weights, rerank)
        self.engine = self.base_engine
        self.store = None
        self.folder: Path | None = None
        self.pool = WorkerPool(self)
        self.pool.busy_changed.connect(self.busy_changed)
        self.pool.superseded.connect(self._on_superseded)
        self.last_error: str | None = None

        # ---- review page
        self.queue = PhotoQueue()
        self.editor = BoxEditor()
        self.compare = ComparePanel()
        self.review = MatchReviewPanel()
        self.center = QTabWidget()
        self.center.setObjectName("centerTabs")
        self.center.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        editor_page = QWidget()
        ev = QVBoxLayout(editor_page)
        ev.setContentsMargins(0, 0, 0, 0)
        self.editor_hint = QLabel("Drag to draw the box \u00b7 drag a handle to resize \u00b7 wheel zooms at the "
                                  "cursor \u00b7 right-drag pans \u00b7 F1 lists all keys")
        self.editor_hint.setStyleSheet("color:#555;")
        ev.addWidget(self.editor)
        ev.addWidget(self.editor_hint)
        self.center.addTab(editor_page, "Photo && box")
        self.center.addTab(self.compare, "Compare")
        # display-only brightness/contrast for both tabs; reset when another photo is shown
        self.adjust = DisplayAdjustBar()
        self.adjust.changed.connect(self.editor.set_adjust)
        self.adjust.changed.connect(self.compare.set_adjust)
        self.queue.photo_selected.connect(lambda _pid: self.adjust.reset())
        center_box = QWidget()
        cb = QVBoxLayout(center_box)
        cb.setContentsMargins(0, 0, 0, 0)
        cb.setSpacing(2)
        cb.addWidget(self.center, 1)
        cb.addWidget(self.adjust)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("reviewSplitter")
        split.addWidget(self.queue)
        split.addWidget(center_box)
        split.addWidget(self.review)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 640, 420])
        split.setChildrenCollapsible(False)
        self.review_splitter = split

        self.catalog = CatalogView(self._start_job, self.ask)
        self.pages = QTabWidget()
        self.pages.setObjectName("pages")
        self.pages.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pages.addTab(split, "Review")
        self.pages.addTab(self.catalog, "Catalog")
        self.training = TrainingPanel(self._start_job)
        self.pages.addTab(self.training, "Training")
        self.pages.currentChanged.connect(self._on_page)

        self.banner = QLabel()
        self.banner.setObjectName("readOnlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#fff1b8; color:#5a4300; padding:4px; font-weight:bold;")
        self.banner.hide()
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(2, 2, 2, 2)
        cl.setSpacing(2)
        cl.addWidget(self.banner)
        cl.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.controller = ReviewController(self.queue, self.editor, self.review, self.compare,
                                           self.pool, self.engine, error_sink=self.show_error)
        self.review.candidate_clicked.connect(lambda _i: self.center.setCurrentIndex(1))  # README: a click opens Compare
        self.controller.status_message.connect(self.say)
        self.controller.store_changed.connect(self._catalog_dirty)
        self.controller.engine_known.connect(self._set_engine_label)
        self.controller.box_model_state.connect(lambda text: self.box_label.setText(text))
        self.catalog.status_message.connect(self.say)
        self.catalog.changed.connect(self._on_catalog_changed)
        self.training.status_message.connect(self.say)
        self.training.activate_requested.connect(self.activate_weights)
        self._catalog_stale = True

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self.resize(1366, 740)
        self.setMinimumSize(1000, 600)
        settings = QSettings()
        geo = settings.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)

    # ------------------------------------------------------------------ chrome
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.job_label = QLabel()
        self.job_bar = QProgressBar()
        self.job_bar.setMaximumWidth(180)
        self.job_bar.setMaximumHeight(16)
        self.job_cancel = QPushButton("Cancel")
        self.job_cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.job_cancel.clicked.connect(self._cancel_job)
        for w in (self.job_label, self.job_bar, self.job_cancel):
            w.hide()
            sb.addPermanentWidget(w)
        self.project_label = QLabel("No project")
        self.engine_label = QLabel("Model: not loaded yet \u00b7 device: ?")
        self.engine_label.setObjectName("engineLabel")
        self.box_label = QLabel("")
        self.box_label.setObjectName("boxModelLabel")
        sb.addPermanentWidget(self.project_label)
        sb.addPermanentWidget(self.box_label)
        sb.addPermanentWidget(self.engine_label)
        self._job: Worker | None = None

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
        self.act_help = A("&Keyboard shortcuts", ["F1", "?"], self.show_shortcuts)
        self.act_about = A("&About WhaleID", None, self._about)
        # The review keys must not fire while typing a name or a note.
        self._review_keys = [self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_rotate,
                             self.act_flip, self.act_delete_box, self.act_accept, self.act_compare,
                             self.act_confirm, self.act_reject, self.act_newind, self.act_skip, self.act_next,
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
        for a in (self.act_confirm, self.act_reject, self.act_newind, self.act_skip, self.act_rematch,
                  self.act_next, self.act_prev, self.act_next_c, self.act_prev_c, self.act_quality, self.act_comment):
            r.addAction(a)
        r.addSeparator()
        r.addAction(self.act_rerank)
        h = mb.addMenu("&Help")
        h.addAction(self.act_help)
        h.addAction(self.act_about)
        self._menus = [("File", f), ("Edit", e), ("View", v), ("Box", b), ("Review", r), ("Help", h)]

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

    def _on_page(self, index: int) -> None:
        if index == 1 and self._catalog_stale:
            self.catalog.refresh()
            self._catalog_stale = False

    def _catalog_dirty(self) -> None:
        self._catalog_stale = True
        if self.pages.currentIndex() == 1:
            self._on_page(1)

    def _on_catalog_changed(self) -> None:
        self.controller.results.clear()  # codes or references changed: rank again
        self.controller.refresh_queue()

    def _set_engine_label(self, weights: str, device: str) -> None:
        self.engine_label.setText(f"Model: {weights} \u00b7 device: {device}")

    # ------------------------------------------------------------------ messages
    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def ask(self, title: str, text: str) -> bool:
        """Yes/No question (tests replace this method)."""
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def show_error(self, text: str) -> None:
        """An error the user must see; the app stays usable (tests read last_error)."""
        self.last_error = text
        self.say(text)
        if not getattr(self, "_quiet_errors", False):
            box = QMessageBox(QMessageBox.Icon.Warning, "WhaleID", text, QMessageBox.StandardButton.Ok, self)
            box.setModal(False)
            box.show()

    # ------------------------------------------------------------------ jobs in the status bar
    def _start_job(self, kind: str, worker: Worker) -> Worker:
        return self.pool.start(kind, worker)

    def run_job(self, kind: str, label: str, fn, *args, on_result=None) -> Worker:
        """A long job shown in the status bar with progress and Cancel; failure -> its reason."""
        w = Worker(fn, *args, name=kind)
        w.label = label  # named in the status bar if a newer job of this kind cancels it
        self._job = w
        self.job_label.setText(label)
        self.job_bar.setRange(0, 0)
        for x in (self.job_label, self.job_bar, self.job_cancel):
            x.show()

        def progress(ev):
            if self._job is not w:  # the status bar shows the newest job
                return
            total = getattr(ev, "total", 0)
            if total:
                self.job_bar.setRange(0, total)
                self.job_bar.setValue(getattr(ev, "done", 0))
            msg = getattr(ev, "message", "")
            if msg:
                self.job_label.setText(f"{label}: {msg}")

        def done():
            if self._job is w:
                for x in (self.job_label, self.job_bar, self.job_cancel):
                    x.hide()
                self._job = None

        w.progress.connect(progress)
        if on_result is not None:
            w.result.connect(on_result)
        w.errored.connect(lambda reason: self.show_error(f"{label} failed: {reason}"))
        w.finished.connect(done)
        return self.pool.start(kind, w)

    def _on_superseded(self, kind: str, old: Worker) -> None:
        label = getattr(old, "label", "")
        if label:  # a status-bar job; view jobs (thumbnails, matching) are replaced without a word
            self.say(f"{label}: cancelled because a newer one started")

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.say("Cancelling\u2026")

    # ------------------------------------------------------------------ start-up
    def start(self, project: str | None = None) -> None:
        """Open `project`, else the last project, else create (or reopen) the demo project."""
        if project:
            self.open_project(project)
            return
        last = QSettings().value("project/last", "", type=str)
        if last and jobs.is_project(last):
            self.open_project(last)
            return
        self.start_demo()

    def demo_folder(self) -> Path:
        return jobs.user_data_dir() / "demo"

    # The first-run demo: 60 survey photos at 640x427 against 40 individuals (about a minute to
    # draw, in a worker). Tests set this True for the 8-photo demo at 256x171.
    small_demo = False

    def start_demo(self, force_new: bool = False, small: bool | None = None) -> None:
        small = self.small_demo if small is None else small
        target = self.demo_folder()
        project = target / "project"
        if jobs.is_project(project) and not force_new:
            self.open_project(str(project))
            return
        if target.exists() and any(target.iterdir()):
            import shutil

            shutil.rmtree(target)  # an interrupted demo: start again (it is ours, in our data dir)
        target.mkdir(parents=True, exist_ok=True)
        self.editor.show_message("Creating the demo project (synthetic flukes)\u2026")
        self.review.clear("Creating the demo project\u2026")
        self.run_job("demo", "Creating the demo project", jobs.create_demo_project, str(target), small,
                     on_result=self.open_project)

    # ------------------------------------------------------------------ projects
    def open_project(self, folder: str) -> bool:
        from whaleid_gui.core.catalog import ProjectInUseError, ProjectStore

        folder_p = Path(folder)
        if not self.close_project():
            return False
        banner = ""
        try:
            store = ProjectStore.open(folder_p)
        except ProjectInUseError as exc:
            try:
                store = ProjectStore.open(folder_p, read_only=True)
            except Exception as exc2:
                self.show_error(f"Cannot open {folder}: {exc2}")
                return False
            banner = (f"Read-only: this project is in use by {exc.holder} since {exc.since}. "
                      "You can look, but not change anything; close it there to edit here.")
        except Exception as exc:
            self.show_error(f"Cannot open {folder}: {exc}")
            return False
        self.store, self.folder = store, folder_p
        self.banner.setText(banner)
        self.banner.setVisible(bool(banner))
        self.project_label.setText(f"Project: {folder_p.name}" + (" (read-only)" if store.read_only else ""))
        self.setWindowTitle(f"WhaleID \u2014 {folder_p}")
        for a in (self.act_import, self.act_import_folder, self.act_import_csv, self.act_import_wildbook):
            a.setEnabled(not store.read_only)
        self._remember(str(folder_p))
        self._apply_project_settings(store, folder_p)
        self.controller.set_store(store, folder_p)
        self.catalog.set_store(store)
        self.training.set_project(store, folder_p, self.engine)
        self._catalog_stale = False
        self._load_engine_info()
        self.project_opened.emit(str(folder_p))
        n = len(self.queue._photos)
        self.say(f"Opened {folder_p} \u2014 {n} photos")
        return True

    def close_project(self) -> bool:
        """Close the open project; work still running is stopped after asking (like quitting).

        False when the project stays open: the user kept it, or a job did not stop in time.
        """
        if self.store is None:
            return True
        running = self.running_work()
        if running and not self.ask("Work is running",
                                    f"{', '.join(running)} still running. Stop it and close the project?"):
            self.say("The project stays open: work is still running")
            return False
        if not self.stop_work(self.CLOSE_WAIT_MS):
            self.show_error(f"{', '.join(self.running_work(all_jobs=True))} did not stop within "
                            f"{self.CLOSE_WAIT_MS / 1000:g} s; the project stays open. Try again when it has stopped.")
            return False
        self.controller.set_store(None, None)
        self.catalog.set_store(None)
        self.training.set_project(None, None, self.base_engine)
        try:
            self.store.close()
        finally:
            self.store, self.folder = None, None
        self.banner.hide()
        self.project_label.setText("No project")
        return True

    def running_work(self, all_jobs: bool = False) -> list[str]:
        """Names of the running jobs worth asking about (all of them with all_jobs)."""
        return sorted({w.name for w in self.pool.running() if all_jobs or w.name not in QUIET_JOBS})

    def stop_work(self, msecs: int) -> bool:
        """Cancel every job and wait up to msecs for them to end, with the window still painting and
        saying so (never a silent freeze). False if a job is still running after the wait."""
        from PySide6.QtWidgets import QApplication

        if not self.pool.running():
            return self.pool.shutdown(msecs)
        self.say("Stopping background work\u2026")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return self.pool.shutdown(msecs, keep_alive=lambda: QApplication.processEvents(
                QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents))
        finally:
            QApplication.restoreOverrideCursor()

    # ------------------------------------------------------------------ model settings
    def _apply_project_settings(self, store, folder: Path) -> None:
        """The project's active weights and re-ranking (settings.json) on top of the base engine."""
        engine, message = project_engine(store.settings, folder, self.base_engine)
        if message:
            self.say(message)
        self.act_rerank.blockSignals(True)
        self.act_rerank.setChecked(engine.rerank == "keypoints")
        self.act_rerank.blockSignals(False)
        self._set_engine(engine)

    def _set_engine(self, engine: jobs.EngineConfig) -> None:
        self.engine = engine
        self.controller.engine = engine
        self.training.set_engine(engine)

    def activate_weights(self, path: str) -> None:
        """Make trained weights the project's active model and rank the current photo again."""
        if self.store is None or self.folder is None:
            return
        p = Path(path)
        try:
            rel = str(p.relative_to(self.folder)) if p.is_relative_to(self.folder) else str(p)
            self.store.update_settings(weights=rel)
        except Exception as exc:
            self.show_error(f"Cannot make {p.name} active: {exc}")
            return
        self._set_engine(replace(self.engine, weights=str(p), model_factory=None))
        self._rank_again(f"Active model: {p.name}")

    def set_rerank(self, on: bool) -> None:
        if self.store is not None and not self.store.read_only:
            try:
                self.store.update_settings(rerank="keypoints" if on else "none")
            except Exception as exc:
                self.say(f"Setting not saved: {exc}")
        self._set_engine(replace(self.engine, rerank="keypoints" if on else "none"))
        self._rank_again("Keypoint re-ranking " + ("on" if on else "off"))

    def _rank_again(self, message: str) -> None:
        self.controller.results.clear()
        if self.store is not None:
            self._load_engine_info()
            pid = self.controller.photo_id
            if pid is not None and self.store.box(pid) is not None:
                self.controller.rematch()
        self.say(message)

    def _load_engine_info(self) -> None:
        """Load the model in a worker (torch is imported there, after the window is up)."""
        w = Worker(jobs.engine_info, self.engine, name="engine")
        w.result.connect(lambda info: self._set_engine_label(*info))
        w.errored.connect(lambda reason: self.engine_label.setText(f"Model failed to load: {reason}"))
        self.pool.start("engine", w)
        self.engine_label.setText("Model: loading\u2026")

    def _remember(self, folder: str) -> None:
        s = QSettings()
        s.setValue("project/last", folder)
        recent = [r for r in (s.value("project/recent", [], type=list) or []) if r != folder]
        s.setValue("project/recent", ([folder] + recent)[:MAX_RECENT])

    def recent_projects(self) -> list[str]:
        return [r for r in (QSettings().value("project/recent", [], type=list) or []) if r]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for r in self.recent_projects():
            a = self.recent_menu.addAction(r)
            a.triggered.connect(lambda _c=False, r=r: self.open_project(r))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def new_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new project (empty)")
        if folder:
            self.new_project(folder)

    def new_project(self, folder: str) -> bool:
        from whaleid_gui.core.catalog import ProjectStore

        try:
            ProjectStore.create(folder).close()
        except Exception as exc:
            self.show_error(f"Cannot create a project in {folder}: {exc}")
            return False
        return self.open_project(folder)

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a WhaleID project folder")
        if folder:
            self.open_project(folder)

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
            self.controller.refresh_queue()
            self.controller.load_thumbnails()
            self.controller.propose_missing()
        return self.run_job("import-photos", "Importing photos", jobs.import_photos, str(self.folder), list(paths),
                            on_result=done)

    def import_catalog_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a catalog CSV (Image,Id)", "", "CSV (*.csv)")
        if path:
            self.import_catalog(path)

    def import_catalog(self, path: str) -> Worker | None:
        return self._import_table("import-catalog", "Importing the catalog", jobs.import_catalog, path)

    def import_wildbook_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a Wildbook / Flukebook spreadsheet", "",
                                              "Wildbook spreadsheet (*.xlsx *.csv);;All files (*)")
        if path:
            self.import_wildbook(path)

    def import_wildbook(self, path: str) -> Worker | None:
        """Encounters of a Wildbook bulk-import spreadsheet or Flukebook export (photos beside it)."""
        return self._import_table("import-wildbook", "Importing the Wildbook spreadsheet", jobs.import_wildbook, path)

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
            return self.run_job("export", "Exporting", jobs.export_sharing, str(self.folder), kind, path,
                                options or {}, on_result=self._exported)
        return self.run_job("export", "Exporting", jobs.export_catalog, str(self.folder), kind, path,
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

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # ------------------------------------------------------------------ quit
    def closeEvent(self, event) -> None:
        """Work still running: ask, then cancel it and wait for it before closing."""
        running = self.running_work()
        if running and not self.ask("Work is running", f"{', '.join(running)} still running. Stop it and quit?"):
            event.ignore()
            return
        if not self.stop_work(self.QUIT_WAIT_MS):  # Qt must never destroy a running QThread
            self.show_error(f"{', '.join(self.running_work(all_jobs=True))} did not stop within "
                            f"{self.QUIT_WAIT_MS / 1000:g} s, so WhaleID stays open. Quit again once it has stopped.")
            event.ignore()
            return
        QSettings().setValue("window/geometry", self.saveGeometry())
        if self.store is not None:
            self.store.close()
            self.store = None
        event.accept()


def _later(fn, ms: int = 0) -> None:
    QTimer.singleShot(ms, fn)
