"""Import a folder of survey photos (recursive, idempotent), flagging exact and near duplicates.

Photos are decoded and hashed outside any transaction and written in batches, each batch one
transaction: a crash loses at most the batch in flight, never half a row, and importing the
folder again picks up where it stopped (paths already held are skipped).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sqlalchemy import select

from whaleid_gui.core.errors import BadInputError, ImageError
from whaleid_gui.core.progress import Finished, Progress, drive

from . import hashing
from .photofile import PreparedPhoto, canonical_path, prepare_photo
from .rows import ImportReport
from .schema import photos

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
PROJECT_FILES = ("project.sqlite", "project.postgresql", "project.lock", "settings.json", ".settings.")


def list_files(folder: Path, project_folder: Path | None = None) -> tuple[list[Path], list[str]]:
    """All files under folder, sorted (hidden ones and the project's own files left out)."""
    files, notes = [], []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in dirs:
            if Path(d).suffix.lower() in IMAGE_SUFFIXES:
                notes.append(f"{Path(root) / d}: is a directory named like an image; searched it as a folder")
        root_path = Path(root)
        for name in sorted(names):
            if name.startswith("."):
                continue
            if project_folder is not None and root_path == project_folder and name.startswith(PROJECT_FILES):
                continue
            files.append(root_path / name)
    return files, notes


class _Known:
    """What the project already holds, for duplicate checks during one import."""

    def __init__(self, conn):
        rows = conn.execute(
            select(photos.c.id, photos.c.path, photos.c.sha1, photos.c.phash, photos.c.width, photos.c.height)
        ).all()
        self.paths = {r.path for r in rows}
        self.by_sha1 = {r.sha1: r.path for r in rows}
        self.hash_list = [hashing.to_unsigned(r.phash) or 0 for r in rows]
        self.info = [(r.path, r.width, r.height) for r in rows]
        self._array = None

    def add(self, p: PreparedPhoto) -> None:
        path = str(p.path)
        self.paths.add(path)
        self.by_sha1[p.sha1] = path
        self.hash_list.append(p.phash)
        self.info.append((path, p.width, p.height))
        self._array = None

    def near(self, p: PreparedPhoto) -> str | None:
        """Path of a photo held that is the same picture by the ALGORITHM.md rule, or None."""
        if not self.hash_list:
            return None
        if self._array is None or len(self._array) != len(self.hash_list):
            self._array = np.array(self.hash_list, dtype=np.uint64)
        dist = hashing.hamming_many(p.phash, self._array)
        for i in np.flatnonzero(dist <= hashing.NEAR_BITS):
            path, w, h = self.info[i]
            if dist[i] == 0:
                return path
            if (w, h) == (p.width, p.height) and p.image is not None:
                try:
                    from whaleid_gui.core.photo_files import load_image

                    if hashing.same_picture(p.image, load_image(path)):
                        return path
                except ImageError:
                    continue
        return None


def iter_import_folder(store, folder: str | Path, survey: str | None = None, batch: int = 200):
    """Job: yields Progress events, then Finished(ImportReport)."""
    folder = canonical_path(folder)
    if not folder.exists():
        raise BadInputError(folder, "folder not found")
    if not folder.is_dir():
        raise BadInputError(folder, "is not a folder")
    files, notes = list_files(folder, store.folder)
    report = ImportReport(notes=notes)
    with store._read() as conn:
        known = _Known(conn)
    path_ids: dict[str, int] = {}
    pending: list[tuple[PreparedPhoto, str | None]] = []

    def flush():
        if not pending:
            return
        with store._tx() as conn:
            if not path_ids:
                path_ids.update({p: i for i, p in conn.execute(select(photos.c.id, photos.c.path))})
            for prepared, near_path in pending:
                near_id = path_ids.get(near_path) if near_path else None
                pid = store._insert_photo(conn, prepared, survey=survey, near_of=near_id)
                path_ids[str(prepared.path)] = pid
        report.added += len(pending)
        pending.clear()

    total = len(files)
    for n, path in enumerate(files, start=1):
        if str(path) in known.paths:
            report.already_present += 1
        else:
            try:
                prepared = prepare_photo(path, keep_image=True)
            except ImageError as err:
                report.errors.append((str(path), err.reason))
            except OSError as err:  # e.g. permission denied while reading EXIF
                report.errors.append((str(path), err.strerror or str(err)))
            else:
                if prepared.sha1 in known.by_sha1:
                    report.skipped_duplicates.append((str(path), known.by_sha1[prepared.sha1]))
                else:
                    near_path = known.near(prepared)
                    if near_path is not None:
                        report.near_duplicates.append((str(path), near_path))
                    known.add(prepared)
                    pending.append((_without_image(prepared), near_path))
        if len(pending) >= batch:
            flush()
            yield Progress(n, total, f"{report.added} photos saved")
        else:
            yield Progress(n, total, "importing photos")
    flush()
    yield Progress(total, total, f"{report.added} photos saved")
    yield Finished(report)


def import_folder(store, folder, progress=None, survey=None, batch: int = 200) -> ImportReport:
    return drive(iter_import_folder(store, folder, survey=survey, batch=batch), progress)


def _without_image(p: PreparedPhoto) -> PreparedPhoto:
    from dataclasses import replace

    return replace(p, image=None)
