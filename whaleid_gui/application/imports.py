"""Bringing photos and tables into a project: photos and folders, a catalog CSV, a Wildbook sheet.

Each use case opens its own store connection (the app runs them in workers), yields progress and
returns what the store's importer reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generator

from .steps import Step, sub


def import_catalog_into(store: Any, csv_path: Path) -> Generator[Any, None, Any]:
    """Catalog CSV (Image,Id) -> confirmed references, by the store's importer; returns its report."""
    from whaleid_gui.core.catalog.importers import iter_import_catalog

    report = yield from sub(iter_import_catalog(store, csv_path))
    return report


def import_catalog(folder: str | Path, csv_path: str | Path) -> Generator[Any, None, Any]:
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    try:
        report = yield from import_catalog_into(store, Path(csv_path))
    finally:
        store.close()
    return report


def import_photos(folder: str | Path, paths: list[str]) -> Generator[Any, None, tuple[str, list[str]]]:
    """Import files and folders (menu or drag and drop); returns a one-line summary and the errors."""
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    added, errors, notes = 0, [], []
    try:
        for i, name in enumerate(paths):
            p = Path(name)
            yield Step(i, len(paths), f"Importing {p.name}")
            if p.is_dir():
                from whaleid_gui.core.catalog.importers import iter_import_folder

                report = yield from sub(iter_import_folder(store, p))
                added += report.added
                errors += [f"{f}: {r}" for f, r in report.errors]
                if report.skipped_duplicates:
                    notes.append(f"{len(report.skipped_duplicates)} duplicates skipped")
            else:
                try:
                    store.add_photo(p)
                    added += 1
                except Exception as exc:
                    errors.append(str(exc))
    finally:
        store.close()
    summary = f"{added} photos imported" + (f", {len(errors)} not imported" if errors else "")
    if notes:
        summary += ", " + ", ".join(notes)
    return summary, errors


def import_wildbook(folder: str | Path, sheet: str | Path) -> Generator[Any, None, Any]:
    """A Wildbook / Flukebook spreadsheet into the project (worker job); returns the ImportReport."""
    from whaleid_gui.core.catalog.import_wildbook import iter_import_wildbook
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    try:
        report = yield from sub(iter_import_wildbook(store, Path(sheet)))
    finally:
        store.close()
    return report
