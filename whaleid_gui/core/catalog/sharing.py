"""The sharing exports by name, for the CLI and the app: Wildbook/Flukebook, Darwin Core, MARK."""

from __future__ import annotations

from typing import Any, Callable

KINDS = ("wildbook", "dwca", "capture-history")


def export(store, kind: str, out, overwrite: bool = False, **options):
    """Run one sharing export; returns its ExportReport (what it wrote and what it skipped)."""
    run: Callable[..., Any]  # each export takes its own options
    if kind == "wildbook":
        from .export_wildbook import export_wildbook as run
    elif kind == "dwca":
        from .export_dwca import export_dwca as run
    elif kind == "capture-history":
        from .capture_history import export_capture_history as run
    else:
        raise ValueError(f"unknown sharing export {kind!r}; use one of {', '.join(KINDS)}")
    return run(store, out, overwrite=overwrite, **options)
