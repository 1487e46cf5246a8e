"""`whaleid decide` / `whaleid undo` on a real project file, as a scientist would script them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from whaleid_gui.cli import main
from whaleid_gui.core.catalog import ProjectStore


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, color in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200), (90, 90, 90)]):
        Image.new("RGB", (64, 48), color).save(photos / f"p{i}.jpg")
    with open(tmp_path / "catalog.csv", "w", newline="") as f:
        f.write("Image,Id\nphotos/p0.jpg,HW-0001\nphotos/p1.jpg,HW-0002\n")
    folder = tmp_path / "proj"
    assert main(["project", "create", str(folder)]) == 0
    assert main(["import", "catalog", str(tmp_path / "catalog.csv"), "--project", str(folder)]) == 0
    assert main(["import", "photos", str(photos), "--project", str(folder)]) == 0
    return folder


def test_decide_confirm_reject_new_undo_and_export(project: Path, tmp_path: Path, capsys) -> None:
    assert main(["decide", "p2.jpg", "confirm", "HW-0001", "--project", str(project), "--user", "ana"]) == 0
    assert main(["decide", "p3.jpg", "reject", "HW-0002", "--project", str(project)]) == 0
    assert main(["decide", "p3.jpg", "new", "--name", "Notchy", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "HW-0003" in out  # the next free code keeps the catalog's four digits

    with ProjectStore.open(project, read_only=True) as store:
        hw1 = store.individual_by_code("HW-0001")
        assert {Path(p.path).name for p in store.photos_of(hw1.id)} == {"p0.jpg", "p2.jpg"}
        new = store.individual_by_code("HW-0003")
        assert new.name == "Notchy"
        kinds = [d.decision for d in store.decisions()]
        assert kinds == ["confirmed", "rejected", "new_individual"]
        assert store.decisions()[0].who == "ana"

    assert main(["undo", "--project", str(project)]) == 0
    with ProjectStore.open(project, read_only=True) as store:
        assert store.individual_by_code("HW-0003") is None
        assert [d.undone for d in store.decisions()] == [False, False, True]

    out_csv = tmp_path / "decisions.csv"
    assert main(["export", "decisions", str(out_csv), "--project", str(project)]) == 0
    rows = list(csv.DictReader(open(out_csv, encoding="utf-8")))
    assert [r["decision"] for r in rows] == ["confirmed", "rejected", "new_individual"]
    assert rows[2]["undone"] == "True"


def test_decide_unknown_individual_or_photo_is_a_clear_error(project: Path, capsys) -> None:
    assert main(["decide", "p2.jpg", "confirm", "HW-9999", "--project", str(project)]) == 2
    assert "HW-9999: no such individual" in capsys.readouterr().err
    assert main(["decide", "nope.jpg", "skip", "--project", str(project)]) == 2
    assert "nope.jpg: no such photo" in capsys.readouterr().err
    with ProjectStore.open(project, read_only=True) as store:
        assert store.decisions() == []
