"""The catalog page's "New individual..." opens its form even when no code can be suggested (the
error used to escape the button's slot): it says why, and the typed code is created."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from whaleid_gui.gui.dialogs import NewIndividualDialog


def _fill_form(code: str, seen: list) -> None:
    dlg = next((w for w in QApplication.topLevelWidgets() if isinstance(w, NewIndividualDialog) and w.isVisible()),
               None)
    if dlg is None:
        QTimer.singleShot(50, lambda: _fill_form(code, seen))
        return
    seen.append(dlg.code.text())
    dlg.code.setText(code)
    dlg.name.setText("Spray")
    dlg.accept()


def test_new_individual_on_the_catalog_page_suggests_a_code_or_says_why_not(qtbot, window, demo_project, monkeypatch):
    assert window.open_project(str(demo_project))
    window.pages.setCurrentIndex(1)
    suggested: list = []
    expected = window.store.next_free_code()
    QTimer.singleShot(50, lambda: _fill_form(expected, suggested))
    window.catalog.new_button.click()
    assert suggested == [expected] and window.store.individual_by_code(expected).name == "Spray"

    def broken(*_a, **_k):
        raise RuntimeError("individuals table is locked")

    monkeypatch.setattr(window.store, "next_free_code", broken)
    QTimer.singleShot(50, lambda: _fill_form("HW-0900", suggested))
    window.catalog.new_button.click()
    assert suggested[-1] == ""  # nothing suggested, the form still opens
    assert "individuals table is locked" in window.statusBar().currentMessage()
    assert window.store.individual_by_code("HW-0900") is not None and window.last_error is None
