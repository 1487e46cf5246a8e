"""Field data for the demo project: the dates, places and surveys a real season's photos carry, so
"last seen", the sightings and the same-encounter strip show what they show on a real survey.

The catalog photos are sightings of earlier seasons (a sightings table with date, place, position
and survey). The survey photos get EXIF dates and GPS positions, written into the JPEGs as a camera
would: the photos of one whale are one encounter, a few minutes apart; encounters are over
2 hours 20 minutes apart (beyond the same-encounter window), four a day, one survey a day. Deterministic.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from whaleid_gui.core.labels import NEW_WHALE

PLACE = "Samana Bay"
BAY = (19.20, -69.40)  # lat, lon of the bay; positions scatter a few km around it
SEASON_START = datetime(2023, 2, 3, 8, 0)
# hours after 08:00 of a survey day: with up to 20 min of jitter and a few photos 3 min apart,
# two encounters stay over 2 h 20 min apart, beyond the same-encounter window (review_session)
ENCOUNTER_SLOTS = (0.0, 3.0, 6.0, 9.0)
CATALOG_SEASONS = (2020, 2021, 2022)


@dataclass(frozen=True)
class FieldRecord:
    path: Path
    taken_at: datetime
    survey: str
    lat: float
    lon: float


def survey_schedule(photos: list[tuple[Path, str]], seed: int = 0) -> list[FieldRecord]:
    """(photo, true label) of the survey photos -> when and where each was taken. Photos of one
    whale form one encounter; each new_whale photo is an encounter of its own (its label does not
    say which unknown whale it shows)."""
    rng = random.Random(seed)
    encounters: dict[str, list[Path]] = {}
    for n, (path, label) in enumerate(photos):
        encounters.setdefault(f"{NEW_WHALE}#{n}" if label == NEW_WHALE else label, []).append(path)
    groups = list(encounters.values())
    rng.shuffle(groups)
    out = []
    for k, group in enumerate(groups):
        day, slot = divmod(k, len(ENCOUNTER_SLOTS))
        start = SEASON_START + timedelta(days=3 * day, hours=ENCOUNTER_SLOTS[slot], minutes=rng.randrange(20))
        lat, lon = BAY[0] + rng.gauss(0, 0.03), BAY[1] + rng.gauss(0, 0.05)
        survey = f"{PLACE} {start.date().isoformat()}"
        for i, path in enumerate(group):
            when = start + timedelta(minutes=3 * i, seconds=rng.randrange(60))
            out.append(FieldRecord(path, when, survey, round(lat + rng.gauss(0, 0.001), 5),
                                   round(lon + rng.gauss(0, 0.001), 5)))
    return out


def write_exif(record: FieldRecord) -> None:
    """The date and GPS position in the JPEG's EXIF, as a camera writes them (re-saved at quality 92)."""
    from PIL import Image

    with Image.open(record.path) as im:
        im.load()
        exif = Image.Exif()
        stamp = record.taken_at.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp  # DateTime
        exif.get_ifd(0x8769)[0x9003] = stamp  # DateTimeOriginal
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if record.lat >= 0 else "S"), _dms(abs(record.lat))
        gps[3], gps[4] = ("E" if record.lon >= 0 else "W"), _dms(abs(record.lon))
        im.convert("RGB").save(record.path, exif=exif, quality=92)


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return float(d), float(m), round((value - d - m / 60) * 3600, 2)


def catalog_sightings_csv(references: list[tuple[str, str]], out_csv: Path, seed: int = 0) -> Path:
    """A sightings table (Image, Id, date, place, lat, lon, survey) for the catalog photos, (Image as
    the catalog CSV names it, Id): each individual first seen in one of the earlier seasons, its
    other photos on later days. Written beside the catalog CSV (Image is relative to it)."""
    rng = random.Random(seed + 1)
    first_day: dict[str, datetime] = {}
    with open(out_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image", "Id", "date", "place", "lat", "lon", "survey"])
        for image, code in references:
            if code not in first_day:
                season = rng.choice(CATALOG_SEASONS)
                first_day[code] = datetime(season, 2, 1, 9, 0) + timedelta(days=rng.randrange(60),
                                                                          minutes=rng.randrange(480))
                when = first_day[code]
            else:
                when = first_day[code] + timedelta(days=rng.randrange(0, 300), minutes=rng.randrange(240))
            writer.writerow([image, code, when.isoformat(timespec="seconds"), PLACE,
                             round(BAY[0] + rng.gauss(0, 0.03), 5), round(BAY[1] + rng.gauss(0, 0.05), 5),
                             f"{PLACE} {when.date().isoformat()}"])
    return out_csv
