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


def test_a_batch_reports_a_photo_someone_else_decided_first_and_goes_on(project: Path, tmp_path: Path, capsys) -> None:
    # bob decides p2 while ann's batch (made when p2 was undecided: version 0) is on its way
    assert main(["decide", "p2.jpg", "confirm", "HW-0002", "--project", str(project), "--user", "bob"]) == 0
    batch = tmp_path / "ann.csv"
    batch.write_text("photo,action,individual,version\np2.jpg,confirm,HW-0001,0\np3.jpg,reject,HW-0001,\n"
                     "p3.jpg,confirm,HW-0002,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["decide", "--from", str(batch), "--project", str(project), "--user", "ann", "--shared"]) == 3
    out, err = capsys.readouterr()
    assert "line 2: not applied: p2.jpg was decided meanwhile by bob" in err
    assert "confirmed HW-0002" in err  # the first decision is shown
    assert "p3.jpg: rejected HW-0001 by ann" in out and "p3.jpg: confirmed HW-0002 by ann" in out
    with ProjectStore.open(project, read_only=True) as store:
        p2 = [d for d in store.decisions() if d.photo_id == store.photo_by_path(project.parent / "photos" / "p2.jpg").id]
        assert [(d.who, d.individual_code, d.undone) for d in p2] == [("bob", "HW-0002", False), ("ann", "HW-0001", True)]
        assert p2[1].conflict_with == p2[0].id  # ann's refused decision stays in the history
    assert main(["undo", "--project", str(project), "--user", "bob"]) == 0  # bob's own, not ann's later one
    assert "confirmed HW-0002 on photo" in capsys.readouterr().out


def test_a_batch_csv_without_the_needed_columns_is_refused(project: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("image,what\np2.jpg,skip\n", encoding="utf-8")
    assert main(["decide", "--from", str(bad), "--project", str(project)]) == 2
    assert f"{bad}: needs the columns photo,action" in capsys.readouterr().err
