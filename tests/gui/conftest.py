"""GUI tests run offscreen with their own QSettings and temporary project folders."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets an empty QSettings store and user data folder under tmp_path."""
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("WhaleIDTest")
    QCoreApplication.setApplicationName("whaleid-test")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("WHALEID_DATA_DIR", str(tmp_path / "userdata"))
    s = QSettings()
    s.clear()
    s.sync()
    from whaleid_gui.gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "small_demo", True)  # the 8-photo demo: seconds, not a minute
    yield


FAST_ENGINE_SIZE = 64  # the real engine at a tiny input size: quick on two CPU cores


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The small demo project, made once per test session by the same job the app runs."""
    from whaleid_gui.application.demo_project import create_demo_project
    from whaleid_gui.core.progress import drive

    root = tmp_path_factory.mktemp("demo_template")
    drive(create_demo_project(root, small=True))
    return root


@pytest.fixture
def demo_project(demo_template, tmp_path):
    """A private copy of the demo project (photos stay in the template, read-only)."""
    import shutil

    dst = tmp_path / "demo"
    shutil.copytree(demo_template / "project", dst / "project",
                    ignore=shutil.ignore_patterns("project.lock", "cache"))
    return dst / "project"


@pytest.fixture
def engine():
    from whaleid_gui.application.project_engine import EngineConfig

    return EngineConfig(device="cpu", image_size=FAST_ENGINE_SIZE)


@pytest.fixture
def window(qtbot, engine):
    from whaleid_gui.gui.main_window import MainWindow

    w = MainWindow(engine)
    w._quiet_errors = True  # errors are asserted via last_error, no modal boxes in tests
    w.ask = lambda title, text: True
    qtbot.addWidget(w)
    w.resize(1366, 740)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.pool.shutdown(60000)
    if w.store is not None:
        w.store.close()
        w.store = None


@pytest.fixture
def in_process_engine(monkeypatch):
    """Jobs run in this process, not in the engine process (application/engine_process.py): for the
    tests that replace a job's function here or look into this process's prepared matchers."""
    from whaleid_gui.application import engine_process

    monkeypatch.setattr(engine_process, "ENABLED", False)
