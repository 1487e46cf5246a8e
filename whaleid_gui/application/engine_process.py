"""The matching engine in a process of its own: the app's window never shares Python's GIL with it.

Why (issue 15): on two cores the review window stalled 80-300 ms while a worker thread of its own
process ranked photos or imported torch (`torch._C._initExtension` alone holds the GIL ~80 ms;
SQLAlchemy, numpy glue and the keypoint votes are Python too). The GUI thread waited for the GIL,
not for a core. Here those jobs run in one child process, started once per app and reused by every
project: it keeps the loaded model and the prepared matchers between photos, as the app's own
process did.

A job is a generator function of this package (module-level, arguments that pickle). `job()` runs it
in the child step by step: each `next()` here is one `next()` there, so the caller still decides
between two steps (the match queue yields to the reviewer there), cancels at a yield, and gets the
child's return value or its exception. One step at a time for all callers (a lock): the child is a
single thread, as one matching thread was.

The protocol is pickle over the child's stdin/stdout (the child writes anything it prints to
stderr); each request goes with its length, so a request the child cannot load (a class it does
not have) fails alone instead of leaving the rest of it in the pipe. A child that dies (a crash in
a native library, killed for memory) fails the job in flight with EngineProcessError; the next job
starts a new child. The child's side (its loop, how an exception crosses back) is engine_child.py.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Generator

from .engine_child import NICE, PACKAGE, EngineProcessError, RemoteError, _as_job, _rebuilt, ping

__all__ = ["NICE", "EngineProcess", "EngineProcessError", "RemoteError", "crosses", "ping", "run", "shared"]

ENABLED = True  # tests that replace a job's function inside this process run jobs here instead


class _TurnLock:
    """A lock taken in the order asked for: the match queue asks again at once after each step, and
    a plain lock could let it take every turn while a box proposal or a reviewer's match waits."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._held = False

    def __enter__(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn = threading.Event()
            self._waiting.append(turn)
        try:
            turn.wait()  # handed over by __exit__: held now
        except BaseException:  # interrupted while waiting: give up the place, or the turn if it came
            with self._guard:
                handed = turn.is_set()
                if not handed:
                    self._waiting.remove(turn)
            if handed:
                self.__exit__()
            raise

    def __exit__(self, *_exc: Any) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._held = False


class EngineProcess:
    """Parent side: one child, started on first use (or by start()), restarted after it died."""

    def __init__(self) -> None:
        self._lock = _TurnLock()
        self._proc: subprocess.Popen | None = None
        self._ids = itertools.count(1)
        self._generation = 0  # raised by every child started: a job belongs to the one it started in
        self._closed = False  # at exit: no new child

    def start(self) -> None:
        """Start the child now (its imports then overlap the window's start-up)."""
        with self._lock:
            self._ensure()

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def job(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Generator[Any, None, Any]:
        """fn(*args, **kwargs) run in the child; yields its events (a plain function: none), returns
        its value."""
        target = (fn.__module__, fn.__qualname__)
        if not fn.__module__.startswith(PACKAGE):
            raise ValueError(f"{fn.__qualname__}: only {PACKAGE}* functions run in the engine process")
        jid = next(self._ids)
        payload = pickle.dumps(("start", jid, target, args, kwargs))  # fails here, not half-sent
        reply, generation = self._call(payload)
        self._expect(reply)
        done = False
        try:
            while True:
                (kind, value), _ = self._call(pickle.dumps(("next", jid)), generation)
                if kind == "yield":
                    yield value
                    continue
                done = True
                if kind == "return":
                    return value
                raise value if kind == "raise" else _rebuilt(*value)
        finally:
            if not done:  # closed or cancelled at a yield: the child drops its generator too
                try:
                    self._call(pickle.dumps(("close", jid)), generation)
                except EngineProcessError:  # that child is gone, and the generator with it
                    pass

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the child: it ends its loop at EOF, else it is killed after timeout. A job in
        flight fails with EngineProcessError; the next job starts a new child."""
        proc, self._proc = self._proc, None  # not under the lock: a step in flight may be long
        if proc is None:
            return
        # killed after timeout even if closing its stdin waits (a writer blocked on a full pipe)
        deadline = threading.Timer(timeout, proc.kill)
        deadline.start()
        try:
            proc.stdin.close()  # type: ignore[union-attr]  # EOF: the child's loop ends
        except (OSError, ValueError):
            pass
        proc.wait()
        deadline.cancel()
        _close_pipes(proc)

    def close(self) -> None:
        """At exit: stop the child and start no other (a job's cleanup would start one)."""
        self._closed = True
        self.shutdown()

    # ------------------------------------------------------------------ internals
    def _ensure(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        if self._closed:
            raise EngineProcessError("the app is closing: no matching process")
        root = str(Path(__file__).resolve().parents[2])  # the folder that holds whaleid_gui
        # the package's own module, not `-m` (that would make it __main__, whose classes the parent
        # cannot unpickle), with the parent's package first on the path only if it is not there
        code = (f"import sys; root = {root!r}\n"
                "if root not in sys.path: sys.path.insert(0, root)\n"
                "from whaleid_gui.application.engine_child import main; main()")
        env = dict(os.environ)
        env.pop("QT_QPA_PLATFORM", None)  # the child has no window
        # a stderr the app does not have (a desktop launcher) would stop the child at its start
        err = None if _has_stderr() else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=err, env=env)
        except OSError as exc:
            raise EngineProcessError(f"could not start the matching process: {exc}") from exc
        self._generation += 1
        return self._proc

    def _call(self, payload: bytes, generation: int | None = None) -> tuple[tuple[str, Any], int]:
        """One request, its reply, and the generation of the child that answered. With generation
        (a job's next step): that child only; a job whose child died fails, never starts another."""
        with self._lock:
            proc = self._proc  # read once: shutdown() may clear it meanwhile, from another thread
            if generation is not None:  # a job's step: only the child it started in
                if generation != self._generation:
                    raise EngineProcessError("the matching process was restarted; this match stopped "
                                             "with the old one")
                if proc is None or proc.poll() is not None:
                    code = proc.returncode if proc is not None else None
                    raise EngineProcessError(f"the matching process stopped (exit code {code}); "
                                             "the next match starts a new one")
            else:
                proc = self._ensure()
            try:
                proc.stdin.write(struct.pack("<Q", len(payload)) + payload)  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
                return pickle.load(proc.stdout), self._generation  # type: ignore[arg-type]  # waits without the GIL
            except BaseException as exc:
                # Whatever broke the exchange (the child died, a reply this side cannot read, an
                # interrupt while waiting), the pipe may hold the rest of a reply: the next caller
                # would read it as its own. This child is done; the next job starts a new one.
                died = proc.poll()
                if died is None and isinstance(exc, (EOFError, BrokenPipeError)):
                    try:  # the pipe closed as the child died: its exit status follows at once
                        died = proc.wait(1.0)
                    except subprocess.TimeoutExpired:
                        pass
                if died is None:
                    proc.kill()
                    proc.wait()
                _close_pipes(proc)
                if self._proc is proc:
                    self._proc = None
                if not isinstance(exc, Exception):
                    raise
                what = f"stopped (exit code {died})" if died is not None else f"was stopped: {exc}"
                raise EngineProcessError(f"the matching process {what}; the next match starts a new one") from exc

    @staticmethod
    def _expect(reply: tuple[str, Any]) -> None:
        if reply[0] == "raise":
            raise reply[1]
        if reply[0] == "raise_as":
            raise _rebuilt(*reply[1])


def _close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except (OSError, ValueError):
            pass


def _has_stderr() -> bool:
    try:
        os.fstat(2)
        return True
    except OSError:
        return False


_shared = EngineProcess()
atexit.register(_shared.close)


def shared() -> EngineProcess:
    """The app's one engine process."""
    return _shared


def crosses(*args: Any, **kwargs: Any) -> bool:
    """Whether these arguments can go to the child (a model factory, say a test's lambda, cannot)."""
    if not ENABLED:
        return False
    try:
        data = pickle.dumps((args, kwargs))
    except Exception:  # noqa: BLE001 - any pickling failure means: run it here
        return False
    # something of the app's main script (a lab's plug-in defined there) cannot be loaded there
    return b"__main__" not in data


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Generator[Any, None, Any]:
    """fn in the engine process when its arguments can go there, else in this thread: a job for a
    workers.Worker. fn is a generator function (its events are yielded) or a plain function."""
    if crosses(*args, **kwargs):
        return (yield from _shared.job(fn, *args, **kwargs))
    return (yield from _as_job(fn(*args, **kwargs)))
