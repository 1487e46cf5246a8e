"""The main window: the review page, the catalog page and the training page, put together.

Owns the GUI thread's store connection and the worker pool; the review workflow lives in
ReviewController, the catalog page in CatalogView. The window's own parts are mixins, one file
each: menus and shortcuts (window_menus), the status bar and running work (window_status),
opening projects and their model settings (window_projects), import and export (window_sharing).
Project start-up (last project or a new demo project) runs in workers so the window is usable at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.gui.app_icon import app_icon
from whaleid_gui.gui.box_editor import BoxEditor
from whaleid_gui.gui.catalog_poll import CatalogPoll
from whaleid_gui.gui.catalog_view import CatalogView
from whaleid_gui.gui.compare_panel import ComparePanel
from whaleid_gui.gui.display_adjust import DisplayAdjustBar
from whaleid_gui.gui.match_review import MatchReviewPanel
from whaleid_gui.gui.photo_queue import PhotoQueue
from whaleid_gui.gui.review_controller import ReviewController
from whaleid_gui.gui.training_panel import TrainingPanel
from whaleid_gui.gui.window_menus import WindowMenus
from whaleid_gui.gui.window_projects import WindowProjects
from whaleid_gui.gui.window_sharing import WindowSharing
from whaleid_gui.gui.window_status import WindowStatus
from whaleid_gui.workers import WorkerPool


class MainWindow(WindowMenus, WindowStatus, WindowProjects, WindowSharing, QMainWindow):
    project_opened = Signal(str)
    busy_changed = Signal(bool)
    CLOSE_WAIT_MS = 30000  # closing a project: how long to wait for cancelled work to stop
    QUIT_WAIT_MS = 60000  # quitting

    def __init__(self, engine: EngineConfig | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("WhaleID")
        icon = app_icon()
        if icon is not None:
            self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self.base_engine = engine or EngineConfig()  # before the project's settings (weights, rerank)
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
        # other reviewers of a shared catalog: their changes reload the views, their claims show
        self.catalog_poll = CatalogPoll(self.controller, self)
        self.statusBar().addPermanentWidget(self.catalog_poll.label)
        self._build_actions()
        self._build_menus()
        self.resize(1366, 740)
        self.setMinimumSize(1000, 600)
        settings = QSettings()
        geo = settings.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)

    # ------------------------------------------------------------------ pages
    def _on_page(self, index: int) -> None:
        if index == 1 and self._catalog_stale:
            self.catalog.refresh()
            self._catalog_stale = False

    def _catalog_dirty(self) -> None:
        self._catalog_stale = True
        if self.pages.currentIndex() == 1:
            self._on_page(1)

    def _on_catalog_changed(self, touched: set[str] | None = None) -> None:
        self.controller.ahead.catalog_edited(touched)  # the rankings listing those individuals go
        self.controller.refresh_queue()

    def _set_engine_label(self, weights: str, device: str) -> None:
        self.engine_label.setText(f"Model: {weights} \u00b7 device: {device}")

    # ------------------------------------------------------------------ messages
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

    # ------------------------------------------------------------------ quit
    def closeEvent(self, event) -> None:
        """Work still running: ask, then cancel it and wait for it before closing."""
        self.controller.finish_decisions()  # a confirm on its way to the store is recorded, not cancelled
        running = self.running_work()
        if running and not self.ask("Work is running", f"{', '.join(running)} still running. Stop it and quit?"):
            event.ignore()
            return
        self.controller.pixels.forget()  # nothing more loaded ahead while the work stops
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

