"""Writing a project out: the catalog tables and the sharing formats (Wildbook, Darwin Core, capture history).

The app's save dialogs have already asked before replacing a file, so these overwrite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def export_catalog(folder: str | Path, kind: str, out_path: str | Path) -> Any:
    """Run one of the catalog exporters (worker job); returns the written path."""
    from whaleid_gui.core.catalog import exporters
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        out = getattr(exporters, f"export_{kind}")(store, out_path, overwrite=True)
    finally:
        store.close()
    return str(out)


def export_sharing(folder: str | Path, kind: str, out_path: str | Path, options: dict) -> Any:
    """A sharing export (wildbook, dwca, capture-history; worker job); returns its ExportReport
    (what it wrote and what it skipped)."""
    from whaleid_gui.core.catalog import sharing
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        return sharing.export(store, kind, out_path, overwrite=True, **options)
    finally:
        store.close()
