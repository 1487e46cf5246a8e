"""Reproducer for the worker-teardown freeze: many short jobs end, each runner deleted by Qt in its
own thread, while the GUI thread keeps connecting signals with the GIL held.

~QObject calls disconnectNotify() on the sender of each incoming connection while it holds one of
Qt's signal-slot mutexes (a pool shared by address); for a sender made in Python that call takes
the GIL. With the runner connected to (thread.started -> run, finished -> deleteLater), the worker
thread waited for the GIL holding the mutex while the GUI thread, holding the GIL, waited for the
same mutex in QObject::connect: a freeze within a few hundred jobs. whaleid_gui/workers.py now
leaves nothing connected to the runner. A stall past --timeout dumps every thread and exits 1.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/stress_runner_deadlock.py --jobs 3000
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=3000)
    ap.add_argument("--timeout", type=int, default=120, help="seconds before a stall counts as a freeze")
    args = ap.parse_args()
    faulthandler.dump_traceback_later(args.timeout, exit=True)

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    from whaleid_gui.workers import Worker

    class Emitter(QObject):
        s = Signal()

    app = QApplication.instance() or QApplication([])
    done, live, started = [0], [], 0
    t0 = time.monotonic()

    def ended(w) -> None:
        done[0] += 1
        live.remove(w)
        w.deleteLater()

    while done[0] < args.jobs:
        while started < args.jobs and started - done[0] < 8:
            w = Worker(lambda: 1, name="stress")
            w.finished.connect(lambda w=w: ended(w))
            live.append(w)
            w.start()
            started += 1
        objs = [Emitter() for _ in range(50)]
        for a in objs:
            for b in objs[:10]:
                a.s.connect(b.s)  # QObject::connect with the GIL held
        app.processEvents()
    print(f"{args.jobs} jobs ended in {time.monotonic() - t0:.1f} s, no freeze")
    return 0


if __name__ == "__main__":
    sys.exit(main())
