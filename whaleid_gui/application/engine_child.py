"""The engine process's side (application/engine_process.py starts it and explains why): a loop
that reads one framed request at a time from the app, runs or steps the job it names, and writes
one pickled reply; and how an exception crosses back (its class and message, never a class whose
module the app's process would have to import, such as torch's).
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import struct
import sys
import traceback
from types import GeneratorType
from typing import Any, Generator

PACKAGE = "whaleid_gui."  # a job may use only this package's functions: they are imported by name
NICE = 10  # this process's priority below the window's (os.nice)


class EngineProcessError(RuntimeError):
    """The child stopped (or could not start) while a job needed it."""


class RemoteError(RuntimeError):
    """An exception of the child that does not pickle, as text."""


def _as_job(value: Any) -> Generator[Any, None, Any]:
    if isinstance(value, GeneratorType):
        return (yield from value)
    return value


def ping(*_args: Any) -> int:
    """The id of the process a job runs in (a check that the engine process answers)."""
    return os.getpid()


def _sendable_class(module: str) -> bool:
    """An exception class the parent may rebuild: one it has without importing anything new (the
    window's process must not import torch to show torch's error) or one of this package's."""
    return module == "builtins" or module.startswith(PACKAGE)


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
