"""Reading CSV inputs (Kaggle formats, catalog imports): the one CSV reader of WhaleID.

A file is read as spreadsheets write it: UTF-8 (with or without BOM), UTF-16 (with BOM, or
without one when its NUL bytes give it away) or Windows-1252; separated by commas, semicolons
(Excel's default where the decimal mark is a comma) or tabs (Excel's "Unicode text"), guessed from
the header line. Column names are matched without regard to case or surrounding spaces. An error
names the file, and says which encoding and separator were found. Image paths are relative to the
CSV's own folder, or absolute. Errors name the file, the row and what is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .boxes import BoundingBox
from .errors import BadInputError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class LabelledImage:
    image: str  # exactly as written in the CSV (or the file name, for a folder)
    path: Path  # resolved
    id: str | None


def decode(path: Path) -> tuple[str, str]:
    """(text, encoding name) of a CSV file."""
    path = Path(path)
    if not path.exists():
        raise BadInputError(path, "file not found")
    if path.is_dir():
        raise BadInputError(path, "is a directory, not a CSV file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInputError(path, f"cannot read file ({err.strerror})") from err
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as err:
            raise BadInputError(path, f"starts with a UTF-8 byte-order mark but is not UTF-8 text ({err.reason} "
                                      f"at byte {err.start + 3})") from err
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as err:
            raise BadInputError(path, f"starts with a UTF-16 byte-order mark but is broken UTF-16 text "
                                      f"({err.reason})") from err
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") * 4 >= len(head):  # UTF-16 saved without a byte-order mark
        little = head[1::2].count(b"\x00") >= head[0::2].count(b"\x00")
        codec = "utf-16-le" if little else "utf-16-be"
        try:
            return data.decode(codec), f"UTF-16 ({'little' if little else 'big'}-endian, no BOM)"
        except UnicodeDecodeError as err:
            raise BadInputError(path, f"looks like UTF-16 without a byte-order mark but is broken ({err.reason})") from err
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as err:
        raise BadInputError(path, f"text encoding is neither UTF-8, UTF-16 nor Windows-1252 (byte "
                                  f"0x{data[err.start]:02x} at {err.start})") from err


def sniff_separator(text: str) -> str:
    """The separator of the header line: the most frequent of , ; and tab outside quotes (, if none)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def read_table(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> tuple[pd.DataFrame, str]:
    """DataFrame of stripped strings with columns renamed to the canonical names given, and how the
    file was read ("UTF-16, semicolon-separated"). Other columns are kept as they are.

    Raises BadInputError naming the file and the missing columns before anything is imported."""
    path = Path(path)
    text, encoding = decode(path)
    if not text.strip():
        raise BadInputError(path, "file is empty")
    sep = sniff_separator(text)
    how = f"{encoding}, {SEPARATORS[sep]}-separated"
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as err:
        raise BadInputError(path, f"not a readable CSV file (read as {how}): {str(err).splitlines()[0]}") from err
    wanted = {c.lower(): c for c in (*required, *optional)}
    renamed, seen = {}, {}
    for col in frame.columns:
        key = str(col).strip().lstrip("\ufeff").lower()
        if key in wanted:
            if key in seen:
                raise BadInputError(path, f"column {wanted[key]} appears twice")
            seen[key] = col
            renamed[col] = wanted[key]
    frame = frame.rename(columns=renamed)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(_printable(str(c)) for c in frame.columns) or "none"
        raise BadInputError(path, f"missing column(s) {', '.join(missing)}; found {found} (read as {how})")
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame, how


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def read_csv(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> pd.DataFrame:
    return read_table(path, required, optional)[0]


def resolve(csv_path: Path, image: str) -> Path:
    p = Path(image)
    return p if p.is_absolute() else (csv_path.parent / p)


def read_labels(path: str | Path, require_id: bool = True) -> list[LabelledImage]:
    """Rows of an Image[,Id] CSV in file order. Blank Image cells are an error naming the row."""
    path = Path(path)
    frame = read_csv(path, ("Image", "Id") if require_id else ("Image",), ("Id",))
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
            coords = [_number(getattr(record, c)) for c in ("x0", "y0", "x1", "y1")]
            box = BoundingBox(*coords)
        except ValueError as exc:
            raise BadInputError(path, f"row {n}: bad box for {record.Image}: {exc}") from exc
        boxes[resolve(path, str(record.Image).strip()).resolve()] = box
    return boxes


def _number(text: str) -> float:
    """A float, also with the decimal comma of a semicolon-separated file (12,5)."""
    text = str(text).strip()
    return float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
