"""Run as a script by test_gui_thread_gc.py (a crash must not take the test run with it).

Top-level widgets that only a reference cycle keeps alive are left behind while worker jobs
allocate cyclic garbage with a low collection threshold, the conditions of issue 16. With
collection on the GUI thread they are freed there; before, a worker's collection destroyed
them on its own thread ("Timers cannot be stopped from another thread", then a segfault).
Prints "ok <rounds>" and exits 0 when it survives.
"""

from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget  # noqa: E402

from whaleid_gui.gui.app import make_app  # noqa: E402
from whaleid_gui.workers import Worker  # noqa: E402


class CyclicPanel(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.myself = self  # only the cyclic collector can free this window
        QVBoxLayout(self).addWidget(QLabel("left behind", self))
        self.startTimer(10_000)


def churn() -> int:
    junk: list = []
    for i in range(100_000):
        node = [i]
        node.append(node)  # cyclic garbage: automatic collections come often
        junk.append(node)
        if len(junk) > 500:
            junk.clear()
    return len(junk)


def main(rounds: int) -> int:
    app = make_app([sys.argv[0]])
    gc.set_threshold(100, 2, 2)
    for _ in range(rounds):
        for _ in range(10):
            CyclicPanel().show()
        app.processEvents()
        worker = Worker(churn).start()
        while not worker.wait(5):
            app.processEvents()
        app.processEvents()
    print(f"ok {rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
