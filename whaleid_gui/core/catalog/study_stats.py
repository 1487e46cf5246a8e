"""The numbers behind the plots a photo-ID study reports (no Qt): the discovery curve, the
resighting frequency, the sightings per survey and the map of sightings.

A sighting here is one photo of one identified individual (a row of the sightings table).
Photos flagged unusable and photos nobody identified are left out and counted; so are
identified photos without a date (not on the discovery curve) and sightings without
coordinates (not on the map). Every list is sorted, so the same project gives the same
numbers, figures and CSVs.

Definitions:
- discovery curve: identified photos in date order (then path); after each photo (or each
  survey day, a calendar day with identified photos), how many distinct individuals so far.
- times seen: the distinct occasions on which an individual was photographed; an occasion is
  the calendar day of a dated sighting, else the survey of an undated one, else the photo.
- sightings per survey: per survey (in the order of its first date, undated surveys after, then
  "(no survey)"), identified photos and distinct individuals, split into individuals first seen
  in that survey (new) and individuals seen in an earlier one (resighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# the figures: name (file stem of `whaleid report`, key of figure_tables), title
FIGURES = (
    ("discovery_curve", "Discovery curve"),
    ("resighting_frequency", "Resighting frequency"),
    ("sightings_per_survey", "Sightings per survey"),
    ("sightings_map", "Map of sightings"),
)
NO_SURVEY = "(no survey)"
UNUSABLE = "unusable"
DISCOVERY_BY = ("photos", "days")


@dataclass(frozen=True)
class Sighting:
    """One usable photo of one identified individual."""

    individual: str  # code
    photo_id: int
    photo: str  # path
    date: str | None  # ISO 8601 as stored
    survey: str | None
    place: str | None
    lat: float | None
    lon: float | None

    @property
    def day(self) -> str | None:
        return self.date[:10] if self.date else None

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class DiscoveryPoint:
    x: int  # identified photos (or survey days) so far
    individuals: int  # distinct individuals so far
    date: str  # the photo's date, or the day
    photo: str = ""  # the photo (by photos; empty by days)


@dataclass(frozen=True)
class SurveyCount:
    survey: str
    first_date: str | None
    photos: int  # identified usable photos
    individuals: int
    new: int  # first seen in this survey
    resighted: int


@dataclass(frozen=True)
class StudyStats:
    project: str
    photos_total: int
    identified_photos: int  # usable photos with at least one sighting
    unidentified_photos: int  # usable photos nobody identified (left out)
    unusable_photos: int  # photos flagged unusable, identified or not (left out)
    undated_photos: int  # identified photos without a date (not on the discovery curve)
    individuals_without_sightings: int  # catalog individuals with no usable photo
    sightings: tuple[Sighting, ...]  # sorted by date (undated last), photo, individual
    discovery_by_photo: tuple[DiscoveryPoint, ...]
    discovery_by_day: tuple[DiscoveryPoint, ...]
    times_seen: tuple[tuple[str, int], ...]  # (individual, occasions), by individual
    resighting: tuple[tuple[int, int], ...]  # (times seen, individuals) for 1..max
    surveys: tuple[SurveyCount, ...]

    @property
    def individuals(self) -> tuple[str, ...]:
        return tuple(code for code, _n in self.times_seen)

    def discovery(self, by: str = "photos") -> tuple[DiscoveryPoint, ...]:
        if by not in DISCOVERY_BY:
            raise ValueError(f"discovery by {by!r}: use one of {', '.join(DISCOVERY_BY)}")
        return self.discovery_by_photo if by == "photos" else self.discovery_by_day

    def map_points(self, individual: str | None = None) -> tuple[Sighting, ...]:
        """Sightings with coordinates, in date order: all, or one individual's."""
        return tuple(s for s in self.sightings
                     if s.has_coordinates and (individual is None or s.individual == individual))

    def without_coordinates(self, individual: str | None = None) -> int:
        return sum(1 for s in self.sightings
                   if not s.has_coordinates and (individual is None or s.individual == individual))

    def left_out(self) -> list[str]:
        """What the figures leave out, in words (empty when nothing is)."""
        counts = (
            (self.unidentified_photos, "unidentified photo", ""),
            (self.unusable_photos, "unusable photo", ""),
            (self.undated_photos, "identified photo", " without a date (not on the discovery curve)"),
            (self.without_coordinates(), "sighting", " without coordinates (not on the map)"),
            (self.individuals_without_sightings, "individual", " without a usable photo"),
        )
        return [f"{n} {what}{'' if n == 1 else 's'}{rest}" for n, what, rest in counts if n]


def study_stats(store) -> StudyStats:
    """The figures' numbers for an open project (ProjectStore)."""
    photos = store.photos(sort="path")
    rows = store.sightings()
    codes = {ind.id: ind.code for ind in store.individuals(include_merged=True)}
    active = [ind.code for ind in store.individuals()]
    unusable = {p.id for p in photos if p.quality == UNUSABLE}
    by_id = {p.id: p for p in photos}
    sightings = sorted(
        (Sighting(codes[s.individual_id], s.photo_id, str(by_id[s.photo_id].path), s.date, s.survey, s.place,
                  s.lat, s.lon)
         for s in rows if s.photo_id not in unusable),
        key=_sighting_key,
    )
    identified = {s.photo_id for s in sightings}
    photo_dates: dict[int, str | None] = {}
    for s in sightings:  # a photo's date: its earliest sighting's (they agree unless edited)
        known = photo_dates.get(s.photo_id)
        if s.photo_id not in photo_dates or (s.date and (known is None or s.date < known)):
            photo_dates[s.photo_id] = s.date
    times = _times_seen(sightings)
    return StudyStats(
        project=str(Path(store.folder)),
        photos_total=len(photos),
        identified_photos=len(identified),
        unidentified_photos=sum(1 for p in photos if p.id not in unusable and p.id not in identified),
        unusable_photos=len(unusable),
        undated_photos=sum(1 for d in photo_dates.values() if not d),
        individuals_without_sightings=sum(1 for c in active if c not in times),
        sightings=tuple(sightings),
        discovery_by_photo=tuple(_discovery_by_photo(sightings, photo_dates)),
        discovery_by_day=tuple(_discovery_by_day(sightings)),
        times_seen=tuple(sorted(times.items())),
        resighting=tuple(_histogram(times.values())),
        surveys=tuple(_surveys(sightings)),
    )


def study_stats_of(folder: str | Path) -> StudyStats:
    """Open the project read-only, compute, close (a worker job: plain data in and out)."""
    from .store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        return study_stats(store)
    finally:
        store.close()


def _sighting_key(s: Sighting):
    return (s.date is None, s.date or "", s.photo, s.individual)


def _discovery_by_photo(sightings, photo_dates):
    order = sorted((d, s.photo, s.photo_id) for s in sightings if (d := photo_dates[s.photo_id]))
    members: dict[int, set[str]] = {}
    for s in sightings:
        members.setdefault(s.photo_id, set()).add(s.individual)
    seen: set[str] = set()
    done: set[int] = set()
    for date, path, pid in order:
        if pid in done:
            continue
        done.add(pid)
        seen |= members[pid]
        yield DiscoveryPoint(len(done), len(seen), date, path)


def _discovery_by_day(sightings) -> list[DiscoveryPoint]:
    seen: set[str] = set()
    last: dict[str, DiscoveryPoint] = {}  # day -> the total after its last sighting
    for s in sightings:  # in date order, undated last
        if s.day is None:
            break
        seen.add(s.individual)
        last[s.day] = DiscoveryPoint(len(last) + (s.day not in last), len(seen), s.day)
    return list(last.values())


def _times_seen(sightings) -> dict[str, int]:
    occasions: dict[str, set] = {}
    for s in sightings:
        if s.day:
            key = ("day", s.day)
        elif s.survey:
            key = ("survey", s.survey)
        else:
            key = ("photo", s.photo_id)
        occasions.setdefault(s.individual, set()).add(key)
    return {code: len(v) for code, v in occasions.items()}


def _histogram(values) -> list[tuple[int, int]]:
    values = list(values)
    if not values:
        return []
    return [(k, sum(1 for v in values if v == k)) for k in range(1, max(values) + 1)]


def _surveys(sightings) -> list[SurveyCount]:
    groups: dict[str, list[Sighting]] = {}
    for s in sightings:
        groups.setdefault(s.survey or NO_SURVEY, []).append(s)

    def first_date(name):
        dates = [s.date for s in groups[name] if s.date]
        return min(dates) if dates else None

    def order(name):
        d = first_date(name)
        return (name == NO_SURVEY, d is None, d or "", name)

    seen: set[str] = set()
    out = []
    for name in sorted(groups, key=order):
        inds = {s.individual for s in groups[name]}
        new = inds - seen
        seen |= inds
        out.append(SurveyCount(name, first_date(name), len({s.photo_id for s in groups[name]}), len(inds),
                               len(new), len(inds) - len(new)))
    return out


# ----------------------------------------------------------------------------- tables (CSV)
def figure_tables(stats: StudyStats, individual: str | None = None) -> dict[str, tuple[list[str], list[list]]]:
    """Each figure's numbers as (columns, rows), keyed by figure name (see FIGURES)."""
    discovery = []
    by_day = {p.date: p.x for p in stats.discovery_by_day}
    for p in stats.discovery_by_photo:
        discovery.append([p.x, by_day[p.date[:10]], p.date, p.photo, p.individuals])
    points = stats.map_points(individual)
    return {
        "discovery_curve": (["photos", "survey_days", "date", "photo", "individuals"], discovery),
        "resighting_frequency": (["times_seen", "individuals"], [list(r) for r in stats.resighting]),
        "sightings_per_survey": (
            ["survey", "first_date", "photos", "individuals", "new", "resighted"],
            [[s.survey, s.first_date or "", s.photos, s.individuals, s.new, s.resighted] for s in stats.surveys]),
        "sightings_map": (
            ["individual", "date", "lat", "lon", "place", "survey", "photo"],
            [[s.individual, s.date or "", s.lat, s.lon, s.place or "", s.survey or "", s.photo] for s in points]),
    }


def summary_rows(stats: StudyStats, individual: str | None = None) -> list[list]:
    """(what, value) rows: the counts behind the figures and what they leave out."""
    return [
        ["project", stats.project],
        ["photos", stats.photos_total],
        ["identified_photos", stats.identified_photos],
        ["individuals", len(stats.individuals)],
        ["surveys", len(stats.surveys)],
        ["left_out_unidentified_photos", stats.unidentified_photos],
        ["left_out_unusable_photos", stats.unusable_photos],
        ["undated_identified_photos_not_on_discovery_curve", stats.undated_photos],
        ["sightings_without_coordinates_not_on_map", stats.without_coordinates(individual)],
        ["individuals_without_usable_photos", stats.individuals_without_sightings],
        ["map_individual", individual or "all"],
    ]
