"""The demo project: synthetic fluke photos imported into a new project, ready to review, with the
dates, places and surveys of a real season (demo_field_data.py)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Generator

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.model_names import FLUKES

from . import box_proposals
from .demo_field_data import catalog_sightings_csv, survey_schedule, write_exif
from .imports import import_catalog_into
from .photo_subjects import subject_settings
from .steps import Step


def create_demo_project(target: str | Path, small: bool = True) -> Generator[Any, None, str]:
    """Write the synthetic demo photos and import them into a new project (worker job).

    The demo catalog CSV becomes confirmed reference photos, the queries become the survey
    photos to review (with no box yet, so the scientist draws one). Returns the project folder.
    """
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.synthetic import write_demo

    target = Path(target)
    data = target / "demo_photos"
    yield Step(0, 3, "Drawing synthetic fluke photos")
    paths = write_demo(data, seed=0, small=small)
    yield Step(1, 3, "Creating the project")
    project = target / "project"
    store = ProjectStore.create(project, settings=subject_settings("flukes"))
    try:
        # Synthetic flukes: the shipped weights were trained on exactly such photos (on real photos
        # the general zero-shot model ranks better, so it is the default of every other project).
        store.update_settings(weights=FLUKES)
        yield Step(2, 3, "Importing the reference catalog")
        yield from import_catalog_into(store, Path(paths.references_csv))
        proposals = _import_reference_boxes(store, Path(paths.references_csv), Path(paths.boxes_csv))
        _import_catalog_sightings(store, Path(paths.references_csv))
        yield Step(2, 3, "Importing the survey photos")
        queries = survey_schedule(_read_csv_labels(Path(paths.queries_csv)))
        for i, record in enumerate(queries):
            path = record.path
            try:
                write_exif(record)  # the date and position a camera would have recorded
                store.add_photo(path, survey=record.survey)
            except Exception as exc:  # keep going: the queue shows what could not be read
                print(f"demo import: {exc}")
            if i % 10 == 0:
                yield Step(i, len(queries), "Importing the survey photos")
        if proposals:  # the survey photos' true boxes, once the photos are in the catalog
            box_proposals.save(store, proposals)
    finally:
        store.close()
    yield Step(3, 3, "Demo project ready")
    return str(project)


def _import_reference_boxes(store, references_csv: Path, boxes_csv: Path) -> dict:
    """Demo: the catalog photos get their boxes. Without a box model, the survey photos' true
    boxes become the proposals (drawn dashed, accepted with one key), so the one-key flow can be
    tried: returned (resolved path -> (box, "demo")) for the caller to keep once the photos are
    in; with a box model the app proposes them itself (box_proposals) and none are returned."""
    from whaleid_gui.core.catalog.import_boxes import import_boxes

    refs = {p.name for p in _read_csv_images(references_csv)}
    with open(boxes_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ref_rows = [r for r in rows if Path(r["Image"]).name in refs]
    other = [r for r in rows if Path(r["Image"]).name not in refs]
    fields = ["Image", "x0", "y0", "x1", "y1"]
    tmp = boxes_csv.parent / "reference_boxes.csv"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows({k: r[k] for k in fields} for r in ref_rows)
    import_boxes(store, tmp)
    if box_proposals.box_model_available():
        return {}
    return {
        str((boxes_csv.parent / r["Image"]).resolve()):
            (BoundingBox(float(r["x0"]), float(r["y0"]), float(r["x1"]), float(r["y1"])), "demo")
        for r in other}


def _import_catalog_sightings(store, references_csv: Path) -> None:
    """The catalog's earlier sightings: date, place, position and survey of each catalog photo."""
    from whaleid_gui.core.catalog.importers import import_sightings

    with open(references_csv, newline="", encoding="utf-8") as fh:
        rows = [(row["Image"], row["Id"]) for row in csv.DictReader(fh)]
    import_sightings(store, catalog_sightings_csv(rows, references_csv.parent / "catalog_sightings.csv"))


def _read_csv_labels(csv_path: Path) -> list[tuple[Path, str]]:
    with open(csv_path, newline="", encoding="utf-8") as fh:
        return [(csv_path.parent / row["Image"], row["Id"]) for row in csv.DictReader(fh)]


def _read_csv_images(csv_path: Path) -> list[Path]:
    with open(csv_path, newline="", encoding="utf-8") as fh:
        return [csv_path.parent / row["Image"] for row in csv.DictReader(fh)]
