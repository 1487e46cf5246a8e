"""Issue 16: Python's cyclic collector must never free Qt objects from a worker thread."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from shiboken6 import Shiboken

from whaleid_gui.gui_thread_gc import collect_on_gui_thread
from whaleid_gui.workers import Worker

PROBE = Path(__file__).with_name("gc_probe.py")
SHORT_JOBS = Path(__file__).with_name("short_jobs_probe.py")


def run_probe(script: Path, n: int, folder: Path) -> subprocess.CompletedProcess:
    """A probe in its own process: a crash fails this test instead of ending the test run."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-X", "faulthandler", str(script), str(n)], capture_output=True,
                         text=True, timeout=240, env=env, cwd=folder)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"ok {n}" in run.stdout
    return run


def test_cyclic_windows_left_behind_survive_workers_that_collect(tmp_path):
    run = run_probe(PROBE, 8, tmp_path)
    assert "from another thread" not in run.stderr  # nothing was destroyed off its thread


def test_a_finished_job_has_really_ended_when_its_handle_is_dropped(tmp_path):
    run_probe(SHORT_JOBS, 2000, tmp_path)


def test_worker_start_moves_collection_to_the_gui_thread(qtbot):
    w = Worker(lambda: 1).start()
    qtbot.waitUntil(lambda: not w.is_running(), timeout=10_000)
    assert not gc.isenabled()  # no automatic collection left to happen in a worker
    collector = collect_on_gui_thread()
    assert collector.thread() is QCoreApplication.instance().thread()

    class Cyclic(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.myself = self

    freed_on: list[str] = []
    obj = Cyclic()
    obj.destroyed.connect(lambda *_: freed_on.append(threading.current_thread().name))
    ref = weakref.ref(obj)
    del obj
    done_before = sum(collector.collections)  # any generation: the oldest one due is collected
    qtbot.waitUntil(lambda: ref() is None, timeout=5_000)  # the GUI-thread timer collected it
    assert sum(collector.collections) > done_before
    assert freed_on == [threading.main_thread().name]


def test_a_collection_requested_from_a_worker_does_nothing(qtbot):
    collector = collect_on_gui_thread()

    def from_the_worker() -> int:
        garbage: list = []
        garbage.append(garbage)  # unreachable once this returns... and already a cycle now
        del garbage
        collector._last = 0.0  # a collection is due
        return collector.collect_due()

    out: list = []
    w = Worker(from_the_worker)
    w.result.connect(out.append)
    w.start()
    qtbot.waitUntil(lambda: bool(out), timeout=10_000)
    assert out == [0]  # refused: it would have freed the cycle above on the worker's thread


def test_the_job_runner_is_deleted_by_qt_in_its_own_thread(qtbot):
    w = Worker(lambda: "done")
    thread, runner = w._thread, w._runner
    assert thread.parent() is w  # dies with the handle, on the GUI thread
    # Nothing connects to the runner (its only connection is its own finished -> thread.quit): deleted
    # in its thread, ~QObject would call the sender's disconnectNotify, which takes the GIL, under a Qt
    # mutex; the GUI thread's connect() then waited for that mutex holding the GIL (a freeze).
    assert thread.receivers("2started()") == 0 and runner.receivers("2finished()") == 1
    results = []
    w.result.connect(results.append)
    w.start()
    qtbot.waitUntil(lambda: bool(results) and not w.is_running(), timeout=10_000)
    qtbot.waitUntil(lambda: not Shiboken.isValid(runner), timeout=5_000)
    assert results == ["done"]
    w.cancel()  # still safe on the handle after the runner is gone
    assert w.cancelled


class _Emitter(QObject):
    value = Signal(object)


def test_emitting_a_signal_keeps_the_reference_counts_of_true_and_none():
    # PySide6 6.12.0 returned True from emit() without a reference: on Python 3.11 the app
    # aborted ("bool_dealloc") after some thousands of emits. pyproject.toml excludes it.
    e = _Emitter()
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(100):
        e.value.emit(None)
    assert (sys.getrefcount(True), sys.getrefcount(None)) == before


def test_the_oldest_generation_is_collected_without_scanning_again_what_survived_before(qtbot):
    import time

    collector = collect_on_gui_thread()
    try:
        collector._collect_oldest(time.monotonic())  # survivors frozen
        sweeps, frozen = collector.full_sweeps, gc.get_freeze_count()
        assert frozen > 1000

        class Cycle:
            pass

        garbage = Cycle()
        garbage.myself = garbage
        ref = weakref.ref(garbage)
        del garbage
        collector._collect_oldest(time.monotonic())
        assert ref() is None  # new cyclic garbage is still freed, on this (the GUI) thread
        assert collector.full_sweeps == sweeps and gc.get_freeze_count() >= frozen  # no full sweep
    finally:
        gc.unfreeze()  # the next tests find the collector as a fresh process has it
        collector._swept_at = 0


def test_a_bulk_of_fresh_objects_is_frozen_not_scanned_and_its_cycles_wait_for_the_full_sweep(qtbot):
    import time

    from whaleid_gui import gui_thread_gc

    collector = collect_on_gui_thread()

    class Cycle:
        pass

    try:
        collector.collect_due()
        young, frozen = collector.collections[0], gc.get_freeze_count()
        bulk = [(i, [i]) for i in range(gui_thread_gc.BULK_YOUNG)]  # twice BULK_YOUNG tracked objects
        garbage = Cycle()
        garbage.myself = garbage
        ref = weakref.ref(garbage)
        del garbage
        collector.collect_due()
        # what a worker's import leaves: frozen as it is, no young pass over it on the GUI thread
        assert collector.collections[0] == young and collector.bulk_freezes >= 1
        assert gc.get_freeze_count() >= frozen + len(bulk)
        assert gc.get_count()[0] < gui_thread_gc.BULK_YOUNG
        assert ref() is not None  # the cycle in the bulk is frozen with it...
        collector._swept_at, collector._swept_time = 1, time.monotonic() - gui_thread_gc.FULL_SWEEP_MIN_INTERVAL_S
        collector._collect_oldest(time.monotonic())
        assert ref() is None and collector.full_sweeps >= 1  # ...until the next full sweep frees it
        assert bulk[-1][1] == [len(bulk) - 1]  # what was alive is untouched
    finally:
        gc.unfreeze()  # the next tests find the collector as a fresh process has it
        collector._swept_at = 0
