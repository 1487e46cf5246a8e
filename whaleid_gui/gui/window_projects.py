"""Opening and closing projects in the main window: the last project or the demo at start-up, the
recent list, the lock (a project in use elsewhere opens read-only), and the project's model
settings (active weights, keypoint re-ranking) on top of the app's base engine.

A mixin of MainWindow (it hands the open store to the controller, catalog and training panels).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from whaleid_gui.application import demo_project, engine_process, projects
from whaleid_gui.application.photo_subjects import DEFAULT_SUBJECT
from whaleid_gui.application.project_engine import FIN_EDGES, EngineConfig, project_engine, weights_setting
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

MAX_RECENT = 8


class WindowProjects:
    """Project opening and model settings of MainWindow (see the module's docstring)."""

    # ------------------------------------------------------------------ start-up
    def start(self, project: str | None = None) -> None:
        """Open `project`, else the last project, else create (or reopen) the demo project. Nothing
        here waits for torch: the model loads in the engine process (application/engine_process.py),
        which make_app started."""
        if project:
            self.open_project(project)
            return
        last = QSettings().value("project/last", "", type=str)
        if last and projects.is_project(last):
            self.open_project(last)
            return
        self.start_demo()

    def demo_folder(self) -> Path:
        return projects.user_data_dir() / "demo"

    # The first-run demo: 60 survey photos at 640x427 against 40 individuals (about a minute to
    # draw, in a worker). Tests set this True for the 8-photo demo at 256x171.
    small_demo = False

    def start_demo(self, force_new: bool = False, small: bool | None = None) -> None:
        small = self.small_demo if small is None else small
        target = self.demo_folder()
        project = target / "project"
        if projects.is_project(project) and not force_new:
            self.open_project(str(project))
            return
        if target.exists() and any(target.iterdir()):
            import shutil

            shutil.rmtree(target)  # an interrupted demo: start again (it is ours, in our data dir)
        target.mkdir(parents=True, exist_ok=True)
        self.editor.show_message("Creating the demo project (synthetic flukes)\u2026")
        self.review.clear("Creating the demo project\u2026")
        self.run_job("demo", "Creating the demo project", demo_project.create_demo_project, str(target), small,
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
        shared = " (shared, PostgreSQL)" if store.backend == "postgresql" else ""
        self.project_label.setText(f"Project: {folder_p.name}{shared}" + (" (read-only)" if store.read_only else ""))
        self.project_label.setToolTip(f"Catalog: {store.location}")
        self.setWindowTitle(f"WhaleID \u2014 {folder_p}" + (f" \u2014 {store.location}" if shared else ""))
        for a in (self.act_import, self.act_import_folder, self.act_import_csv, self.act_import_wildbook):
            a.setEnabled(not store.read_only)
        self._remember(str(folder_p))
        self._apply_project_settings(store, folder_p)
        self.controller.set_store(store, folder_p)
        on_catalog = self.pages.currentIndex() == 1
        self.catalog.set_store(store, refresh=on_catalog)  # else filled when its page is shown
        self.training.set_project(store, folder_p, self.engine)
        self._catalog_stale = not on_catalog
        self._load_engine_info()
        self.project_opened.emit(str(folder_p))
        n = store.count_photos()  # a large project's list is still being read (queue_reader.py)
        self.say(f"Opened {folder_p} \u2014 {n} photos")
        return True

    def close_project(self) -> bool:
        """Close the open project; work still running is stopped after asking (like quitting).

        False when the project stays open: the user kept it, or a job did not stop in time.
        """
        if self.store is None:
            return True
        self.controller.finish_decisions()  # a confirm on its way to the store is recorded, not cancelled
        running = self.running_work()
        if running and not self.ask("Work is running",
                                    f"{', '.join(running)} still running. Stop it and close the project?"):
            self.say("The project stays open: work is still running")
            return False
        self.controller.pixels.forget()  # nothing more loaded ahead while the work stops
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

    # ------------------------------------------------------------------ model settings
    def _apply_project_settings(self, store, folder: Path) -> None:
        """The project's active weights and re-ranking (settings.json) on top of the base engine."""
        engine, message = project_engine(store.settings, folder, self.base_engine)
        if message:
            self.say(message)
        self._check(self.act_rerank, engine.rerank != "none")
        self._check(self.act_fin_edges, engine.rerank == FIN_EDGES)
        self._set_engine(engine)

    def _set_engine(self, engine: EngineConfig) -> None:
        self.engine = engine
        self.controller.engine = engine
        self.training.set_engine(engine)
        self._show_model(engine)

    def _show_model(self, engine: EngineConfig) -> None:
        """Check the model menu's entry of the engine's model (a named one, or trained weights)."""
        from whaleid_gui.core.model_names import DEFAULT_MODEL, describe_model

        actions = getattr(self, "model_actions", {})
        if engine.model_factory is not None:  # tests and benchmarks: a model built in code
            for act in actions.values():
                act.setChecked(False)
            return
        name = engine.weights or DEFAULT_MODEL
        if name in actions:
            actions[name].setChecked(True)
        else:
            self.act_trained_model.setText(describe_model(name))
            self.act_trained_model.setChecked(True)

    def set_model(self, name: str) -> None:
        """Make a named model (core.model_names) the project's model and rank the photo again."""
        from whaleid_gui.core.model_names import describe_model

        if self.store is not None and not self.store.read_only:
            try:
                self.store.update_settings(weights=name)
            except Exception as exc:
                self.say(f"Setting not saved: {exc}")
        self._set_engine(replace(self.engine, weights=name, model_factory=None))
        self._rank_again(f"Model: {describe_model(name)}")

    def activate_weights(self, path: str) -> None:
        """Make trained weights the project's active model and rank the current photo again."""
        if self.store is None or self.folder is None:
            return
        p = Path(path)
        try:
            self.store.update_settings(weights=weights_setting(p, self.folder))
        except Exception as exc:
            self.show_error(f"Cannot make {p.name} active: {exc}")
            return
        self._set_engine(replace(self.engine, weights=str(p), model_factory=None))
        self._rank_again(f"Active model: {p.name}")

    def set_rerank(self, on: bool) -> None:
        """Keypoint re-ranking on or off; the trailing edge joins its fusion, so it goes off with it."""
        if not on:
            self._check(self.act_fin_edges, False)
        self._set_rerank("keypoints" if on else "none", "Keypoint re-ranking " + ("on" if on else "off"))

    def set_fin_edges(self, on: bool) -> None:
        """The trailing edge (fin catalogs) needs the keypoint fusion it joins: on turns that on too."""
        if on:
            self._check(self.act_rerank, True)
        self._set_rerank(FIN_EDGES if on else "keypoints", "Trailing-edge matching " + ("on" if on else "off"))

    @staticmethod
    def _check(action, checked: bool) -> None:
        action.blockSignals(True)
        action.setChecked(checked)
        action.blockSignals(False)

    def _set_rerank(self, rerank: str, message: str) -> None:
        if self.store is not None and not self.store.read_only:
            try:
                self.store.update_settings(rerank=rerank)
            except Exception as exc:
                self.say(f"Setting not saved: {exc}")
        self._set_engine(replace(self.engine, rerank=rerank))
        self._rank_again(message)

    def _rank_again(self, message: str) -> None:
        self.controller.results.clear()
        if self.store is not None:
            self._load_engine_info()
            pid = self.controller.photo_id
            if pid is not None and self.store.box(pid) is not None:
                self.controller.rematch()
        self.say(message)

    def _load_engine_info(self) -> None:
        """Load the model in the engine process (torch is imported there, not in the window's)."""
        w = Worker(engine_process.run, projects.engine_info, self.engine, name="engine")
        w.result.connect(lambda info: self._set_engine_label(*info))
        w.errored.connect(lambda exc: self.engine_label.setText(f"Model failed to load: {error_text(exc)}"))
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
        from whaleid_gui.gui.new_project_dialog import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec():
            self.new_project(*dialog.values())

    def new_project(self, folder: str, db_url: str | None = None, subject: str = DEFAULT_SUBJECT) -> bool:
        """Create a project in `folder` (its catalog in PostgreSQL when db_url is given; its ranking's
        default from what its photos show) and open it."""
        from whaleid_gui.application.new_project import create_project

        try:
            store, note = create_project(folder, subject, db_url=db_url)
            store.close()
        except Exception as exc:
            self.show_error(f"Cannot create a project in {folder}: {exc}")
            return False
        opened = self.open_project(folder)
        if opened and note:  # a lab's catalog joined: it says what its photos show
            self.say(note[0].upper() + note[1:])
        return opened

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a WhaleID project folder")
        if folder:
            self.open_project(folder)
