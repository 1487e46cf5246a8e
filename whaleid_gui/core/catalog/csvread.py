"""The CSV reader of the catalog imports: core/csv_io.py's (encodings, separators, column names),
and one error that lists a file's problems."""

from __future__ import annotations

from pathlib import Path

from whaleid_gui.core.csv_io import decode, read_table
from whaleid_gui.core.errors import BadInputError

__all__ = ["decode", "read_table", "problems_error"]


def problems_error(path: Path, problems: list[str], limit: int = 10) -> BadInputError:
    """One error listing the first problems (row numbers count the header as row 1)."""
    shown = "; ".join(problems[:limit])
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return BadInputError(path, f"{len(problems)} problem(s), nothing imported: {shown}{more}")
