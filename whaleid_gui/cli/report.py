"""`whaleid report PROJECT --out DIR [--force]`: the study plots of a project as files.

Writes the four figures of the catalog tab's study plots (discovery curve, resighting frequency,
sightings per survey, map of sightings) as PNG and SVG, each figure's numbers as CSV, and
summary.csv (the counts, and what the figures leave out). Nothing is replaced without --force:
when any of these files exists the command writes nothing. The figures are drawn by the app's
own code (gui.study_figures, pyqtgraph) on Qt's offscreen platform, so no display is needed.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..core.errors import WhaleIDError
from .exit_codes import EXIT_OK

FORMATS = ("png", "svg", "csv")
SUMMARY = "summary.csv"


def register(subparsers) -> None:
    from ..core.catalog.study_stats import DISCOVERY_BY

    p = subparsers.add_parser("report", help="write the study plots (PNG, SVG) and their numbers (CSV)")
    p.add_argument("project", help="project folder")
    p.add_argument("--out", required=True, help="folder to write (created if needed)")
    p.add_argument("--force", "--overwrite", action="store_true", help="replace the files of an earlier report")
    p.add_argument("--discovery-by", choices=DISCOVERY_BY, default="photos",
                   help="the discovery curve's x axis: identified photos (default) or survey days")
    p.add_argument("--individual", metavar="CODE", help="map only this individual's sightings (default: all)")
    p.set_defaults(handler=_cmd_report)


def report_files(out: Path) -> list[Path]:
    from ..core.catalog.study_stats import FIGURES

    return [out / f"{name}.{ext}" for name, _title in FIGURES for ext in FORMATS] + [out / SUMMARY]


def _cmd_report(args) -> int:
    from ..core.catalog import ProjectStore
    from ..core.catalog.study_stats import figure_tables, study_stats, summary_rows

    out = Path(args.out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise WhaleIDError(f"{out}: exists and is not a folder")
    existing = [p.name for p in report_files(out) if p.exists()]
    if existing and not args.force:
        raise WhaleIDError(f"{out}: {len(existing)} report files exist ({', '.join(existing[:3])}"
                           f"{', ...' if len(existing) > 3 else ''}); pass --force to replace them")
    with ProjectStore.open(args.project, read_only=True) as store:
        individual = None
        if args.individual:
            found = store.individual_by_code(args.individual)
            if found is None:
                raise WhaleIDError(f"{args.individual}: no such individual in {store.folder}")
            individual = found.code
        stats = study_stats(store)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WhaleIDError(f"{out}: cannot create the folder ({err.strerror})") from err

    written = []
    tables = figure_tables(stats, individual)
    for name, (columns, rows) in tables.items():
        written.append(_write_csv(out / f"{name}.csv", columns, rows, args.force))
    written.append(_write_csv(out / SUMMARY, ["what", "value"], summary_rows(stats, individual), args.force))
    written += _write_figures(stats, out, args.discovery_by, individual, args.force)
    print(f"wrote {len(written)} files to {out}:")
    for path in sorted(written):
        print(f"  {path.name}")
    left = stats.left_out()
    if left:
        print("left out: " + "; ".join(left))
    return EXIT_OK


def _write_csv(path: Path, columns: list[str], rows: list[list], overwrite: bool) -> Path:
    from ..core.catalog.exporters import write_atomic

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(columns)
            w.writerows(rows)

    return write_atomic(path, write, overwrite=overwrite)


def _write_figures(stats, out: Path, discovery_by: str, individual: str | None, overwrite: bool) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed (nor used)
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from ..core.catalog.exporters import write_atomic
    from ..core.catalog.study_stats import FIGURES
    from ..gui.study_figures import FigureOptions, save_figure

    if QApplication.instance() is None:
        QApplication([])  # stays for the process (PySide keeps it)
    options = FigureOptions(discovery_by=discovery_by, individual=individual)
    written = []
    try:
        for name, _title in FIGURES:
            for fmt in ("png", "svg"):
                written.append(write_atomic(out / f"{name}.{fmt}",
                                            lambda tmp, n=name, f=fmt: save_figure(n, stats, tmp, options, fmt=f),
                                            overwrite=overwrite))
    finally:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the figures' views
    return written
