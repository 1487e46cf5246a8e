"""Mouse gestures shared by the GUI tests (test files import it: pytest puts their folder on sys.path)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def drag(qtbot, view, a: QPoint, b: QPoint, steps: int = 5) -> None:
    """Press at a, move to b in steps, release: a person drawing or moving a box."""
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        qtbot.mouseMove(vp, pos=QPoint(int(p.x()), int(p.y())))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)


def click_row(qtbot, table, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click a table's row (its first cell), as a person selects it; Ctrl adds it to the selection.

    A click carries its own modifiers. table.selectRow() instead follows the keys the application
    believes are held, and QTest leaves that at Ctrl after keyClick(..., ControlModifier): an earlier
    Ctrl+Z made selectRow() toggle an already selected row off."""
    assert row >= 0, "no such row"
    index = table.model().index(row, 0)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, table.visualRect(index).center())
