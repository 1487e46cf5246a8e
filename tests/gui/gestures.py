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
