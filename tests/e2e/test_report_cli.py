"""`whaleid report PROJECT --out DIR`: the study plots as PNG and SVG, their numbers as CSV, never
replacing files without --force. The project is tests/study_project.py (numbers worked out in
tests/core/catalog/test_study_stats.py)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from study_project import make_study_project

from whaleid_gui import cli

FIGURES = ("discovery_curve", "resighting_frequency", "sightings_per_survey", "sightings_map")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    make_study_project(tmp_path).close()
    return tmp_path / "project"


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_report_writes_each_figure_as_png_svg_and_csv(project, tmp_path):
    """A real `python -m whaleid_gui report` in a fresh process: no display, no QApplication before."""
    out = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "whaleid_gui", "report", str(project), "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg", "csv")] + ["summary.csv"])
    assert "left out: 1 unidentified photo; 2 unusable photos" in done.stdout
    from PIL import Image

    for figure in FIGURES:
        with Image.open(out / f"{figure}.png") as png:
            assert png.size[0] > 1200 and png.size[1] > 800
            assert len(png.convert("RGB").getcolors(1 << 20)) > 10  # drawn, not blank
        root = ET.parse(out / f"{figure}.svg").getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert rows(out / "resighting_frequency.csv") == [["times_seen", "individuals"], ["1", "0"], ["2", "2"], ["3", "1"]]
    assert [r[4] for r in rows(out / "discovery_curve.csv")] == ["individuals", "1", "2", "2", "3", "3"]
    assert [r[:6] for r in rows(out / "sightings_per_survey.csv")[1:]] == [
        ["S1", "2021-07-01T09:00", "2", "2", "2", "0"], ["S2", "2021-07-03", "2", "2", "1", "1"],
        ["S3", "", "1", "1", "0", "1"], ["(no survey)", "2021-07-05", "2", "1", "0", "1"]]
    assert [r[0] for r in rows(out / "sightings_map.csv")[1:]] == ["HW-A", "HW-B", "HW-A", "HW-B"]
    summary = dict(rows(out / "summary.csv")[1:])
    assert summary["left_out_unusable_photos"] == "2" and summary["left_out_unidentified_photos"] == "1"


def test_report_refuses_to_overwrite_without_force_and_is_deterministic(project, tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "summary.csv").write_text("mine\n", encoding="utf-8")
    assert cli.main(["report", str(project), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "summary.csv" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]  # nothing written
    assert (out / "summary.csv").read_text(encoding="utf-8") == "mine\n"

    assert cli.main(["report", str(project), "--out", str(out), "--force", "--individual", "HW-A",
                     "--discovery-by", "days"]) == 0
    assert [r[0] for r in rows(out / "sightings_map.csv")[1:]] == ["HW-A", "HW-A"]
    assert dict(rows(out / "summary.csv")[1:])["map_individual"] == "HW-A"
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert cli.main(["report", str(project), "--out", str(out), "--force", "--individual", "HW-A",
                     "--discovery-by", "days"]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # same project, same bytes


def test_report_of_an_unknown_individual_is_a_clear_error(project, tmp_path, capsys):
    out = tmp_path / "report"
    assert cli.main(["report", str(project), "--out", str(out), "--individual", "HW-Z"]) == 2
    assert "HW-Z: no such individual" in capsys.readouterr().err
    assert not out.exists()
