"""What the sharing exports have in common: their report, byte-stable zip files and a folder of
photos put in place only once everything else is written.

Every export refuses to replace what exists unless asked (overwrite=True; CLI --force), writes to
temporary names first (exporters.write_atomic), and gives the same bytes for the same catalog:
rows are sorted and zip members carry a fixed time stamp.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import CatalogError, DiskFullError, ExportExistsError
from .exporters import write_atomic

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: no clock in the output


@dataclass
class ExportReport:
    """What an export wrote and what it left out (each skipped thing named, with the reason)."""

    out: Path
    rows: int = 0
    what: str = "rows"
    written: list[Path] = field(default_factory=list)  # other files or folders written beside `out`
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (photo, individual, ...; why)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"wrote {self.out}: {self.rows} {self.what}"
        if self.written:
            text += " (and " + ", ".join(str(p) for p in self.written) + ")"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text

    def lines(self) -> list[str]:
        """The notes, one line per skipped thing, then the summary."""
        return ([f"note: {n}" for n in self.notes] + [f"skipped: {what}: {why}" for what, why in self.skipped]
                + [self.summary()])


def refuse_existing(paths: list[Path], overwrite: bool) -> None:
    if overwrite:
        return
    for p in paths:
        if p.exists() or p.is_symlink():
            raise ExportExistsError(p)


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, data) in the order given, every member stamped ZIP_TIME."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def restamp_zip(data: bytes, edit: Callable[[str, bytes], bytes] = lambda name, b: b) -> bytes:
    """The same zip (an .xlsx) with fixed member times, each member passed through `edit`."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(i.filename, edit(i.filename, zf.read(i))) for i in zf.infolist()]
    return zip_bytes(members)


def write_bytes(out: Path, data: bytes, overwrite: bool) -> Path:
    return write_atomic(out, lambda p: p.write_bytes(data), overwrite)


class StagedFolder:
    """A folder filled under a temporary name beside `final` and moved into place by install()."""

    def __init__(self, final: Path):
        self.final = final
        try:
            self.path = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
        except OSError as err:
            raise os_error(final, err) from err

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def install(self, overwrite: bool) -> Path:
        old = None
        try:
            if self.final.exists() or self.final.is_symlink():
                if not overwrite:
                    raise ExportExistsError(self.final)
                old = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
                os.replace(self.final, old)
            os.replace(self.path, self.final)
        except OSError as err:
            if old is not None and not self.final.exists():
                os.replace(old, self.final)
            self.discard()
            raise os_error(self.final, err) from err
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        return self.final


def os_error(path: Path, err: OSError) -> CatalogError:
    if getattr(err, "errno", None) == 28:
        return DiskFullError(f"{path}: the disk is full; nothing was written")
    return CatalogError(f"{path}: cannot write ({err.strerror or err})")
