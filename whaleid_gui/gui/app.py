"""Start the desktop app: the window first, heavy modules later (in workers).

Nothing here imports torch, the model or the matcher: they load in the engine process
(application/engine_process.py), started here, beside the window.
"""

from __future__ import annotations

import sys

from whaleid_gui.gui.app_icon import app_icon

ORG = "WhaleID"
APP = "WhaleID"


def make_app(argv: list[str] | None = None):
    from whaleid_gui.application import engine_process

    # The matching engine's process imports torch and the matcher on the other core while the
    # window is built, so the first match does not wait for those imports; this process never
    # imports torch for a review (its GIL stays the window's: issue 15).
    engine_process.shared().start()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setApplicationDisplayName("WhaleID")
    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    from whaleid_gui.gui_thread_gc import collect_on_gui_thread

    collect_on_gui_thread()  # reference cycles holding Qt objects are freed on this thread only
    return app


def run_app(project: str | None = None) -> int:
    """Open the main window on `project` (else the last project, else the demo); run the loop."""
    from PySide6.QtCore import QTimer

    app = make_app()
    from whaleid_gui.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    # Open the project once the window has painted, so start-up never looks frozen.
    QTimer.singleShot(0, lambda: window.start(project))
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
