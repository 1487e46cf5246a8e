"""One writer per project: an flock'ed `project.lock` whose text names the holder.

Why flock: the kernel drops it when the holder dies (even by SIGKILL), so a stale lock of a
dead process is taken over without guessing. The file's text ("user@host (pid N)" and since
when) is only for the message shown to the second user. Several stores opened in the same
process (e.g. a GUI worker with its own connection) share one lock through a refcount.
Where flock is unsupported (some network file systems) we fall back to "same host and the
recorded pid is alive".
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import os
import socket
import threading
from pathlib import Path

from .errors import ProjectInUseError, ProjectReadOnlyError
from .timeutil import now_iso

LOCK_NAME = "project.lock"

_held: dict[str, list] = {}  # realpath -> [fd, refcount]
_guard = threading.Lock()


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


class ProjectLock:
    """shared=True: several programs that all open shared write together (SQLite queues their
    transactions; decisions are version-checked), but never beside an exclusive holder."""

    def __init__(self, folder: Path, user: str | None = None, shared: bool = False):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.user = user or default_user()
        self.shared = shared
        self._key: str | None = None

    def acquire(self) -> None:
        key = os.path.realpath(self.path)
        with _guard:
            if key in _held:
                _held[key][1] += 1
                self._key = key
                return
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise ProjectReadOnlyError(
                    f"{self.folder}: cannot write the project folder ({err.strerror}); "
                    "open the project read-only or copy it to a writable place"
                ) from err
            try:
                self._lock_fd(fd)
                if not self.shared:  # shared holders leave the text alone (there are several)
                    self._write_holder(fd)
            except BaseException:
                os.close(fd)
                raise
            _held[key] = [fd, 1]
            self._key = key

    def last_holder(self) -> bool:
        """Whether releasing this would let the project go (no other store of this process holds it)."""
        with _guard:
            entry = _held.get(self._key) if self._key is not None else None
            return entry is not None and entry[1] == 1

    def release(self) -> None:
        if self._key is None:
            return
        with _guard:
            key, self._key = self._key, None
            entry = _held.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            fd = entry[0]
            del _held[key]
            try:
                if not self.shared:
                    os.ftruncate(fd, 0)  # no holder any more; the file itself stays (unlinking races)
            except OSError:
                pass
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _lock_fd(self, fd: int) -> None:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return  # ours; whatever the file says is stale (its holder is gone)
        except BlockingIOError:
            holder, since = _holder_of(fd)
            raise ProjectInUseError(holder, since, self.folder) from None
        except OSError as err:
            if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
        info = _read_info(fd)  # no flock here: trust a live pid on this host
        if info and info.get("pid") and info.get("pid") != os.getpid():
            same_host = info.get("host") == socket.gethostname()
            if not same_host or _pid_alive(int(info["pid"])):
                raise ProjectInUseError(info.get("holder", "?"), info.get("since", "?"), self.folder)

    def _write_holder(self, fd: int) -> None:
        host = socket.gethostname()
        info = {
            "holder": f"{self.user}@{host} (pid {os.getpid()})",
            "host": host,
            "pid": os.getpid(),
            "since": now_iso(),
        }
        data = json.dumps(info).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        # No fsync: the flock is the lock, this text only names its holder to others, and after a
        # crash the lock is gone whatever the text says (_lock_fd treats it as stale). The fsync
        # was 20-25 ms of the GUI thread at every project opening (issue 15).


def read_holder(folder: Path) -> tuple[str, str] | None:
    """(holder, since) as recorded in the lock file, or None when nobody recorded one."""
    try:
        with open(Path(folder) / LOCK_NAME, "rb") as fh:
            info = json.loads(fh.read() or b"null")
    except (OSError, ValueError):
        return None
    if not info:
        return None
    return info.get("holder", "?"), info.get("since", "?")


def _read_info(fd: int) -> dict | None:
    try:
        data = os.pread(fd, 4096, 0)
        return json.loads(data) if data else None
    except (OSError, ValueError):
        return None


def _holder_of(fd: int) -> tuple[str, str]:
    info = _read_info(fd) or {}
    # no text: the holders opened it shared (several reviewers), none of them wrote its name
    return info.get("holder", "other reviewers sharing it"), info.get("since", "an unknown time")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
