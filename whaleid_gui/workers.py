"""The one place that runs core work off the GUI thread.

A job is a plain callable. If it returns a generator, every yielded value is a progress event
(usually ``core.progress.Progress``) and the result is the generator's ``Finished(value)``
event (the core convention) or its return value; the
worker checks for cancellation at each yield, so a long core job stops at its next step.
A job that returns anything else is a one-shot call.

Each job gets its own ``QThread`` with a ``QObject`` worker moved to it (the superqt
pattern: started / progress / result / errored / finished). Jobs receive plain data only
(paths, ids, numbers) and open their own database connection; widgets change only in slots
on the GUI thread, which is where the signals are delivered.
"""

from __future__ import annotations

import inspect
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QMetaObject, QObject, QThread, Qt, Signal, Slot

# Cancelled is raised inside a job's thread when the user cancelled it (it never reaches the GUI).
from whaleid_gui.core.progress import Cancelled, drive
from whaleid_gui.gui_thread_gc import collect_on_gui_thread


class _Runner(QObject):
    started = Signal()
    progress = Signal(object)
    result = Signal(object)
    errored = Signal(object)  # the exception (the GUI words it: gui.error_text)
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._cancel = threading.Event()
        self._go = threading.Event()  # cleared while paused: the job blocks between two yields
        self._go.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._go.set()  # a paused job must wake up to stop

    def pause(self, paused: bool) -> None:
        if paused and not self._cancel.is_set():
            self._go.clear()
        else:
            self._go.set()

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        self.started.emit()
        try:
            out = self._fn(*self._args, **self._kwargs)
            if inspect.isgenerator(out):
                out = self._drive(out)
            if not self._cancel.is_set():
                self.result.emit(out)
        except Cancelled:
            pass
        except Exception as exc:  # a failing job must leave the app usable: report, never raise
            if not self._cancel.is_set():
                traceback.print_exc()
                self.errored.emit(_without_frames(exc))
        finally:
            self.finished.emit()
            # Deleted by Qt in this thread when it ends (Worker explains why it has no incoming connection)
            self.deleteLater()

    def _drive(self, gen) -> Any:
        # core.progress.drive reads the job protocol (Finished or return value) and, on cancel,
        # closes the generator here, in this thread (its finally blocks close its DB connection).
        return drive(gen, on_event=self._report, should_stop=self._should_stop)

    def _should_stop(self) -> bool:
        """Asked before each step: holds the job while paused, then says whether it was cancelled."""
        while not self._go.wait(0.1):  # paused: hold the generator between two steps
            pass
        return self._cancel.is_set()

    def _report(self, event: Any) -> None:
        # after a cancel only reports of work already saved still reach the GUI
        if event is not None and (not self._cancel.is_set() or getattr(event, "RECORDS_SAVED_WORK", False)):
            self.progress.emit(event)


def _without_frames(exc: BaseException) -> BaseException:
    """The exception for the GUI thread, without its tracebacks: their frames hold the job's locals
    (the runner, a store connection), which must be freed in the job's thread, not the GUI's."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        e.__traceback__ = None
        e = e.__cause__ or e.__context__
    return exc


_LIVE: set = set()  # started workers whose thread has not finished yet


class Worker(QObject):
    """Handle on one running job (lives on the GUI thread).

    Signals are re-emitted from here so callers connect once, before ``start()``, and get
    every event in the GUI thread.
    """

    started = Signal()
    progress = Signal(object)
    result = Signal(object)
    errored = Signal(object)  # the job's exception
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "", **kwargs: Any) -> None:
        super().__init__()
        self.name = name or getattr(fn, "__name__", "job")
        # Qt owns both: the thread is this handle's child, so it dies with the handle on the GUI
        # thread, and the runner deletes itself in its own thread once the job is over; neither
        # is left to Python's collector, which could free it from another thread (issue 16).
        # Nothing connects *to* the runner (run() is queued by start(), deleteLater() is called by
        # run() itself): ~QObject calls disconnectNotify() on the sender of every incoming connection
        # while it holds a Qt signal-slot mutex (one of a pool, shared by address), and for a sender
        # made in Python that call takes the GIL. The worker thread then waited for the GIL holding
        # that mutex while the GUI thread, holding the GIL, waited for the same mutex in a connect():
        # the app froze (a test-pair hang, and within seconds in benchmarks/stress_runner_deadlock.py).
        self._thread = QThread(self)
        self._thread.setObjectName(f"worker:{self.name}")
        self._runner = _Runner(fn, args, kwargs)
        self._runner.moveToThread(self._thread)
        self._done = False
        self._delivered = False  # its result (or error) has reached the GUI thread
        # Quit the thread from the worker thread itself as soon as the job is over: with the
        # default (queued) connection a run aborted about 1 in 15 times on the dev machine
        # because the thread object could be torn down before the queued quit arrived.
        self._runner.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._runner.started.connect(self.started)
        self._runner.progress.connect(self.progress)
        self._runner.result.connect(self.result)
        self._runner.errored.connect(self.errored)
        self._thread.finished.connect(self._on_thread_finished)
        # connected before any caller's slot, so "not running" never precedes the result's delivery
        self.result.connect(self._on_delivered)
        self.errored.connect(self._on_delivered)

    def start(self) -> "Worker":
        collect_on_gui_thread()  # before any worker runs, Python's collector leaves worker threads
        _LIVE.add(self)  # a running worker must outlive its caller's references (else Qt aborts)
        self._thread.start()
        # delivered in the job's thread once its event loop runs (a posted event, not a connection)
        QMetaObject.invokeMethod(self._runner, "run", Qt.ConnectionType.QueuedConnection)
        return self

    def cancel(self) -> None:
        """Ask the job to stop at its next yield (non-blocking)."""
        self._runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self._runner.cancelled

    def pause(self) -> None:
        """Hold a generator job at its next yield until resume() (or cancel())."""
        self._runner.pause(True)

    def resume(self) -> None:
        self._runner.pause(False)

    @property
    def paused(self) -> bool:
        return self._runner.paused

    def is_running(self) -> bool:
        """True until the job's thread has ended and, unless it was cancelled, its result or error
        has been delivered (the thread can end before its queued result reaches the GUI thread)."""
        if self._done:
            return False
        if self._thread.isRunning() or not self._thread.isFinished():
            return True
        return not (self._delivered or self.cancelled)

    def _on_delivered(self, *_args) -> None:
        self._delivered = True

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the thread ended (used on quit, after cancel())."""
        if self._done:
            return True
        ok = self._thread.wait(msecs)
        return ok

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._done:
            return
        # QThread.finished comes from the thread just *before* it exits (it still deletes the
        # runner, which takes the GIL). Done means really ended: a handle dropped after this
        # could otherwise destroy a running QThread (a segfault in a loop of short jobs).
        # PySide releases the GIL while waiting, so that last step can run.
        self._thread.wait()
        self._done = True
        _LIVE.discard(self)
        self.finished.emit()


class WorkerPool(QObject):
    """Keeps every running worker alive, one per kind: a new job of a kind cancels the old one
    (and says so with ``superseded(kind, old_worker)``)."""

    busy_changed = Signal(bool)
    superseded = Signal(str, object)  # kind, the running worker a newer job of that kind cancelled

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._by_kind: dict[str, Worker] = {}
        self._all: set[Worker] = set()

    def start(self, kind: str, worker: Worker) -> Worker:
        old = self._by_kind.get(kind)
        if old is not None and old.is_running():
            old.cancel()
            self.superseded.emit(kind, old)
        self._by_kind[kind] = worker
        self._all.add(worker)
        worker.finished.connect(lambda w=worker, k=kind: self._forget(k, w))
        worker.start()
        self.busy_changed.emit(True)
        return worker

    def _forget(self, kind: str, worker: Worker) -> None:
        self._all.discard(worker)
        if self._by_kind.get(kind) is worker:
            del self._by_kind[kind]
        worker.deleteLater()
        self.busy_changed.emit(self.busy())

    def running(self, kind: str | None = None) -> list[Worker]:
        if kind is not None:
            w = self._by_kind.get(kind)
            return [w] if w is not None and w.is_running() else []
        return [w for w in self._all if w.is_running()]

    def busy(self) -> bool:
        return bool(self.running())

    def cancel_all(self) -> None:
        for w in list(self._all):
            w.cancel()

    def wait_all(self, msecs: int = 30000) -> bool:
        ok = True
        for w in list(self._all):
            ok = w.wait(msecs) and ok
        return ok

    def shutdown(self, msecs: int = 30000, keep_alive: Callable[[], None] | None = None) -> bool:
        """Cancel everything and wait; returns False if a job did not stop in time.

        keep_alive: called every few milliseconds while waiting (the window processes its paint
        events there, so a long wait never looks like a frozen app); jobs started meanwhile are
        cancelled too.
        """
        if keep_alive is None:
            self.cancel_all()
            return self.wait_all(msecs)
        import time

        deadline = time.monotonic() + msecs / 1000.0
        while True:
            self.cancel_all()
            pending = [w for w in list(self._all) if not w.wait(20)]
            if not pending:
                return True
            if time.monotonic() >= deadline:
                return False
            keep_alive()
