"""Errors of the project store, each with a one-line message fit to show a scientist."""

from __future__ import annotations

from pathlib import Path

from whaleid_gui.core.errors import WhaleIDError


class CatalogError(WhaleIDError):
    """Base of every project-store error."""


class ProjectNotFoundError(CatalogError):
    def __init__(self, folder: str | Path):
        self.folder = str(folder)
        super().__init__(
            f"{folder}: not a WhaleID project (no project.sqlite or project.postgresql); "
            "create it with `whaleid project create`"
        )


class ProjectExistsError(CatalogError):
    def __init__(self, folder: str | Path):
        self.folder = str(folder)
        super().__init__(f"{folder}: a WhaleID project already exists here")


class ProjectInUseError(CatalogError):
    """Another live process holds the project for writing."""

    def __init__(self, holder: str, since: str, folder: str | Path | None = None):
        self.holder = holder
        self.since = since
        self.folder = None if folder is None else str(folder)
        where = f"{folder}: " if folder is not None else ""
        super().__init__(
            f"{where}project is in use by {holder} since {since}; "
            "close it there or open this project read-only"
        )


class ProjectReadOnlyError(CatalogError):
    """A write was attempted on a project opened read-only, or the folder cannot be written."""


class DiskFullError(CatalogError):
    """The disk (or the database's size limit) is full; the failed step was rolled back."""


class SchemaTooNewError(CatalogError):
    """The project file was written by a newer WhaleID."""


class ExportExistsError(CatalogError):
    def __init__(self, path: str | Path):
        self.path = str(path)
        super().__init__(f"{path}: file exists; pass overwrite=True (CLI: --force or --overwrite) to replace it")


class NotFoundError(CatalogError, KeyError):
    """A photo, individual or decision id/code that the project does not hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DecisionError(CatalogError):
    """A decision that cannot be applied (e.g. photo already identified, undo blocked)."""


class CodeTakenError(CatalogError):
    """An individual code that another individual holds already (perhaps taken a moment ago by
    another reviewer)."""


class DecisionConflictError(DecisionError):
    """Someone else decided the photo after this decision's reviewer looked at it (optimistic
    version check). `first` is that other decision (who, when, what); `refused` is this one, kept
    in the history (undone, conflict_with = first.id) without any effect."""

    def __init__(self, first, refused, photo_name: str | None = None):
        self.first = first
        self.refused = refused
        what = describe_decision(first)
        mine = describe_decision(refused)
        super().__init__(
            f"{photo_name or f'photo {refused.photo_id}'} was decided meanwhile by {first.who or 'someone'} at "
            f"{short_time(first.at)}: {what}{' (since undone)' if first.undone else ''}. "
            f"Your decision ({mine}) was not applied; it is kept in the history. "
            "Open the photo again to see it as it is now"
        )


def describe_decision(row) -> str:
    """'confirmed HW-001', 'new individual HW-014', 'skipped' (a DecisionRow or a Decision)."""
    kind = str(getattr(row, "decision", None) or getattr(row, "kind", ""))
    code = getattr(row, "individual_code", None) or getattr(row, "code", None)
    return f"{kind.replace('_', ' ')} {code}" if code else kind.replace("_", " ")


def short_time(iso: str | None) -> str:
    """'2026-12-02 16:03:21 UTC' from a stored ISO time (as is when unreadable)."""
    from datetime import datetime, timedelta

    try:
        t = datetime.fromisoformat(iso or "")
    except ValueError:
        return iso or "?"
    return t.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if t.utcoffset() == timedelta(0) else "")
