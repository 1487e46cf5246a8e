"""Run as a script by test_gui_thread_gc.py: many short jobs whose handles are dropped as soon as
they say finished (what a loop over jobs, or a view replacing its thumbnail job, does).

QThread.finished comes from the thread just before it exits; a handle that let its thread go
on and was then dropped destroyed a still-running QThread (a segfault within a few hundred
jobs). Prints "ok <n>" and exits 0 when every job ended cleanly.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop  # noqa: E402

from whaleid_gui.gui.app import make_app  # noqa: E402
from whaleid_gui.workers import Worker  # noqa: E402


def main(n: int) -> int:
    app = make_app([sys.argv[0]])
    for i in range(n):
        w = Worker(lambda i=i: i * 2)
        done: list[int] = []
        w.finished.connect(lambda: done.append(1))
        w.start()
        while not done:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        assert w.wait(1000)
    print(f"ok {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
