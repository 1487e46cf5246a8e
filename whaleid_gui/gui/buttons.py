"""Buttons of the review screens: they never take the keyboard focus, so the one-key review
shortcuts keep working while the user clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton


def no_focus_button(text: str, tip: str, name: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return b
