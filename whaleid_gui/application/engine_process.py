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
not have) fails alone instead of leaving the rest of it in the pipe. A child that dies (a crash in a native library, killed for memory) fails the job in flight
with EngineProcessError; the next job starts a new child.
"""

from __future__ import annotations

import atexit
import collections
import importlib
import itertools
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from types import GeneratorType
from typing import Any, Callable, Generator

# A job may use only this package's functions: the child imports them by name.
_PACKAGE = "whaleid_gui."
ENABLED = True  # tests that replace a job's function inside this process run jobs here instead
NICE = 10  # the child's priority below the window's (os.nice)


class EngineProcessError(RuntimeError):
    """The child stopped (or could not start) while a job needed it."""


class RemoteError(RuntimeError):
    """An exception of the child that does not pickle, as text."""


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
        if not fn.__module__.startswith(_PACKAGE):
            raise ValueError(f"{fn.__qualname__}: only {_PACKAGE}* functions run in the engine process")
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
                f"from {__name__} import main; main()")
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


def _as_job(value: Any) -> Generator[Any, None, Any]:
    if isinstance(value, GeneratorType):
        return (yield from value)
    return value


def ping(*_args: Any) -> int:
    """The id of the process a job runs in (a check that the engine process answers)."""
    return os.getpid()


# ------------------------------------------------------------------------------ the child
def _sendable_class(module: str) -> bool:
    """An exception class the parent may rebuild: one it has without importing anything new (the
    window's process must not import torch to show torch's error) or one of this package's."""
    return module == "builtins" or module.startswith(_PACKAGE)


def _portable(exc: BaseException) -> tuple[str, Any]:
    """The reply that raises exc in the parent: the exception itself when it is a class the parent
    may load and pickles back as itself; else its class and message (an exception whose __init__
    builds its message from other arguments, say a folder, would come back with it built twice)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception that cannot say what it is still fails its job
        text = f"<{type(exc).__name__}: unprintable>"
    if _sendable_class(type(exc).__module__):
        try:
            back = pickle.loads(pickle.dumps(exc))
            if type(back) is type(exc) and str(back) == text:
                return "raise", exc
        except Exception:  # noqa: BLE001 - sent as class and message below
            pass
    return "raise_as", (type(exc).__module__, type(exc).__qualname__, text)


def _rebuilt(module: str, qualname: str, text: str) -> BaseException:
    """The child's exception with its class and message (not its other fields), when the class is
    one this process has already or one of this package's; else a RemoteError naming it."""
    try:
        cls: Any = sys.modules.get(module) or (importlib.import_module(module) if _sendable_class(module) else None)
        for part in qualname.split(".") if cls is not None else ():
            cls = getattr(cls, part)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            exc = cls.__new__(cls)
            exc.args = (text,)
            if str(exc) == text:
                return exc
    except Exception:  # noqa: BLE001 - a class this process cannot rebuild: its name and message
        pass
    return RemoteError(f"{qualname}: {text}")


def serve(inp: Any, out: Any) -> None:
    """The child's loop: one request, one reply, until the parent closes the pipe."""
    jobs: dict[int, Generator[Any, None, Any]] = {}

    def reply(message: tuple[str, Any], jid: int | None = None) -> None:
        try:
            data = pickle.dumps(message)
        except Exception as exc:  # noqa: BLE001 - what does not pickle fails its job, not the child
            job = jobs.pop(jid, None) if jid is not None else None
            if job is not None:
                job.close()
            data = pickle.dumps(("raise", RemoteError(f"cannot send {type(message[1]).__name__}: {exc}")))
        out.write(data)
        out.flush()

    while True:
        head = inp.read(8)
        if len(head) < 8:
            return  # EOF: the app closed the pipe
        size = struct.unpack("<Q", head)[0]
        data = inp.read(size)
        if len(data) < size:
            return
        try:
            request = pickle.loads(data)  # a request this side cannot load fails alone (framed)
        except Exception as exc:  # noqa: BLE001
            reply(_portable(exc))
            continue
        op, jid = request[0], request[1]
        try:
            if op == "start":
                module, qualname = request[2]
                fn: Any = importlib.import_module(module)
                for part in qualname.split("."):
                    fn = getattr(fn, part)
                jobs[jid] = _as_job(fn(*request[3], **request[4]))
                reply(("ok", None))
            elif op == "next":
                job = jobs.get(jid)
                if job is None:
                    raise EngineProcessError("this match is not known to the matching process (it was restarted)")
                try:
                    reply(("yield", next(job)), jid)
                except StopIteration as stop:
                    del jobs[jid]
                    reply(("return", stop.value))
            elif op == "close":
                job = jobs.pop(jid, None)
                if job is not None:
                    job.close()
                reply(("ok", None))
        except BaseException as exc:  # noqa: BLE001 - the job's error goes to its caller
            jobs.pop(jid, None)
            if not isinstance(exc, Exception):
                raise
            traceback.print_exc(file=sys.stderr)
            reply(_portable(exc))


def main() -> None:
    # The protocol's channels are the pipes as they came; fd 0 and 1 become /dev/null and stderr,
    # so that nothing a job reads or prints can take or corrupt a message.
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # the parent gave a stderr (or /dev/null when it had none)
    sys.stdout = sys.stderr
    # Ctrl+C in the terminal that started the app is for the app: it ends this process by closing
    # the pipe. (Not a session of its own instead: Linux's autogroup scheduling then shares the
    # cores equally between the two sessions whatever the nice value below, measured: the window's
    # longest stall at opening 44-49 ms -> 66-122 ms.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the window's priority: on two cores torch's threads here took the core the window
    # needed to draw the next photo. When the window is idle (most of the time) this process
    # still gets every core.
    try:
        getattr(os, "nice", lambda _n: None)(NICE)
    except OSError:  # not allowed here: the same priority as the window
        pass
    # What the first match needs, imported now: the parent starts this process with the window,
    # so these imports overlap the window's start-up instead of the first ranking (the first
    # request waits in the pipe meanwhile). One that fails fails the jobs that need it, not this.
    try:
        import whaleid_gui.core.keypoint_matching  # noqa: F401
        import whaleid_gui.core.model  # noqa: F401
    except Exception:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
    serve(inp, out)


if __name__ == "__main__":
    main()
