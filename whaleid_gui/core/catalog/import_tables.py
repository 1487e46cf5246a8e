"""Import a Kaggle-style catalog CSV (Image,Id) with its photos, and a sightings CSV.

Both read and check the whole file first; a file with problems (missing columns, conflicting
duplicate rows, unknown photos or IDs, bad dates or coordinates) raises BadInputError listing
them and writes nothing. The writes then happen in one transaction. Importing the same file
twice adds nothing the second time.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from whaleid_gui.core.errors import BadInputError, ImageError
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.progress import Finished, Progress, drive

from .csvread import problems_error, read_table
from .photofile import canonical_path, prepare_photo
from .resolve import PhotoResolver
from .rows import ImportReport
from .schema import individuals, photos, sightings


def iter_import_catalog(store, csv_path: str | Path, images_dir: str | Path | None = None, survey: str | None = None):
    """Job: Progress..., Finished(ImportReport). Images are relative to images_dir (default: the
    CSV's folder). Unreadable photos are listed in report.errors; the other rows are imported."""
    csv_path = Path(csv_path)
    base = canonical_path(images_dir) if images_dir else canonical_path(csv_path).parent
    frame, encoding = read_table(csv_path, ("Image", "Id"))
    report = ImportReport(notes=[f"{csv_path}: read as {encoding}"])
    problems: list[str] = []
    wanted: dict[str, str] = {}  # image as written -> individual code
    for n, (image, ident) in enumerate(zip(frame["Image"], frame["Id"]), start=2):
        if not image:
            problems.append(f"row {n}: empty Image")
            continue
        if not ident:
            problems.append(f"row {n}: empty Id for {image}")
            continue
        if image in wanted:
            if wanted[image] != ident:
                problems.append(f"row {n}: {image} is listed as {wanted[image]} and as {ident}")
            else:
                report.notes.append(f"row {n}: duplicate of an earlier row ({image}, {ident}); ignored")
            continue
        wanted[image] = ident
    if problems:
        raise problems_error(csv_path, problems)

    with store._read() as conn:
        held = {r.path: r.id for r in conn.execute(select(photos.c.id, photos.c.path))}
        by_sha1 = {r.sha1: r.id for r in conn.execute(select(photos.c.id, photos.c.sha1))}
    prepared, total = {}, len(wanted)
    for k, image in enumerate(wanted, start=1):
        source = canonical_path(base / image)
        if str(source) not in held:
            try:
                prepared[image] = prepare_photo(source)
            except ImageError as err:
                report.errors.append((str(source), err.reason))
        yield Progress(k, total, "reading catalog photos")

    with store._tx() as conn:
        codes = {r.code: (r.id, r.merged_into) for r in conn.execute(select(individuals))}
        for image, ident in wanted.items():
            path = str(canonical_path(base / image))
            if path in held:
                photo_id = held[path]
                report.already_present += 1
            elif image in prepared:
                p = prepared[image]
                if p.sha1 in by_sha1:
                    photo_id = by_sha1[p.sha1]
                    report.skipped_duplicates.append((path, _path_of(conn, photo_id)))
                else:
                    photo_id = store._insert_photo(conn, p, survey=survey)
                    by_sha1[p.sha1] = photo_id
                    held[path] = photo_id
                    report.added += 1
            else:
                continue  # unreadable: already in report.errors
            if ident == NEW_WHALE:
                continue
            if ident not in codes:
                ind_id = store._create_individual(conn, ident)
                codes[ident] = (ind_id, None)
                report.individuals_added += 1
            ind_id, merged = codes[ident]
            while merged is not None:
                ind_id = merged
                merged = conn.execute(select(individuals.c.merged_into).where(individuals.c.id == ind_id)).scalar()
            exists = conn.execute(
                select(sightings.c.id).where(sightings.c.photo_id == photo_id).where(sightings.c.individual_id == ind_id)
            ).first()
            if exists is None:
                store._add_sighting(conn, photo_id, ind_id)
                report.sightings_added += 1
    yield Finished(report)


def import_catalog(store, csv_path, images_dir=None, progress=None, survey=None) -> ImportReport:
    return drive(iter_import_catalog(store, csv_path, images_dir, survey=survey), progress)


SIGHTING_COLUMNS = ("date", "place", "lat", "lon", "survey", "observer", "Id")


def import_sightings(store, csv_path: str | Path, images_dir: str | Path | None = None) -> ImportReport:
    """Sightings CSV: Image[, Id, date, place, lat, lon, survey, observer]. Without Id, the row
    describes the sighting of the individual the photo is already identified as."""
    csv_path = Path(csv_path)
    base = canonical_path(images_dir) if images_dir else canonical_path(csv_path).parent
    frame, encoding = read_table(csv_path, ("Image",), SIGHTING_COLUMNS)
    report = ImportReport(notes=[f"{csv_path}: read as {encoding}"])
    problems: list[str] = []
    planned: list[tuple[int, int, dict]] = []  # (photo id, individual id, sighting values)
    seen: dict[tuple[int, int], dict] = {}
    with store._tx() as conn:
        resolver = PhotoResolver(conn, base)
        codes = {r.code: r for r in conn.execute(select(individuals))}
        for n, row in enumerate(frame.to_dict("records"), start=2):
            photo, reason = resolver.find(row["Image"]) if row["Image"] else (None, "empty Image")
            if photo is None:
                problems.append(f"row {n}: {reason}")
                continue
            code = row.get("Id", "")
            if code:
                ind = codes.get(code)
                if ind is None:
                    problems.append(f"row {n}: unknown individual {code!r} (import the catalog first)")
                    continue
                while ind.merged_into is not None:
                    ind = next(r for r in codes.values() if r.id == ind.merged_into)
                ind_id = ind.id
            else:
                ids = list(conn.execute(select(sightings.c.individual_id).where(sightings.c.photo_id == photo.id)).scalars())
                if len(ids) != 1:
                    problems.append(
                        f"row {n}: {row['Image']} is not identified yet; add an Id column"
                        if not ids else f"row {n}: {row['Image']} shows several individuals; add an Id column"
                    )
                    continue
                ind_id = ids[0]
            try:
                values = {
                    "date": _iso_date(row.get("date", "")),
                    "place": row.get("place") or None,
                    "lat": _coord(row.get("lat", ""), 90.0, "lat"),
                    "lon": _coord(row.get("lon", ""), 180.0, "lon"),
                    "survey": row.get("survey") or None,
                    "observer": row.get("observer") or None,
                }
            except ValueError as err:
                problems.append(f"row {n}: {err}")
                continue
            key = (photo.id, ind_id)
            if key in seen:
                if seen[key] != values:
                    problems.append(f"row {n}: {row['Image']} appears again with other values")
                else:
                    report.notes.append(f"row {n}: duplicate of an earlier row; ignored")
                continue
            seen[key] = values
            planned.append((photo.id, ind_id, values))
        if problems:
            raise problems_error(csv_path, problems)
        for photo_id, ind_id, values in planned:
            had = conn.execute(
                select(sightings.c.id).where(sightings.c.photo_id == photo_id).where(sightings.c.individual_id == ind_id)
            ).first()
            store._add_sighting(conn, photo_id, ind_id, **values)
            if had is None:
                report.sightings_added += 1
    return report


def _path_of(conn, photo_id: int) -> str:
    return conn.execute(select(photos.c.path).where(photos.c.id == photo_id)).scalar()


def _iso_date(text: str) -> str | None:
    """ISO 8601 date or date-time (EXIF's YYYY:MM:DD HH:MM:SS also accepted) -> ISO text."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) >= 10 and text[4] == ":" and text[7] == ":":
        text = text[:10].replace(":", "-") + text[10:]
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise ValueError(f"date {text!r} is not ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)") from None
    return value.date().isoformat() if len(text) == 10 else value.isoformat()


def _coord(text: str, limit: float, name: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise ValueError(f"{name} {text!r} is outside -{limit:g}..{limit:g}")
    return value
