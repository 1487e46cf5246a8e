"""What the sharing formats export: the sightings of identified individuals, grouped into encounters.

A sighting is one photo of one individual. An encounter is one individual seen once: the dated
sightings of the same individual with the same date, place, position, survey, observer and
confirmer (the formats' one row / one occurrence, its photos listed together). An undated sighting
is an encounter of its own (nothing says its photos were taken together). Everything is sorted, so that the
same catalog always exports the same rows in the same order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from .schema import individuals, photos, sightings
from .store_photos import has_sighting


@dataclass(frozen=True)
class Seen:
    """An individual seen: when, where, by whom, and who identified it (a sighting or an encounter)."""

    code: str
    name: str | None
    date: str | None
    place: str | None
    lat: float | None
    lon: float | None
    survey: str | None
    observer: str | None
    confirmed_by: str | None
    verified: bool  # confirmed by a decision in WhaleID (not imported)


@dataclass(frozen=True)
class Sighted(Seen):
    """One sighting with its photo."""

    photo_id: int
    path: Path
    sha1: str
    quality: str | None
    taken_at: str | None


@dataclass(frozen=True)
class Encounter(Seen):
    sightings: tuple[Sighted, ...]  # by photo path


def identified(store) -> list[Sighted]:
    """Every sighting of a current (not merged-away) individual, by code, date and photo path."""
    query = (
        select(
            individuals.c.code, individuals.c.name, photos.c.id.label("photo_id"), photos.c.path, photos.c.sha1,
            photos.c.quality, photos.c.taken_at, sightings.c.date, sightings.c.place, sightings.c.lat,
            sightings.c.lon, sightings.c.survey, sightings.c.observer, sightings.c.confirmed_by,
            sightings.c.decision_id,
        )
        .select_from(
            sightings.join(photos, photos.c.id == sightings.c.photo_id)
            .join(individuals, individuals.c.id == sightings.c.individual_id)
        )
        .where(individuals.c.merged_into.is_(None))
        .order_by(individuals.c.code, sightings.c.date.is_(None), sightings.c.date, photos.c.path)
    )
    with store._read() as conn:
        rows = conn.execute(query).all()
    return [
        Sighted(r.code, r.name, r.date, r.place, r.lat, r.lon, r.survey, r.observer, r.confirmed_by,
                r.decision_id is not None, r.photo_id, Path(r.path), r.sha1, r.quality, r.taken_at)
        for r in rows
    ]


def unidentified(store) -> list[Path]:
    """Paths of the photos that show no identified individual, sorted."""
    with store._read() as conn:
        paths = conn.execute(select(photos.c.path).where(~has_sighting()).order_by(photos.c.path)).scalars().all()
    return [Path(p) for p in paths]


def group(records: list[Sighted], date: Callable[[str | None], str | None] = lambda d: d) -> list[Encounter]:
    """Encounters of the sightings, by date (undated last), code and first photo. `date` maps a
    sighting's date to the precision the format keeps (sightings equal at that precision group)."""
    groups: dict[tuple, list[Sighted]] = {}
    for r in records:
        key: tuple = (r.code, date(r.date), r.place, r.lat, r.lon, r.survey, r.observer, r.confirmed_by, r.verified)
        if r.date is None:
            key += (r.photo_id,)
        groups.setdefault(key, []).append(r)
    out = []
    for members in groups.values():
        members.sort(key=lambda s: (str(s.path), s.sha1))
        seen = {f.name: getattr(members[0], f.name) for f in fields(Seen)}
        out.append(Encounter(**{**seen, "date": date(members[0].date)}, sightings=tuple(members)))
    out.sort(key=lambda e: (e.date is None, e.date or "", e.code, str(e.sightings[0].path)))
    return out


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?")


def date_parts(text: str | None) -> tuple[int | None, ...] | None:
    """(year, month, day, hour, minute) of an ISO 8601 date (missing parts None); None if not one."""
    m = _DATE.match((text or "").strip())
    if not m:
        return None
    return tuple(None if g is None else int(g) for g in m.groups()[:5])


def to_minute(text: str | None) -> str | None:
    """An ISO date cut to the minute (what Wildbook keeps); other text unchanged."""
    m = _DATE.match((text or "").strip())
    if text is None or not m or m.group(6) is None:
        return text
    return text.strip()[: m.end(5)]


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def file_names(records: list[Sighted]) -> dict[str, str]:
    """sha1 -> the exported file name of each photo: its own name with only letters, digits, dot,
    dash, underscore and space (Wildbook's rule; accents dropped); names shared by different photos
    (ignoring case) get the start of their SHA-1 added, so the same catalog always gives the same names."""
    name_of = {}
    for r in records:
        ascii_stem = unicodedata.normalize("NFKD", r.path.stem).encode("ascii", "ignore").decode()
        stem = _UNSAFE.sub("_", ascii_stem).strip() or "photo"
        name_of[r.sha1] = (stem, _UNSAFE.sub("_", r.path.suffix.lower()))
    taken: dict[str, set[str]] = {}
    for sha1, (stem, suffix) in name_of.items():
        taken.setdefault((stem + suffix).lower(), set()).add(sha1)
    return {
        sha1: f"{stem}{suffix}" if len(taken[(stem + suffix).lower()]) == 1 else f"{stem}_{sha1[:10]}{suffix}"
        for sha1, (stem, suffix) in name_of.items()
    }


def clean(text) -> str:
    """A value on one line (no tabs or line breaks), '' for None."""
    if text is None:
        return ""
    return " ".join(str(text).split()) if any(c in str(text) for c in "\t\r\n") else str(text)
