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
    yield
