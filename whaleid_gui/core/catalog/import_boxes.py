"""Import boxes from a Kaggle bounding_boxes.csv (Image,x0,y0,x1,y1) or a COCO JSON file.

Coordinates are pixels of the EXIF-oriented photo. Rows for images that the project does not
hold are skipped (a Kaggle file covers the whole competition) and counted in the notes;
malformed rows raise BadInputError listing them, and nothing is written. Imported boxes never
replace a box a person drew (manual); re-importing the same file adds nothing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sqlalchemy import select

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import BadInputError

from .csvread import problems_error, read_table
from .photofile import canonical_path
from .resolve import PhotoResolver
from .rows import ImportReport
from .schema import boxes


def import_boxes(store, csv_path: str | Path, images_dir: str | Path | None = None) -> ImportReport:
    csv_path = Path(csv_path)
    base = canonical_path(images_dir) if images_dir else canonical_path(csv_path).parent
    frame, encoding = read_table(csv_path, ("Image", "x0", "y0", "x1", "y1"))
    items = []
    for n, row in enumerate(frame.to_dict("records"), start=2):
        items.append((f"row {n}", row["Image"], (row["x0"], row["y0"], row["x1"], row["y1"]), (None, None)))
    report = ImportReport(notes=[f"{csv_path}: read as {encoding}"])
    return _apply(store, csv_path, base, items, report)


def import_coco(store, json_path: str | Path, images_dir: str | Path | None = None) -> ImportReport:
    """COCO JSON (labelme/CVAT export): one box per image; with several, the largest is taken."""
    json_path = Path(json_path)
    base = canonical_path(images_dir) if images_dir else canonical_path(json_path).parent
    if not json_path.is_file():
        raise BadInputError(json_path, "file not found" if not json_path.exists() else "is not a file")
    try:
        data = json.loads(json_path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise BadInputError(json_path, f"not a readable JSON file ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise BadInputError(json_path, "not a COCO file: needs 'images' and 'annotations' lists")
    report = ImportReport()
    problems, images = [], {}
    for k, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im or not im.get("file_name"):
            problems.append(f"images[{k}]: needs id and file_name")
            continue
        images[im["id"]] = im
    best: dict = {}
    for k, ann in enumerate(data["annotations"]):
        bbox = ann.get("bbox") if isinstance(ann, dict) else None
        if not isinstance(bbox, list) or len(bbox) != 4:
            problems.append(f"annotations[{k}]: needs bbox [x, y, width, height]")
            continue
        if ann.get("image_id") not in images:
            problems.append(f"annotations[{k}]: unknown image_id {ann.get('image_id')!r}")
            continue
        try:
            area = float(bbox[2]) * float(bbox[3])
        except (TypeError, ValueError):
            problems.append(f"annotations[{k}]: bbox values are not numbers")
            continue
        previous = best.get(ann["image_id"])
        if previous is not None:
            report.notes.append(f"{images[ann['image_id']]['file_name']}: several boxes; the largest is kept")
        if previous is None or area > previous[0]:
            best[ann["image_id"]] = (area, k, bbox)
    if problems:
        raise problems_error(json_path, problems)
    items = []
    for image_id, (_area, k, (x, y, w, h)) in sorted(best.items(), key=lambda kv: kv[1][1]):
        im = images[image_id]
        size = (im.get("width"), im.get("height"))
        items.append((f"annotations[{k}]", im["file_name"], (x, y, float(x) + float(w), float(y) + float(h)), size))
    return _apply(store, json_path, base, items, report)


def _apply(store, source: Path, base: Path, items, report: ImportReport) -> ImportReport:
    problems: list[str] = []
    planned: dict[int, BoundingBox] = {}  # photo id -> its box
    not_held = 0
    with store._tx() as conn:
        resolver = PhotoResolver(conn, base)
        for where, image, coords, size in items:
            if not image:
                problems.append(f"{where}: empty Image")
                continue
            try:
                values = [float(v) for v in coords]
                if not all(math.isfinite(v) for v in values):
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(f"{where}: coordinates {coords} are not numbers")
                continue
            photo, _reason = resolver.find(image)
            if photo is None:
                not_held += 1
                continue
            if size[0] is not None and size[1] is not None and (int(size[0]), int(size[1])) != (photo.width, photo.height):
                problems.append(
                    f"{where}: {image} is {size[0]}x{size[1]} in the file but {photo.width}x{photo.height} in the project"
                )
                continue
            try:
                box = BoundingBox(*values)
            except ValueError as err:
                problems.append(f"{where}: {err}")
                continue
            if box.x0 >= photo.width or box.y0 >= photo.height or box.x1 <= 0 or box.y1 <= 0:
                problems.append(f"{where}: box {values} lies outside the {photo.width}x{photo.height} photo")
                continue
            box = box.clipped(photo.width, photo.height)
            if photo.id in planned and planned[photo.id] != box:
                problems.append(f"{where}: {image} has two different boxes")
                continue
            if photo.id in planned:
                report.notes.append(f"{where}: duplicate of an earlier row; ignored")
            planned[photo.id] = box
        if problems:
            raise problems_error(source, problems)
        kept_manual = 0
        for photo_id, box in planned.items():
            current = conn.execute(
                select(boxes).where(boxes.c.photo_id == photo_id).where(boxes.c.active == True)  # noqa: E712
            ).first()
            if current is not None:
                if current.source == "manual":
                    kept_manual += 1
                    continue
                if BoundingBox(current.x0, current.y0, current.x1, current.y1).key() == box.key():
                    continue
            store.set_box(photo_id, box, source="imported")
            report.boxes_added += 1
        if kept_manual:
            report.notes.append(f"{kept_manual} photos keep the box a person drew")
    if not_held:
        report.notes.append(f"{not_held} rows name photos that are not in this project; skipped")
    return report
