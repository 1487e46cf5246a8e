"""Writing a file whole or not at all: the one temp-file + os.replace writer.

A crash, a full disk or a concurrent reader never sees half a file: the content goes to a
temporary file in the target's folder (same file system, so the final rename is atomic), is
flushed to disk, and only then takes the target's name. On any error the temporary file is
removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


def _plain_file_mode() -> int:
    # mkstemp makes files private (0600); a written file gets the mode a plain open() would give.
    # Python has no call that reads the umask without setting it, so read it once, at import.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _plain_file_mode()


@contextmanager
def replacing(path: str | Path, *, overwrite: bool = True, fsync: bool = True) -> Iterator[Path]:
    """Yields a temporary path beside `path` for the caller to write; on a clean exit that file
    becomes `path` in one step. overwrite=False: FileExistsError if `path` exists (also when it
    appears meanwhile). fsync=False for caches, where losing the last write costs a recomputation."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        if overwrite:
            os.replace(tmp, path)
        else:
            _create_only(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _create_only(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic "create only if absent"
    except FileExistsError:
        raise
    except OSError:  # file systems without hard links
        if path.exists():
            raise FileExistsError(17, "file exists", str(path)) from None
        os.replace(tmp, path)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, encoding: str | None = None, newline: str | None = None,
                 make_parents: bool = True, fsync: bool = True) -> Iterator[IO[Any]]:
    """open(path, mode) for writing, whole or not at all: `with atomic_write(p, encoding="utf-8") as fh:`."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path, fsync=fsync) as tmp:
        with open(tmp, mode, encoding=encoding, newline=newline) as fh:
            yield fh


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """path.write_text(text), whole or not at all; returns the path."""
    with atomic_write(path, "w", encoding=encoding) as fh:
        fh.write(text)
    return Path(path)
