"""The project store: one folder with settings.json and its catalog: project.sqlite (+ project.lock), or
PostgreSQL named by project.postgresql (no Qt)."""

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
from .store import ProjectStore, is_project_folder

__all__ = [
    "SCHEMA_VERSION", "ProjectStore", "is_project_folder", "PhotoRow", "BoxRow", "IndividualRow", "DecisionRow",
    "SightingRow",
    "CandidateRow", "ModelRunRow", "ImportReport", "CheckReport", "CatalogError", "DecisionError",
    "DecisionConflictError", "CodeTakenError",
    "DiskFullError", "ExportExistsError", "NotFoundError", "ProjectExistsError", "ProjectInUseError",
    "ProjectNotFoundError", "ProjectReadOnlyError", "SchemaTooNewError",
]
