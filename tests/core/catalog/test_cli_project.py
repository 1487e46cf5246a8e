"""The project CLI end to end (create, import, export, check) through whaleid_gui.cli.main."""

from __future__ import annotations

import argparse

import pandas as pd

from whaleid_gui import cli
from whaleid_gui.cli import import_export, project


def test_cli_flow(tmp_path, photos_dir, capsys, catalog_url):
    proj = str(tmp_path / "proj")
    assert cli.main(["project", "create", proj] + (["--db", catalog_url] if catalog_url else [])) == 0
    assert cli.main(["import", "photos", str(photos_dir), "--project", proj, "--survey", "S1"]) == 0
    assert "6 photos added" in capsys.readouterr().out
    csv = tmp_path / "cat.csv"
    csv.write_text("Image,Id\nimg_00.jpg,HW-1\nimg_01.jpg,HW-1\n")
    assert cli.main(["import", "catalog", str(csv), "--images", str(photos_dir), "--project", proj]) == 0
    boxes = tmp_path / "b.csv"
    boxes.write_text("Image,x0,y0,x1,y1\nimg_02.jpg,1,1,20,20\n")
    assert cli.main(["import", "boxes", str(boxes), "--project", proj, "--images", str(photos_dir)]) == 0
    out = tmp_path / "catalog.csv"
    assert cli.main(["export", "catalog", str(out), "--project", proj]) == 0
    assert pd.read_csv(out)["n_photos"].tolist() == [2]
    assert cli.main(["export", "catalog", str(out), "--project", proj]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert cli.main(["export", "catalog", str(out), "--project", proj, "--overwrite"]) == 0
    for kind in ("sightings", "decisions", "submission", "coco"):
        assert cli.main(["export", kind, str(tmp_path / f"{kind}.out"), "--project", proj]) == 0
    capsys.readouterr()
    assert cli.main(["project", "info", proj]) == 0
    info = capsys.readouterr().out
    assert "1 need a decision, 2 identified" in info and "photos show: flukes" in info  # the default kind
    assert cli.main(["project", "check", proj]) == 0
    (photos_dir / "img_05.jpg").unlink()
    assert cli.main(["project", "check", proj]) == 1
    out = capsys.readouterr().out
    assert "missing file" in out
    # a shared catalog: the reviewer is told why a photo another machine imported may be missing here
    assert ("mount the lab's photo share at the same path" in out) == bool(catalog_url)


def test_cli_bad_input_messages(tmp_path, capsys):
    proj = str(tmp_path / "proj")
    assert cli.main(["import", "photos", str(tmp_path), "--project", proj]) == 2
    assert "not a WhaleID project" in capsys.readouterr().err
    cli.main(["project", "create", proj])
    bad = tmp_path / "bad.csv"
    bad.write_text("Picture,Whale\na.jpg,1\n")
    assert cli.main(["import", "catalog", str(bad), "--project", proj]) == 2
    assert "missing column(s) Image, Id" in capsys.readouterr().err


def test_register_into_another_parser():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    project.register(sub)
    import_export.register(sub)
    args = parser.parse_args(["export", "coco", "o.json", "--project", "P", "--overwrite"])
    assert args.handler is import_export._cmd_export and args.overwrite
    args = parser.parse_args(["project", "match", "P", "a.jpg", "--top", "3"])
    assert args.photos == ["a.jpg"] and args.top == 3
