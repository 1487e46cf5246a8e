"""Frozen row types handed out by the store (plain data: safe to pass to workers and widgets).

All dates and times are ISO 8601 strings (UTC with offset for timestamps the program makes;
EXIF/CSV dates as given, usually local time without offset) so that they sort as text and
export unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from whaleid_gui.core.boxes import BoundingBox

PHOTO_STATUSES = ("needs_box", "needs_decision", "done")
BOX_SOURCES = ("manual", "proposed", "imported")
DECISIONS = ("confirmed", "rejected", "new_individual", "skipped")
QUALITIES = ("good", "fair", "poor", "unusable")


@dataclass(frozen=True)
class PhotoRow:
    id: int
    path: Path
    sha1: str
    phash: int | None  # 64-bit perceptual hash as an unsigned int
    width: int
    height: int
    taken_at: str | None
    lat: float | None
    lon: float | None
    camera: str | None
    survey: str | None
    imported_at: str
    status: str  # needs_box | needs_decision | done
    quality: str | None = None  # schema v2
    comment: str | None = None  # schema v2
    near_duplicate_of: int | None = None  # photo id this one nearly duplicates


@dataclass(frozen=True)
class BoxRow:
    id: int
    photo_id: int
    box: BoundingBox
    rotation: int  # 0 or 180
    flip: bool
    source: str  # manual | proposed | imported
    author: str | None
    created_at: str


@dataclass(frozen=True)
class IndividualRow:
    id: int
    code: str
    name: str | None
    notes: str | None
    created_at: str
    n_photos: int
    first_seen: str | None
    last_seen: str | None
    last_place: str | None


@dataclass(frozen=True)
class SightingRow:
    id: int
    photo_id: int
    individual_id: int
    date: str | None
    place: str | None
    lat: float | None
    lon: float | None
    survey: str | None
    observer: str | None
    confirmed_by: str | None
    created_at: str
    decision_id: int | None


@dataclass(frozen=True)
class DecisionRow:
    id: int
    photo_id: int
    individual_id: int | None
    decision: str  # confirmed | rejected | new_individual | skipped
    score: float | None
    rank: int | None
    weights_id: str | None
    who: str | None
    at: str
    undone: bool
    individual_code: str | None = None  # code at decision time (kept if the individual goes)
    undone_at: str | None = None
    photo_version: int | None = None  # the photo's decision version this decision produced
    conflict_with: int | None = None  # refused: the decision made first by someone else


class CandidateRow(NamedTuple):
    """One ranked candidate: unpacks as (code, score, rank) like record_candidates' input."""

    code: str  # individual code, or "new_whale"
    score: float
    rank: int


@dataclass(frozen=True)
class ModelRunRow:
    id: int
    weights_id: str
    kind: str
    started_at: str
    finished_at: str | None
    data_summary: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    """What an import did. added counts new photos; lists name the files concerned."""

    added: int = 0
    skipped_duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, photo it duplicates)
    near_duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, similar photo)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    already_present: int = 0  # same path imported before (idempotent re-import)
    individuals_added: int = 0
    sightings_added: int = 0
    boxes_added: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. encoding used, duplicated CSV rows

    def summary(self) -> str:
        parts = [f"{self.added} photos added"]
        if self.already_present:
            parts.append(f"{self.already_present} already in the project")
        if self.skipped_duplicates:
            parts.append(f"{len(self.skipped_duplicates)} exact duplicates skipped")
        if self.near_duplicates:
            parts.append(f"{len(self.near_duplicates)} near-duplicates flagged")
        if self.individuals_added:
            parts.append(f"{self.individuals_added} individuals added")
        if self.sightings_added:
            parts.append(f"{self.sightings_added} sightings added")
        if self.boxes_added:
            parts.append(f"{self.boxes_added} boxes added")
        if self.errors:
            parts.append(f"{len(self.errors)} files not imported")
        return ", ".join(parts)


@dataclass
class CheckReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    empty_individuals: list[str] = field(default_factory=list)  # codes without photos (not an error)
