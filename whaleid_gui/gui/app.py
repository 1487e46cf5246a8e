"""Start the desktop app: the window first, heavy modules later (in workers).

Nothing here imports torch, the model or the matcher: they load inside the first worker that
needs them, after the window is on screen.
"""

from __future__ import annotations

import sys

from whaleid_gui.gui.app_icon import app_icon

ORG = "WhaleID"
APP = "WhaleID"


def make_app(argv: list[str] | None = None):
    from whaleid_gui.core.torch_preload import start_preload

    # torch's libraries load without the GIL while the window is built (1-1.5 s here); the window
    # opens the project once they are in (window_projects.start), no longer waiting for all of it.
    # The price, measured (bench_gui.py's launch to window shown, 4 runs each): 1.25-1.53 s
    # without, 1.86-2.46 s with, as the window's own extension modules wait for the dynamic loader's
    # lock; the first candidates come 1-1.5 s sooner (benchmarks/RESULTS_gui.md, 2026-12-03 night).
    start_preload()
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
