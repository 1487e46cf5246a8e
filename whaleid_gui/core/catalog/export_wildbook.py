"""Wildbook / Flukebook bulk-import spreadsheet (.xlsx or .csv) with the photos in a folder beside it.

One row per encounter (an individual seen once: its photos are Encounter.mediaAsset0..N, file
names inside the folder `<spreadsheet name>_photos`, to upload with the spreadsheet). Species,
location codes and the Wildbook user name come from the project settings (sharing_settings.py).
Wildbook keeps times to the minute: seconds are dropped. Photos that show no identified
individual, and photos whose file is missing, are skipped and named in the report.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

from whaleid_gui.core.errors import BadInputError

from .encounters import Encounter, clean, date_parts, file_names, group, identified, to_minute, unidentified
from .export_common import ExportReport, StagedFolder, os_error, refuse_existing, restamp_zip, write_bytes
from .sharing_settings import Sharing, sharing_settings

MEDIA = "Encounter.mediaAsset{}"
COLUMNS = [
    "Encounter.genus", "Encounter.specificEpithet",
    "Encounter.year", "Encounter.month", "Encounter.day", "Encounter.hour", "Encounter.minutes",
    "Encounter.decimalLatitude", "Encounter.decimalLongitude", "Encounter.locationID", "Encounter.verbatimLocality",
    "MarkedIndividual.individualID", "MarkedIndividual.nickname", "Encounter.submitterID",
    "Occurrence.occurrenceID", "Occurrence.fieldSurveyCode", "Occurrence.observer",
]
ALWAYS = {"Encounter.mediaAsset0", "Encounter.genus", "Encounter.specificEpithet", "Encounter.year",
          "MarkedIndividual.individualID"}  # Wildbook's minimum; other columns without data are left out
PHOTO_MODES = ("copy", "link")
FORMATS = (".xlsx", ".csv")
_SLUG = re.compile(r"[^A-Za-z0-9-]+")


def photos_folder(out: Path) -> Path:
    return out.with_name(f"{out.stem}_photos")


def occurrence_id(e: Encounter) -> str:
    """Wildbook's sighting (Occurrence): the encounters of one day, survey and place together.
    Only letters, digits, - and _ (Wildbook's rule); '' when there is nothing to group by."""
    parts = date_parts(e.date)
    day = f"{parts[0]:04d}{parts[1] or 0:02d}{parts[2] or 0:02d}" if parts else ""
    pieces = [_SLUG.sub("-", p).strip("-") for p in (e.survey or "", day, e.place or "")]
    return "_".join(p for p in pieces if p) if any(pieces) else ""


def encounter_row(e: Encounter, names: dict[str, str], sharing: Sharing) -> dict:
    year, month, day, hour, minute = date_parts(e.date) or (None,) * 5
    row: dict[str, object] = {MEDIA.format(i): names[s.sha1] for i, s in enumerate(e.sightings)}
    row.update({
        "Encounter.genus": sharing.species_genus, "Encounter.specificEpithet": sharing.species_epithet,
        "Encounter.year": year, "Encounter.month": month, "Encounter.day": day, "Encounter.hour": hour,
        "Encounter.minutes": minute, "Encounter.decimalLatitude": e.lat, "Encounter.decimalLongitude": e.lon,
        "Encounter.locationID": sharing.location_code(e.place), "Encounter.verbatimLocality": e.place,
        "MarkedIndividual.individualID": e.code, "MarkedIndividual.nickname": e.name,
        "Encounter.submitterID": sharing.wildbook_submitter_id or e.confirmed_by,
        "Occurrence.occurrenceID": occurrence_id(e), "Occurrence.fieldSurveyCode": e.survey,
        "Occurrence.observer": e.observer,
    })
    return {k: (clean(v) if isinstance(v, str) else v) for k, v in row.items() if v not in (None, "")}


def wildbook_table(store, report: ExportReport) -> tuple[list[str], list[dict], dict]:
    """(columns, rows, {sha1: (source path, exported name)}); fills report.skipped."""
    sharing = sharing_settings(store)
    records = []
    for r in identified(store):
        if r.path.is_file():
            records.append(r)
        else:
            report.skipped.append((str(r.path), f"photo file not found (sighting of {r.code} not exported)"))
    report.skipped += [(str(p), "shows no identified individual") for p in unidentified(store)]
    names = file_names(records)
    encounters = group(records, date=to_minute)
    rows = [encounter_row(e, names, sharing) for e in encounters]
    undated = sum(1 for e in encounters if date_parts(e.date) is None)
    if undated:
        report.notes.append(f"{undated} encounters have no date; Wildbook asks for at least the year")
    n_media = max((len(e.sightings) for e in encounters), default=1)
    columns = [MEDIA.format(i) for i in range(n_media)] + COLUMNS
    columns = [c for c in columns if c in ALWAYS or any(c in row for row in rows)]
    files = {r.sha1: (r.path, names[r.sha1]) for r in records}
    return columns, rows, files


def table_bytes(columns: list[str], rows: list[dict], suffix: str, sheet: str = "Encounters") -> bytes:
    """The table as .csv (UTF-8) or .xlsx bytes; the same table always gives the same bytes."""
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_text(row.get(c)) for c in columns] for row in rows)
        return text.getvalue().encode("utf-8")
    from openpyxl import Workbook  # late: only this export needs it

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text ("=..." is not a formula)
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = "1980-01-01T00:00:00Z"

    def fixed_time(name: str, data: bytes) -> bytes:
        if name != "docProps/core.xml":
            return data
        text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{stamp}\g<3>", data.decode())
        return text.encode()

    return restamp_zip(buffer.getvalue(), fixed_time)


def _text(value) -> str:
    return "" if value is None else str(value)


def export_wildbook(store, out, overwrite: bool = False, photos: str = "copy") -> ExportReport:
    """Write the spreadsheet OUT (.xlsx or .csv) and OUT's folder `<name>_photos` with the photos
    copied (photos="copy") or linked (photos="link", symbolic links to the project's files)."""
    out = Path(out).expanduser().absolute()
    if out.suffix.lower() not in FORMATS:
        raise BadInputError(out, "give a .xlsx or .csv file name for the Wildbook spreadsheet")
    if photos not in PHOTO_MODES:
        raise BadInputError(None, f"photos must be one of {', '.join(PHOTO_MODES)}, not {photos!r}")
    folder = photos_folder(out)
    refuse_existing([out, folder], overwrite)
    if not out.parent.is_dir():
        raise BadInputError(out, f"folder {out.parent} does not exist (or is not a folder)")
    report = ExportReport(out, what="encounters", written=[folder])
    columns, rows, files = wildbook_table(store, report)
    data = table_bytes(columns, rows, out.suffix.lower())
    staged = StagedFolder(folder)
    try:
        for source, name in sorted(files.values(), key=lambda f: f[1]):
            target = staged.path / name
            try:
                if photos == "link":
                    os.symlink(source, target)
                else:
                    shutil.copyfile(source, target)
            except OSError as err:
                raise os_error(target, err) from err
        existed = out.exists()
        write_bytes(out, data, overwrite)
    except BaseException:
        staged.discard()
        raise
    try:
        staged.install(overwrite)
    except BaseException:
        if not existed:
            out.unlink(missing_ok=True)
        raise
    report.rows = len(rows)
    report.notes.append(f"{len(files)} photos {'linked' if photos == 'link' else 'copied'} into {folder}")
    return report
