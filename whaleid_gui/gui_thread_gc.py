"""Python's cyclic garbage collector runs on the GUI thread only, while Qt is up.

Why: CPython runs an automatic collection in whichever thread happens to allocate when a
generation's threshold is crossed, so with workers running it is usually a worker thread. A
collection frees every unreachable reference cycle at that moment, together with everything
only those cycles keep alive. Some cycles hold Qt objects: pyqtgraph's plot items (axes, view
boxes, their context menus, pens) form cycles by design, and a worker's QObject could be kept by
the frames of a traceback. Destroying a Qt object off the thread that owns it is undefined
behaviour in Qt; here it segfaulted the test suite about one run in six (issue 16), always with
"Garbage-collecting" on top of a worker's stack. Freeing the same cycles on the GUI thread is
safe, so the collector is switched off and a timer on the GUI thread does its work, on the same
thresholds (the pattern used by other long-lived PyQt/PySide apps).

Code running in workers must never call gc.collect() itself.
"""

from __future__ import annotations

import gc
import threading
import time

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

CHECK_INTERVAL_MS = 500  # often enough that garbage never piles up, rare enough to cost nothing
# CPython looks at the allocation count when it allocates; a timer only samples it, and frees of
# old objects lower it in between, so a busy app could sit under the threshold while cycles pile
# up. The young generation is therefore also collected at least this often (a cheap pass that
# also moves the older generations' counts on, as CPython's own collections do).
YOUNG_AT_LEAST_EVERY_S = 1.0
# A collection of the oldest generation scans every tracked object: with torch, numba and Qt
# loaded that is over half a million, 0.2-4 s on two cores, and this timer called for one every
# few seconds (CPython would not: it waits until the long-lived objects grew by 25%). The heartbeat
# of benchmarks/bench_review_flow.py found the review screen's stalls there (issue 15). So the
# survivors of an oldest-generation collection are frozen (gc.freeze: never scanned again), and
# the next such collection scans only what came since; a full sweep of everything (unfreeze,
# collect, freeze) follows CPython's own rule, when the frozen objects grew by FULL_SWEEP_GROWTH,
# and at most every FULL_SWEEP_MIN_INTERVAL_S (cycles among frozen objects wait for it).
FULL_SWEEP_GROWTH = 0.25
# And the oldest generation at most this often: while a worker imports torch (seconds of fresh
# long-lived objects, not yet frozen by model_for) every such collection scanned them all again.
OLDEST_AT_MOST_EVERY_S = 30.0
FULL_SWEEP_MIN_INTERVAL_S = 600.0
# A bulk of fresh objects since the last check (a worker importing torch makes a quarter of a
# million in 2-3 s; a model loading, a large catalog read) cost a young pass of 100-160 ms on the
# GUI thread, then as much again in the middle and the oldest generation (measured: 124 ms and
# 129 ms for the 265,000 objects of `import torch`). Such a bulk is long-lived (modules, functions,
# layers): it is frozen instead of scanned (gc.freeze only moves lists). The little cyclic garbage
# in it (9,300 objects after `import torch`), and whatever cycles were waiting in the older
# generations at that moment, wait for the next full sweep, as frozen cycles do: memory held a while
# longer, never freed off the GUI thread.
BULK_YOUNG = 30_000  # a young pass over this many objects takes about 3 ms here


class GuiThreadCollector(QObject):
    """Owns the collector while Qt runs: automatic collection off, a GUI-thread timer on."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = [0, 0, 0]  # per generation, for tests and the curious
        self.full_sweeps = 0
        self.bulk_freezes = 0
        self._last = time.monotonic()
        gc.disable()
        # What the app holds when Qt is up (PySide, the app's modules) lives as long as the process:
        # frozen now, never scanned; model_for (application/match_photos.py) does the same for a
        # model loaded in this process (training, the command line; the review's loads in the
        # engine process: torch alone is half a million objects).
        gc.freeze()
        self._swept_at = gc.get_freeze_count()  # frozen objects after the last full sweep
        self._swept_time = self._oldest_time = self._last
        self._gui_thread = threading.get_ident()  # made on the GUI thread (collect_on_gui_thread)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold (as CPython would), and
        the young one at least every YOUNG_AT_LEAST_EVERY_S; a bulk of fresh objects (BULK_YOUNG)
        is frozen instead. Returns the number of objects freed."""
        if threading.get_ident() != self._gui_thread:
            return 0  # only ever on the GUI thread; a stray call from a worker does nothing
        counts = gc.get_count()
        now = time.monotonic()
        if counts[0] <= self.thresholds[0] and now - self._last < YOUNG_AT_LEAST_EVERY_S:
            return 0
        if counts[0] > BULK_YOUNG:
            gc.freeze()
            self.bulk_freezes += 1
            self._last = now
            return 0
        generation = 0
        for g in (2, 1):
            if counts[g] > self.thresholds[g] and (g < 2 or now - self._oldest_time >= OLDEST_AT_MOST_EVERY_S):
                generation = g
                break
        self._last = now
        if generation == 2:
            self._oldest_time = now
        self.collections[generation] += 1
        return gc.collect(generation) if generation < 2 else self._collect_oldest(now)

    def _collect_oldest(self, now: float) -> int:
        frozen = gc.get_freeze_count()
        if frozen > (1 + FULL_SWEEP_GROWTH) * self._swept_at and now - self._swept_time >= FULL_SWEEP_MIN_INTERVAL_S:
            gc.unfreeze()
            freed = gc.collect(2)
            gc.freeze()
            self._swept_at, self._swept_time = gc.get_freeze_count(), now
            self.full_sweeps += 1
            return freed
        freed = gc.collect(2)  # the objects that are not frozen: those since the last collection
        gc.freeze()
        return freed


_lock = threading.Lock()
_collector: GuiThreadCollector | None = None


def collect_on_gui_thread() -> GuiThreadCollector | None:
    """Switch cyclic collection to the GUI thread (idempotent). Call it from the GUI thread
    once a QCoreApplication exists: the app does at start-up and every Worker when it starts a
    thread. Returns None when there is no application (plain CLI use keeps Python's collector)."""
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        return None
    with _lock:
        if _collector is None or not _is_alive(_collector):
            if QThread.currentThread() is not app.thread():
                raise RuntimeError("collect_on_gui_thread() must be called from the GUI thread")
            _collector = GuiThreadCollector(app)
        if gc.isenabled():
            gc.disable()  # someone switched it back on: a worker could collect again
    return _collector


def _is_alive(obj: QObject) -> bool:
    from shiboken6 import Shiboken

    return Shiboken.isValid(obj)
