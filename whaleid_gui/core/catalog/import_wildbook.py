"""Import a Wildbook / Flukebook spreadsheet (.xlsx or .csv): the bulk-import layout that
export_wildbook writes, or a Flukebook encounter export (Name0.label/Name0.value, recordedBy).

Each row is an encounter: its photos (Encounter.mediaAsset0..N, found in --images, else beside the
spreadsheet or in its `<name>_photos` folder, else by unique file name there) become photos of the
project and sightings of MarkedIndividual.individualID (created when new) with the row's date,
position, place and survey. A row without an individual imports its photos unidentified. A bad
row (unreadable date or position, another species, no photo) or a photo that cannot be read is
named in the report and skipped; the other rows are imported. What the project already holds is
kept as it is: known photos, individuals and sightings are reused, never changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from whaleid_gui.core.csv_io import read_table
from whaleid_gui.core.errors import BadInputError, ImageError
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.progress import Finished, Progress, drive

from .export_wildbook import photos_folder
from .import_tables import _coord
from .photofile import canonical_path, prepare_photo
from .rows import ImportReport
from .schema import photos, sightings
from .sharing_settings import sharing_settings

_MEDIA = re.compile(r"encounter\.mediaasset(\d+)")


@dataclass(frozen=True)
class Planned:
    row: str  # "FILE row N"
    media: tuple[str, ...]
    code: str | None
    name: str | None
    fields: dict  # date, place, lat, lon, survey, observer, confirmed_by (None = not given)


def read_sheet(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], str]:
    """(header, [(row number, {lower-case column: text})], how it was read) of a .xlsx or .csv file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _read_xlsx(path)
        how = "Excel workbook, first sheet"
    elif suffix in (".csv", ".txt", ".tsv"):
        frame, how = read_table(path, ())
        header = [str(c) for c in frame.columns]
        rows = [(n, list(r)) for n, r in enumerate(frame.itertuples(index=False, name=None), start=2)]
    else:
        raise BadInputError(path, "not a Wildbook spreadsheet: give a .xlsx or .csv file")
    keys = [h.strip().lower() for h in header]
    seen = set()
    for h, k in zip(header, keys):
        if k and k in seen:
            raise BadInputError(path, f"column {h.strip()} appears twice")
        seen.add(k)
    out = []
    for n, values in rows:
        row = {k: v for k, v in zip(keys, values) if k and v}
        if row:
            out.append((n, row))
    return header, out, how


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise BadInputError(path, "file not found" if not path.exists() else "is not a file")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as err:
        raise BadInputError(path, f"not a readable Excel workbook ({err})") from err
    try:
        ws = wb.worksheets[0]
        rows = [(n, [_cell(v) for v in values]) for n, values in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()
    rows = [(n, v) for n, v in rows if any(v)]
    if not rows:
        raise BadInputError(path, "the first sheet is empty")
    return rows[0][1], rows[1:]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def _first(row: dict, *keys: str) -> str | None:
    for k in keys:
        if row.get(k):
            return row[k]
    return None


def _int(row: dict, key: str, low: int, high: int) -> int | None:
    text = row.get(key)
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{key.split('.')[-1]} {text!r} is not a number") from None
    if not value.is_integer() or not low <= value <= high:
        raise ValueError(f"{key.split('.')[-1]} {text!r} is not a whole number in {low}..{high}")
    return int(value)


def row_date(row: dict) -> str | None:
    """ISO 8601 date of a row, as precise as the row is (year; year-month; date; date and time, whose
    seconds Wildbook does not keep: :00)."""
    year = _int(row, "encounter.year", 1000, 9999)
    if year is None:
        millis = row.get("encounter.dateinmilliseconds")
        if not millis:
            return None
        try:
            when = datetime.fromtimestamp(float(millis) / 1000.0, tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"dateInMilliseconds {millis!r} is not a time") from None
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    month = _int(row, "encounter.month", 1, 12)
    day = _int(row, "encounter.day", 1, 31) if month else None
    hour = _int(row, "encounter.hour", 0, 24) if day else None
    minute = _int(row, "encounter.minutes", 0, 59) if hour is not None else None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        date = datetime(year, month, day).date().isoformat()
    except ValueError:
        raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is not a date") from None
    if hour is None:
        return date
    return f"{date}T{hour % 24:02d}:{minute or 0:02d}:00"


def _individual(row: dict) -> str | None:
    code = _first(row, "markedindividual.individualid", "encounter.individualid")
    if code:
        return code
    # Flukebook's encounter export: NameN.label / NameN.value, the "Default" name first
    names = []
    n = 0
    while f"name{n}.value" in row or f"name{n}.label" in row:
        if row.get(f"name{n}.value"):
            names.append((row.get(f"name{n}.label", "") != "Default", n, row[f"name{n}.value"]))
        n += 1
    return min(names)[2] if names else None


def media_keys(header: list[str]) -> list[str]:
    """The Encounter.mediaAssetN columns (lower case), by N."""
    found = [(int(m.group(1)), k) for k in (h.strip().lower() for h in header) if (m := _MEDIA.fullmatch(k))]
    return [k for _, k in sorted(found)]


def plan_row(row: dict, where: str, sharing, media_columns: list[str]) -> Planned:
    media = [row[k] for k in media_columns if row.get(k)]
    if not media:
        raise ValueError("no photo (Encounter.mediaAsset0 is empty)")
    genus, epithet = row.get("encounter.genus"), _first(row, "encounter.specificepithet", "encounter.species")
    wanted = (sharing.species_genus, sharing.species_epithet)
    if (genus or epithet) and ((genus or "").lower(), (epithet or "").lower()) != tuple(w.lower() for w in wanted):
        raise ValueError(f"species {genus or '?'} {epithet or '?'} is not the project's {' '.join(wanted)} "
                         "(project setting species_genus / species_epithet)")
    location = row.get("encounter.locationid")
    place = row.get("encounter.verbatimlocality") or (sharing.place_of(location) if location else None) or location
    fields = {
        "date": row_date(row),
        "place": place,
        "lat": _coord(_first(row, "encounter.decimallatitude", "occurrence.decimallatitude") or "", 90.0, "latitude"),
        "lon": _coord(_first(row, "encounter.decimallongitude", "occurrence.decimallongitude") or "", 180.0,
                      "longitude"),
        "survey": _first(row, "occurrence.fieldsurveycode", "survey.id"),
        "observer": _first(row, "occurrence.observer", "encounter.recordedby", "encounter.photographer0.fullname"),
        "confirmed_by": row.get("encounter.submitterid"),
    }
    name = _first(row, "markedindividual.nickname", "markedindividual.name")
    code = _individual(row)
    if code == NEW_WHALE:
        code = None  # as in a Kaggle catalog: the photo without an identity
    if code is not None and len(code) > 128:
        raise ValueError(f"individual ID of {len(code)} characters (at most 128)")
    return Planned(where, tuple(media), code, name, fields)


class MediaFinder:
    """Where a row's photo file is: --images (or the spreadsheet's folder and its `_photos`
    folder) joined with the name, else the one file of that name under the photo folder."""

    def __init__(self, sheet: Path, images_dir: Path | None):
        folder = photos_folder(sheet)
        self.dirs = [images_dir] if images_dir else [sheet.parent, folder]
        self.search = images_dir if images_dir else folder
        self._index: dict[str, list[Path]] | None = None

    def find(self, value: str) -> tuple[Path | None, str | None]:
        rel = value.replace("\\", "/").strip()
        p = Path(rel)
        if p.is_absolute():
            return (canonical_path(p), None) if p.is_file() else (None, "photo file not found")
        for d in self.dirs:
            if (d / p).is_file():
                return canonical_path(d / p), None
        if self._index is None:
            self._index = {}
            if self.search.is_dir():
                for root, dirs, files in os.walk(self.search):
                    dirs.sort()
                    for f in sorted(files):
                        self._index.setdefault(f.lower(), []).append(Path(root) / f)
        found = self._index.get(p.name.lower(), [])
        if len(found) == 1:
            return canonical_path(found[0]), None
        if found:
            return None, f"{len(found)} files named {p.name} under {self.search}; give the folder in the spreadsheet"
        return None, f"photo file not found in {' or '.join(str(d) for d in self.dirs)}"


def iter_import_wildbook(store, sheet: str | Path, images_dir: str | Path | None = None):
    """Job: Progress..., Finished(ImportReport)."""
    sheet = canonical_path(sheet)
    header, rows, how = read_sheet(sheet)
    media_columns = media_keys(header)
    if "encounter.mediaasset0" not in media_columns:
        found = ", ".join(h for h in header if h) or "none"
        raise BadInputError(sheet, f"no Encounter.mediaAsset0 column, so not a Wildbook spreadsheet; found {found} "
                                   f"(read as {how})")
    report = ImportReport(notes=[f"{sheet}: read as {how}; {len(rows)} encounter rows"])
    sharing = sharing_settings(store)
    planned = []
    for n, row in rows:
        where = f"{sheet} row {n}"
        try:
            planned.append(plan_row(row, where, sharing, media_columns))
        except ValueError as err:
            report.errors.append((where, f"{err}; row skipped"))
    finder = MediaFinder(sheet, canonical_path(images_dir) if images_dir else None)
    with store._read() as conn:
        held = {r.path: r.id for r in conn.execute(select(photos.c.id, photos.c.path))}
    files: dict[str, Path | None] = {}
    prepared = {}
    total = sum(len(p.media) for p in planned)
    k = 0
    for plan in planned:
        for value in plan.media:
            k += 1
            path, reason = finder.find(value)
            files[value] = path
            if path is None:
                report.errors.append((f"{plan.row}: {value}", reason or "photo file not found"))
            elif str(path) not in held and str(path) not in prepared:
                try:
                    prepared[str(path)] = prepare_photo(path)
                except ImageError as err:
                    files[value] = None
                    report.errors.append((str(path), err.reason))
            yield Progress(k, total, "reading Wildbook photos")

    with store._tx() as conn:
        by_sha1 = {r.sha1: r.id for r in conn.execute(select(photos.c.id, photos.c.sha1))}
        mine: set[str] = set()  # paths this import has already dealt with
        for plan in planned:
            paths = [files[v] for v in plan.media if files.get(v) is not None]
            ind_id = _individual_id(store, conn, plan, report) if plan.code and paths else None
            for path in paths:
                photo_id = _photo_id(store, conn, str(path), held, by_sha1, prepared, plan, report, mine)
                if ind_id is None:
                    continue
                had = conn.execute(
                    select(sightings.c.id).where(sightings.c.photo_id == photo_id)
                    .where(sightings.c.individual_id == ind_id)
                ).first()
                if had is None:
                    store._add_sighting(conn, photo_id, ind_id, **plan.fields)
                    report.sightings_added += 1
    yield Finished(report)


def _individual_id(store, conn, plan: Planned, report: ImportReport) -> int:
    ind = store.individual_by_code(plan.code)  # joins this transaction; follows merges
    if ind is not None:
        return ind.id
    report.individuals_added += 1
    return store._create_individual(conn, plan.code, plan.name)


def _photo_id(store, conn, path: str, held, by_sha1, prepared, plan: Planned, report: ImportReport, mine) -> int:
    """The project's photo for a file: held (same path), an exact duplicate (same content), or new."""
    first = path not in mine
    mine.add(path)
    if path in held:
        report.already_present += first
        return held[path]
    p = prepared[path]
    if p.sha1 in by_sha1:
        held[path] = by_sha1[p.sha1]
        other = conn.execute(select(photos.c.path).where(photos.c.id == by_sha1[p.sha1])).scalar()
        report.skipped_duplicates.append((path, other))
        return held[path]
    photo_id = store._insert_photo(conn, p, survey=plan.fields.get("survey"))
    held[path] = by_sha1[p.sha1] = photo_id
    report.added += 1
    return photo_id


def import_wildbook(store, sheet, images_dir=None, progress=None) -> ImportReport:
    return drive(iter_import_wildbook(store, sheet, images_dir), progress)
