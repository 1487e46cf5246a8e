"""Reading the CLI's CSV inputs (Kaggle formats). Image paths are relative to the CSV's own folder,
or absolute. Errors name the file, the row and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .boxes import BoundingBox
from .errors import BadInputError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


@dataclass(frozen=True)
class LabelledImage:
    image: str  # exactly as written in the CSV (or the file name, for a folder)
    path: Path  # resolved
    id: str | None


def read_csv(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise BadInputError(path, "file not found")
    if path.is_dir():
        raise BadInputError(path, "is a directory, not a CSV file")
    frame = None
    for encoding in ("utf-8-sig", "cp1252"):  # utf-8-sig also strips a byte-order mark
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise BadInputError(path, f"not a readable CSV file: {str(exc).splitlines()[0]}") from exc
    if frame is None:
        raise BadInputError(path, "text encoding is neither UTF-8 nor Windows-1252")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise BadInputError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(frame.columns) or 'none'}")
    return frame


def resolve(csv_path: Path, image: str) -> Path:
    p = Path(image)
    return p if p.is_absolute() else (csv_path.parent / p)


def read_labels(path: str | Path, require_id: bool = True) -> list[LabelledImage]:
    """Rows of an Image[,Id] CSV in file order. Blank Image cells are an error naming the row."""
    path = Path(path)
    frame = read_csv(path, ("Image", "Id") if require_id else ("Image",))
    rows = []
    for n, record in enumerate(frame.itertuples(index=False), start=2):
        image = str(getattr(record, "Image")).strip()
        if not image:
            raise BadInputError(path, f"row {n}: empty Image cell")
        ident = str(getattr(record, "Id")).strip() if "Id" in frame.columns else None
        if require_id and not ident:
            raise BadInputError(path, f"row {n}: empty Id for {image}")
        rows.append(LabelledImage(image, resolve(path, image), ident))
    return rows


def read_queries(source: str | Path) -> list[LabelledImage]:
    """A CSV with an Image column, or a folder of images (sorted, recursive; Image = path in the folder)."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise BadInputError(source, "folder holds no images (.jpg, .png, .tif, .webp)")
        return [LabelledImage(str(p.relative_to(source)), p, None) for p in files]
    return read_labels(source, require_id=False)


def read_boxes(path: str | Path) -> dict[Path, BoundingBox]:
    """Image,x0,y0,x1,y1 -> {resolved path: box}. A bad row is an error naming it."""
    path = Path(path)
    frame = read_csv(path, ("Image", "x0", "y0", "x1", "y1"))
    boxes: dict[Path, BoundingBox] = {}
    for n, record in enumerate(frame.itertuples(index=False), start=2):
        try:
            coords = [float(getattr(record, c)) for c in ("x0", "y0", "x1", "y1")]
            box = BoundingBox(*coords)
        except ValueError as exc:
            raise BadInputError(path, f"row {n}: bad box for {record.Image}: {exc}") from exc
        boxes[resolve(path, str(record.Image).strip()).resolve()] = box
    return boxes
