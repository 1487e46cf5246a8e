"""Where the GUI thread is when the event loop is late: open a project as the app does and print
the GUI thread's stack every 10 ms while a 5 ms heartbeat is more than --late ms overdue.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/stall_sampler.py PROJECT [--seconds 10] [--late 60] [--threads]

A sampler thread needs the GIL too, so a stall caused by another thread holding it shows up as the
GUI thread's stack once it runs again (often the event loop itself, `processEvents`: Qt's C++
work or a wait for the GIL); --threads prints the other threads' stacks as well. Used for issue 15
(RESULTS_gui.md, "What these numbers say").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def stack(frame, depth: int = 4) -> str:
    return " <- ".join(f"{Path(fs.filename).name}:{fs.lineno}:{fs.name}"
                       for fs in reversed(traceback.extract_stack(frame)[-depth:]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("project")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--late", type=float, default=60.0, help="report when the heartbeat is this many ms late")
    p.add_argument("--threads", action="store_true", help="print the other threads' stacks too")
    a = p.parse_args()
    os.environ.setdefault("WHALEID_DATA_DIR", tempfile.mkdtemp(prefix="whaleid-stalls-"))
    from PySide6.QtCore import QTimer

    from whaleid_gui.gui.app import make_app
    from whaleid_gui.gui.main_window import MainWindow

    app = make_app()
    window = MainWindow()
    window.ask = lambda title, text: True
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    last = [time.perf_counter()]
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: last.__setitem__(0, time.perf_counter()))
    heartbeat.start()
    gui, running, t0 = threading.get_ident(), [True], time.perf_counter()

    def sample() -> None:
        while running[0]:
            time.sleep(0.01)
            late = (time.perf_counter() - last[0]) * 1000
            if late <= a.late:
                continue
            print(f"--- event loop {late:.0f} ms late at {time.perf_counter() - t0:.2f} s")
            for tid, frame in sys._current_frames().items():
                if tid == gui:
                    print("  GUI    " + stack(frame))
                elif a.threads and tid != threading.get_ident():
                    print("  worker " + stack(frame))

    threading.Thread(target=sample, daemon=True).start()
    window.start(a.project)  # as the app does once its window is shown
    end = time.perf_counter() + a.seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)
    running[0] = False
    print(f"candidates on screen: {len(window.review.cards)}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
