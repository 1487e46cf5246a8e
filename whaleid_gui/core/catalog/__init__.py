"""The project store: one folder with project.sqlite, settings.json and project.lock (no Qt)."""

from .errors import (
    CatalogError,
    CodeTakenError,
    DecisionConflictError,
    DecisionError,
    DiskFullError,
    ExportExistsError,
    NotFoundError,
    ProjectExistsError,
    ProjectInUseError,
    ProjectNotFoundError,
    ProjectReadOnlyError,
    SchemaTooNewError,
)
from .rows import (
    BoxRow,
    CandidateRow,
    CheckReport,
    DecisionRow,
    ImportReport,
    IndividualRow,
    ModelRunRow,
    PhotoRow,
    SightingRow,
)
from .schema import SCHEMA_VERSION
from .store import ProjectStore

__all__ = [
    "SCHEMA_VERSION", "ProjectStore", "PhotoRow", "BoxRow", "IndividualRow", "DecisionRow", "SightingRow",
    "CandidateRow", "ModelRunRow", "ImportReport", "CheckReport", "CatalogError", "DecisionError",
    "DecisionConflictError", "CodeTakenError",
    "DiskFullError", "ExportExistsError", "NotFoundError", "ProjectExistsError", "ProjectInUseError",
    "ProjectNotFoundError", "ProjectReadOnlyError", "SchemaTooNewError",
]
