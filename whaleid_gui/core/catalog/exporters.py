"""Exports: CSV (pandas, UTF-8, ISO 8601 dates, stable order) and COCO JSON.

A file is written to a temporary name in the target folder and then linked into place, so an
existing file is never replaced unless overwrite=True, and a failure (e.g. full disk) leaves
no half-written output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd
from sqlalchemy import and_, select

from whaleid_gui.core.atomic_write import replacing
from whaleid_gui.core.errors import BadInputError
from whaleid_gui.core.labels import NEW_WHALE

from .errors import CatalogError, DiskFullError, ExportExistsError
from .schema import boxes, decisions, individuals, photos, sightings

CATALOG_COLUMNS = ["individual", "name", "n_photos", "first_seen", "last_seen", "last_place", "notes", "photos"]
SIGHTING_COLUMNS = [
    "photo", "individual", "name", "date", "place", "lat", "lon", "survey", "observer", "confirmed_by",
    "confirmed_at",
]
DECISION_COLUMNS = [
    "decision_id", "at", "who", "photo", "decision", "individual", "score", "rank", "weights_id", "undone",
    "undone_at", "refused_for",  # refused_for: the decision someone else made first (this one had no effect)
]
SUBMISSION_COLUMNS = ["Image", "Id"]


def write_atomic(out: str | Path, write: Callable[[Path], object], overwrite: bool = False) -> Path:
    out = Path(out).expanduser().absolute()
    if out.exists() and not overwrite:
        raise ExportExistsError(out)
    if out.exists() and out.is_dir():
        raise BadInputError(out, "is a directory; give a file name")
    if not out.parent.is_dir():
        raise BadInputError(out, f"folder {out.parent} does not exist (or is not a folder)")
    started = False
    try:
        with replacing(out, overwrite=overwrite) as tmp:
            started = True
            write(tmp)
    except FileExistsError as err:
        if not overwrite:  # it appeared meanwhile
            raise ExportExistsError(out) from None
        raise CatalogError(f"{out}: cannot write ({err.strerror or err})") from err
    except OSError as err:
        if not started:
            raise CatalogError(f"{out}: cannot write in {out.parent} ({err.strerror})") from err
        if getattr(err, "errno", None) == 28:
            raise DiskFullError(f"{out}: the disk is full; nothing was written") from err
        raise CatalogError(f"{out}: cannot write ({err.strerror or err})") from err
    return out


def _write_csv(frame: pd.DataFrame, out, overwrite: bool) -> Path:
    return write_atomic(out, lambda p: frame.to_csv(p, index=False, encoding="utf-8", lineterminator="\n"), overwrite)


def catalog_frame(store) -> pd.DataFrame:
    rows = []
    for ind in store.individuals():
        paths = [str(p.path) for p in store.photos_of(ind.id)]
        rows.append({
            "individual": ind.code, "name": ind.name, "n_photos": ind.n_photos, "first_seen": ind.first_seen,
            "last_seen": ind.last_seen, "last_place": ind.last_place, "notes": ind.notes, "photos": ";".join(paths),
        })
    return pd.DataFrame(rows, columns=CATALOG_COLUMNS)


def sightings_frame(store) -> pd.DataFrame:
    query = (
        select(
            photos.c.path.label("photo"), individuals.c.code.label("individual"), individuals.c.name.label("name"),
            sightings.c.date, sightings.c.place, sightings.c.lat, sightings.c.lon, sightings.c.survey,
            sightings.c.observer, sightings.c.confirmed_by, decisions.c.at.label("confirmed_at"),
        )
        .select_from(
            sightings.join(photos, photos.c.id == sightings.c.photo_id)
            .join(individuals, individuals.c.id == sightings.c.individual_id)
            .outerjoin(decisions, decisions.c.id == sightings.c.decision_id)
        )
        .order_by(sightings.c.date.is_(None), sightings.c.date, photos.c.path, individuals.c.code)
    )
    with store._read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return pd.DataFrame(rows, columns=SIGHTING_COLUMNS)


def decisions_frame(store) -> pd.DataFrame:
    query = (
        select(
            decisions.c.id.label("decision_id"), decisions.c.at, decisions.c.who, photos.c.path.label("photo"),
            decisions.c.decision, decisions.c.individual_code.label("individual"), decisions.c.score,
            decisions.c.rank, decisions.c.weights_id, decisions.c.undone, decisions.c.undone_at,
            decisions.c.conflict_with.label("refused_for"),
        )
        .select_from(decisions.join(photos, photos.c.id == decisions.c.photo_id))
        .order_by(decisions.c.id)
    )
    with store._read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    frame["undone"] = frame["undone"].astype(bool)
    frame["rank"] = frame["rank"].astype("Int64")
    frame["refused_for"] = frame["refused_for"].astype("Int64")
    return frame


def submission_frame(store, top: int = 5) -> pd.DataFrame:
    """Kaggle format: Image (file name) and Id (the current top-5 codes, space-separated)."""
    rows = []
    for photo_id in store.photos_with_candidates():
        photo = store.photo(photo_id)
        codes = [c.code for c in store.candidates(photo_id)][:top]
        rows.append({"Image": photo.path.name, "Id": " ".join(codes) if codes else NEW_WHALE})
    frame = pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)
    return frame.sort_values(["Image", "Id"], kind="stable").reset_index(drop=True)


def coco_dict(store) -> dict:
    query = (
        select(photos.c.id, photos.c.path, photos.c.width, photos.c.height, boxes)
        .select_from(photos.join(boxes, and_(boxes.c.photo_id == photos.c.id, boxes.c.active == True)))  # noqa: E712
        .order_by(photos.c.id)
    )
    images, annotations = [], []
    with store._read() as conn:
        for r in conn.execute(query):
            m = r._mapping
            images.append({"id": m[photos.c.id], "file_name": m[photos.c.path], "width": m[photos.c.width],
                           "height": m[photos.c.height]})
            w, h = m[boxes.c.x1] - m[boxes.c.x0], m[boxes.c.y1] - m[boxes.c.y0]
            annotations.append({
                "id": m[boxes.c.id], "image_id": m[photos.c.id], "category_id": 1,
                "bbox": [m[boxes.c.x0], m[boxes.c.y0], w, h], "area": w * h, "iscrowd": 0,
                "attributes": {"source": m[boxes.c.source], "rotation": m[boxes.c.rotation],
                               "flip": bool(m[boxes.c.flip]), "author": m[boxes.c.author],
                               "created_at": m[boxes.c.created_at]},
            })
    return {
        "info": {"description": "WhaleID fluke boxes (pixels of the EXIF-oriented photos)"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "fluke", "supercategory": "humpback_whale"}],
    }


def export_catalog(store, out, overwrite: bool = False) -> Path:
    return _write_csv(catalog_frame(store), out, overwrite)


def export_sightings(store, out, overwrite: bool = False) -> Path:
    return _write_csv(sightings_frame(store), out, overwrite)


def export_decisions(store, out, overwrite: bool = False) -> Path:
    return _write_csv(decisions_frame(store), out, overwrite)


def export_submission(store, out, overwrite: bool = False) -> Path:
    return _write_csv(submission_frame(store), out, overwrite)


def export_coco(store, out, overwrite: bool = False) -> Path:
    data = coco_dict(store)

    def write(p: Path) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.write("\n")

    return write_atomic(out, write, overwrite)


EXPORTERS = {
    "catalog": export_catalog,
    "sightings": export_sightings,
    "decisions": export_decisions,
    "submission": export_submission,
    "coco": export_coco,
}
