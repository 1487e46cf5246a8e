"""Capture histories for mark-recapture (MARK, RMark, marked): individuals by occasions, 0/1.

An occasion is a survey (the sightings' survey field, ordered by their first day) or a bin of N
days counted from the first sighting (bins without any sighting are left out and named). An
individual is caught on an occasion when one of its sightings falls in it. Left out, counted and
named: photos that show no identified individual, photos marked unusable, and sightings that
cannot be placed on an occasion (no survey; no date to the day). Written as CSV (individual,
then one 0/1 column per occasion) or as a MARK input file (`/* code */ 0101 1;`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from whaleid_gui.core.errors import BadInputError

from .encounters import date_parts, identified, unidentified
from .export_common import ExportReport, refuse_existing, write_bytes

OCCASIONS = ("survey", "days")
REASONS = {  # why something is left out: (one, several)
    "unidentified": ("photo not identified", "photos not identified"),
    "unusable": ("photo marked unusable", "photos marked unusable"),
    "no survey": ("sighting without a survey", "sightings without a survey"),
    "no day": ("sighting without a date to the day", "sightings without a date to the day"),
    "no sighting": ("individual without a usable sighting", "individuals without a usable sighting"),
}


@dataclass(frozen=True)
class Occasion:
    label: str  # the survey, or "FIRST..LAST" of a bin of days
    first: str | None  # first and last day with a sighting in it
    last: str | None


@dataclass
class CaptureHistory:
    occasions: list[Occasion]
    individuals: list[str]  # codes, sorted
    matrix: list[tuple[int, ...]]  # one row per individual, one 0/1 per occasion
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (photo or individual, why)
    counts: Counter = field(default_factory=Counter)  # REASONS key -> how many
    notes: list[str] = field(default_factory=list)
    kind: str = "surveys"

    def history(self, i: int) -> str:
        return "".join(str(v) for v in self.matrix[i])


def _day(text: str | None) -> date | None:
    parts = date_parts(text)
    if parts is None:
        return None
    year, month, day = parts[:3]
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def capture_history(store, occasions: str = "survey", days: int | None = None) -> CaptureHistory:
    if occasions not in OCCASIONS:
        raise BadInputError(None, f"occasions must be one of {', '.join(OCCASIONS)}, not {occasions!r}")
    if occasions == "days" and (days is None or days < 1):
        raise BadInputError(None, "occasions of days need a bin length of at least 1 day")
    excluded: list[tuple[str, str]] = []
    counts: Counter = Counter()

    def leave_out(what: str, why: str) -> None:
        excluded.append((what, REASONS[why][0]))
        counts[why] += 1

    for path in unidentified(store):
        leave_out(str(path), "unidentified")
    records = identified(store)
    everyone = sorted({r.code for r in records})
    by_survey: list[tuple[str, str, date | None]] = []  # occasions of surveys: (code, survey, day)
    by_day: list[tuple[str, date]] = []  # occasions of days: (code, day)
    unusable_photos = set()
    for r in records:
        if r.quality == "unusable":
            if r.path not in unusable_photos:
                unusable_photos.add(r.path)
                leave_out(str(r.path), "unusable")
            continue
        day = _day(r.date)
        if occasions == "survey":
            if r.survey:
                by_survey.append((r.code, r.survey, day))
            else:
                leave_out(f"{r.path} ({r.code})", "no survey")
        elif day is not None:
            by_day.append((r.code, day))
        else:
            leave_out(f"{r.path} ({r.code})", "no day")

    notes = []
    if occasions == "survey":
        spans: dict[str, list[date]] = {}
        for _, survey, day in by_survey:
            spans.setdefault(survey, [])
            if day is not None:
                spans[survey].append(day)
        order = sorted(spans, key=lambda s: (not spans[s], min(spans[s]) if spans[s] else date.min, s))
        occ = [Occasion(s, _iso(min(spans[s], default=None)), _iso(max(spans[s], default=None))) for s in order]
        index = {s: i for i, s in enumerate(order)}
        caught = [(code, index[survey]) for code, survey, _ in by_survey]
    else:
        assert days is not None  # checked at the top for occasions of days
        start = min((day for _, day in by_day), default=date.min)  # date.min: no bin at all
        bins: dict[int, list[date]] = {}
        for _, day in by_day:
            bins.setdefault((day - start).days // days, []).append(day)
        used = sorted(bins)
        empty = [k for k in range(used[-1] + 1) if k not in bins] if used else []
        if empty:
            runs: list[list[int]] = []
            for k in empty:
                if runs and runs[-1][1] == k - 1:
                    runs[-1][1] = k
                else:
                    runs.append([k, k])
            gaps = [_bin_label(start, a, days, b - a + 1) for a, b in runs]
            notes.append(f"{len(empty)} bins of {days} days without any sighting left out: {', '.join(gaps)}")
        occ = [Occasion(_bin_label(start, k, days), _iso(min(bins[k])), _iso(max(bins[k]))) for k in used]
        bin_index = {k: i for i, k in enumerate(used)}
        caught = [(code, bin_index[(day - start).days // days]) for code, day in by_day]

    codes = sorted({code for code, _ in caught})
    for code in everyone:
        if code not in codes:
            leave_out(code, "no sighting")
    rows = {code: [0] * len(occ) for code in codes}
    for code, k in caught:
        rows[code][k] = 1
    if not occ and everyone:
        notes.append("no sighting could be placed on an occasion: give the sightings a survey (import photos "
                     "--survey, or a sightings CSV) or dates, and use occasions of days")
    kind = "surveys" if occasions == "survey" else f"bins of {days} days"
    return CaptureHistory(occ, codes, [tuple(rows[c]) for c in codes], excluded, counts, notes, kind)


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _bin_label(start: date, k: int, days: int, n: int = 1) -> str:
    """FIRST..LAST day of n bins of `days` days from bin k."""
    first = start + timedelta(days=k * days)
    return f"{first.isoformat()}..{(first + timedelta(days=n * days - 1)).isoformat()}"


def csv_bytes(ch: CaptureHistory) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["individual"] + [o.label for o in ch.occasions])
    for code, row in zip(ch.individuals, ch.matrix):
        writer.writerow([code, *row])
    return text.getvalue().encode("utf-8")


def _comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /").replace("\n", " ") + " */"


def inp_bytes(ch: CaptureHistory, project: str) -> bytes:
    """MARK input: comments (occasions, what was left out), then `/* code */ 0101 1;` lines."""
    lines = [_comment(f"WhaleID capture histories of {project}: {len(ch.individuals)} individuals, "
                      f"{len(ch.occasions)} occasions ({ch.kind})")]
    for k, o in enumerate(ch.occasions, start=1):
        span = f" ({o.first} to {o.last})" if o.first and o.first != o.last else (f" ({o.first})" if o.first else "")
        lines.append(_comment(f"occasion {k}: {o.label}{span}" if ch.kind == "surveys" else f"occasion {k}: {o.label}"))
    lines.append(_comment("left out: " + (counts_text(ch.counts) or "nothing")))
    lines += [f"{_comment(code)} {ch.history(i)} 1;" for i, code in enumerate(ch.individuals)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def counts_text(counts: Counter) -> str:
    return ", ".join(f"{counts[k]} {REASONS[k][counts[k] != 1]}" for k in REASONS if counts[k])


def export_capture_history(store, out, overwrite: bool = False, occasions: str = "survey",
                           days: int | None = None) -> ExportReport:
    """OUT ending .inp: MARK input file; any other name: CSV."""
    out = Path(out).expanduser().absolute()
    refuse_existing([out], overwrite)
    ch = capture_history(store, occasions, days)
    mark = out.suffix.lower() == ".inp"
    data = inp_bytes(ch, store.folder.name) if mark else csv_bytes(ch)
    report = ExportReport(out, rows=len(ch.individuals), what=f"individuals x {len(ch.occasions)} occasions ({ch.kind})",
                          skipped=list(ch.excluded), notes=list(ch.notes))
    if ch.counts:
        report.notes.append("left out: " + counts_text(ch.counts))
    write_bytes(out, data, overwrite)
    return report
