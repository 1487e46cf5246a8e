"""Reading the CSV files that imports accept: any of UTF-8 (with or without BOM), UTF-16 with
BOM or Windows-1252; column names matched without regard to case or surrounding spaces."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from whaleid_gui.core.errors import BadInputError


def decode(path: Path) -> tuple[str, str]:
    """(text, encoding name) of a CSV file."""
    if not path.exists():
        raise BadInputError(path, "file not found")
    if path.is_dir():
        raise BadInputError(path, "is a directory, not a CSV file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInputError(path, f"cannot read file ({err.strerror})") from err
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as err:
            raise BadInputError(path, f"broken UTF-16 text ({err.reason})") from err
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as err:
        raise BadInputError(path, "text encoding is neither UTF-8, UTF-16 nor Windows-1252") from err


def read_table(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> tuple[pd.DataFrame, str]:
    """DataFrame of strings with columns renamed to the canonical names given; (frame, encoding).

    Raises BadInputError naming the file and the missing columns before anything is imported."""
    path = Path(path)
    text, encoding = decode(path)
    if not text.strip():
        raise BadInputError(path, "file is empty")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise BadInputError(path, f"not a readable CSV file: {str(err).splitlines()[0]}") from err
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
        found = ", ".join(str(c) for c in frame.columns) or "none"
        raise BadInputError(path, f"missing column(s) {', '.join(missing)}; found {found}")
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame, encoding


def problems_error(path: Path, problems: list[str], limit: int = 10) -> BadInputError:
    """One error listing the first problems (row numbers count the header as row 1)."""
    shown = "; ".join(problems[:limit])
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return BadInputError(path, f"{len(problems)} problem(s), nothing imported: {shown}{more}")
