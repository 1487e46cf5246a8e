"""The app's icon, read from the shipped resources/ folder (the window and the application both
use it; a module of its own so the window does not import the app that creates it)."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The shipped resources/ folder: inside an installed package, else the checkout's (see core.shipped_files)."""
    from whaleid_gui.core.shipped_files import resources_dir as shipped_resources

    return shipped_resources()


def app_icon():
    """The WhaleID fluke icon as a QIcon, or None when resources/whaleid.svg is absent or unreadable."""
    from PySide6.QtGui import QIcon

    path = resources_dir() / "whaleid.svg"
    if not path.is_file():
        return None
    icon = QIcon(str(path))
    return None if icon.isNull() else icon
