"""The headless CLI contract (issue 2, point 9): demo -> match / evaluate / train, the Kaggle
submission format, and bad input ending with a non-zero exit and a one-line reason naming the file.

Commands run in-process through whaleid_gui.cli.main (torch is imported once); one test checks the
`python -m whaleid_gui` entry point in a subprocess. Images are matched at 64 px. Apart from the
first match, the default model is built once per session (patched build_model) to save ~4 s a call.
"""

from __future__ import annotations

import copy
import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from whaleid_gui import cli
from whaleid_gui.core import model as model_pkg

NEW_WHALE = "new_whale"


def run(capsys, *argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `whaleid ARGV`; argparse's SystemExit becomes its code."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def read_pred(path: Path) -> list[tuple[str, list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Image", "Id"]
    return [(image, ids.split(" ") if ids else []) for image, ids in rows[1:]]


def read_column(path: Path, column: str, encoding: str = "utf-8-sig") -> list[str]:
    with open(path, newline="", encoding=encoding) as handle:
        return [row[column] for row in csv.DictReader(handle)]


def error_line(err: str) -> str:
    """The one-line reason: stderr holds exactly one non-empty line."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`whaleid demo DIR --small` (itself under test here)."""
    root = tmp_path_factory.mktemp("cli") / "demo"
    code = cli.main(["demo", str(root), "--small"])
    assert code == 0
    for name in ("references.csv", "queries.csv", "train.csv", "boxes.csv"):
        assert (root / name).is_file()
    assert read_column(root / "queries.csv", "Id").count(NEW_WHALE) >= 1
    return root


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli-cache")


@pytest.fixture
def quick_default(monkeypatch, lite0_model):
    """The default model, built once per session instead of once per command."""
    monkeypatch.setattr(model_pkg, "build_model", lambda *a, **k: copy.deepcopy(lite0_model))


def match_args(demo: Path, queries, out: Path, cache_dir: Path, *extra) -> list:
    return ["match", demo / "references.csv", queries, "--out", out, "--image-size", 64,
            "--cache-dir", cache_dir, *extra]


def assert_valid_predictions(rows, images: list[str], references_csv: Path, top: int = 5):
    assert [image for image, _ in rows] == images  # one row per query, input order, Image as given
    known = set(read_column(references_csv, "Id")) - {NEW_WHALE}
    for _, ids in rows:
        assert len(ids) == top
        assert len(set(ids)) == top  # no individual twice
        assert set(ids) <= known | {NEW_WHALE}
        assert ids.count(NEW_WHALE) <= 1


# --------------------------------------------------------------------------------------------
# help and entry points


@pytest.mark.parametrize("command", ["match", "evaluate", "train", "demo"])
def test_help_of_each_command(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: whaleid {command}")


def test_python_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "whaleid_gui", "match", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--new-threshold" in result.stdout and "--boxes" in result.stdout
    result = subprocess.run([sys.executable, "-m", "whaleid_gui", "match"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "--out" in result.stderr  # names what is missing


# --------------------------------------------------------------------------------------------
# match and evaluate


def test_match_writes_a_kaggle_submission(capsys, demo, tmp_path):
    """With the real default model (no patch): demo --small, then match at 64 px."""
    out = tmp_path / "PRED.csv"
    cache = tmp_path / "cache"
    code, _, err = run(capsys, *match_args(demo, demo / "queries.csv", out, cache))
    assert code == 0, err
    rows = read_pred(out)
    assert_valid_predictions(rows, read_column(demo / "queries.csv", "Image"), demo / "references.csv")
    assert "64 px" in err and f"wrote {len(rows)} rows" in err
    assert (cache / "features.sqlite").is_file()


def test_match_keeps_image_as_given_and_input_order(capsys, demo, tmp_path, cache_dir, quick_default):
    images = read_column(demo / "queries.csv", "Image")[::-1]
    spelled = [f"./{images[0]}", str((demo / images[1]).resolve())] + images[2:]  # relative, absolute, plain
    queries = tmp_path / "q.csv"
    with open(queries, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Note", "Image", "Extra"])  # other columns are ignored
        writer.writerows([["x", image, "y"] for image in spelled])
    shutil.copytree(demo / "images", tmp_path / "images")  # paths are relative to the CSV's folder
    out = tmp_path / "out" / "PRED.csv"
    code, _, err = run(capsys, *match_args(demo, queries, out, cache_dir, "--top", 3, "--new-threshold", "none"))
    assert code == 0, err
    rows = read_pred(out)
    assert_valid_predictions(rows, spelled, demo / "references.csv", top=3)
    assert all(NEW_WHALE not in ids for _, ids in rows)


def test_thresholds_zero_and_one(capsys, demo, tmp_path, cache_dir, quick_default):
    out = tmp_path / "PRED.csv"
    code, _, err = run(capsys, *match_args(demo, demo / "queries.csv", out, cache_dir, "--new-threshold", "1"))
    assert code == 0, err
    assert all(ids[0] == NEW_WHALE for _, ids in read_pred(out))  # every score is below 1
    code, _, err = run(capsys, *match_args(demo, demo / "queries.csv", out, cache_dir, "--new-threshold", "0"))
    assert code == 0, err
    assert all(NEW_WHALE not in ids for _, ids in read_pred(out))  # no score is below 0; 6 individuals fill 5


def test_a_folder_as_queries(capsys, demo, tmp_path, cache_dir, quick_default):
    folder = tmp_path / "photos"
    (folder / "day2").mkdir(parents=True)
    shutil.copy(demo / "images" / "q_0001.jpg", folder / "b.jpg")
    shutil.copy(demo / "images" / "q_0002.jpg", folder / "a.JPG")
    shutil.copy(demo / "images" / "q_0003.jpg", folder / "day2" / "c.jpg")
    (folder / "notes.txt").write_text("not a photo")
    out = tmp_path / "PRED.csv"
    code, _, err = run(capsys, *match_args(demo, folder, out, cache_dir))
    assert code == 0, err
    assert_valid_predictions(read_pred(out), ["a.JPG", "b.jpg", str(Path("day2") / "c.jpg")], demo / "references.csv")


def test_evaluate_prints_map_top1_top5(capsys, demo, tmp_path, cache_dir, quick_default):
    out = tmp_path / "PRED.csv"
    code, stdout, err = run(capsys, "evaluate", demo / "references.csv", demo / "queries.csv", "--boxes",
                            demo / "boxes.csv", "--image-size", 64, "--cache-dir", cache_dir, "--out", out)
    assert code == 0, err
    found = re.search(r"MAP@5 ([\d.]+)\s+top-1 ([\d.]+)\s+top-5 ([\d.]+)", stdout)
    assert found, stdout
    map5, top1, top5 = map(float, found.groups())
    assert 0 <= top1 <= map5 <= top5 <= 1
    n_new = read_column(demo / "queries.csv", "Id").count(NEW_WHALE)
    assert f"({n_new} new_whale)" in stdout
    assert len(read_pred(out)) == len(read_column(demo / "queries.csv", "Image"))


def test_bom_and_cp1252_csvs_are_accepted(capsys, demo, tmp_path, cache_dir, quick_default):
    shutil.copytree(demo / "images", tmp_path / "images")
    shutil.copy(demo / "images" / "q_0001.jpg", tmp_path / "images" / "baleine_été.jpg")
    references = tmp_path / "references.csv"
    references.write_bytes(b"\xef\xbb\xbf" + (demo / "references.csv").read_bytes())  # UTF-8 with BOM
    queries = tmp_path / "queries.csv"
    queries.write_bytes("Image,Id\r\nimages/baleine_été.jpg,HW-0001\r\nimages/q_0002.jpg,new_whale\r\n"
                        .encode("cp1252"))  # Excel on Windows
    out = tmp_path / "PRED.csv"
    code, _, err = run(capsys, "match", references, queries, "--out", out, "--image-size", 64,
                       "--cache-dir", cache_dir)
    assert code == 0, err
    assert_valid_predictions(read_pred(out), ["images/baleine_été.jpg", "images/q_0002.jpg"], references)


def test_corrupt_images_are_reported_and_skipped(capsys, demo, tmp_path, cache_dir, quick_default):
    shutil.copytree(demo / "images", tmp_path / "images")
    (tmp_path / "images" / "broken_ref.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    (tmp_path / "images" / "broken_q.png").write_text("not an image")
    references = tmp_path / "references.csv"
    text = (demo / "references.csv").read_text(encoding="utf-8").rstrip("\n")
    references.write_text(text + "\nimages/broken_ref.jpg,HW-0001\nimages/missing.jpg,HW-0002\n", encoding="utf-8")
    images = read_column(demo / "queries.csv", "Image")
    images = images[:2] + ["images/broken_q.png"] + images[2:]
    queries = tmp_path / "queries.csv"
    queries.write_text("Image\n" + "\n".join(images) + "\n", encoding="utf-8")
    out = tmp_path / "PRED.csv"
    code, _, err = run(capsys, "match", references, queries, "--out", out, "--image-size", 64, "--cache-dir", cache_dir)
    assert code == 0, err
    assert re.search(r"skipped reference .*broken_ref\.jpg", err)
    assert re.search(r"skipped reference .*missing\.jpg", err)
    assert re.search(r"skipped query .*broken_q\.png", err)
    rows = read_pred(out)
    assert [image for image, _ in rows] == images
    assert rows[2][1] == []  # the unreadable query keeps its row, with an empty Id
    assert_valid_predictions(rows[:2] + rows[3:], images[:2] + images[3:], demo / "references.csv")


def test_all_queries_unreadable_fails(capsys, demo, tmp_path, cache_dir, quick_default):
    (tmp_path / "bad.jpg").write_bytes(b"")
    queries = tmp_path / "queries.csv"
    queries.write_text("Image\nbad.jpg\n", encoding="utf-8")
    code, _, err = run(capsys, *match_args(demo, queries, tmp_path / "PRED.csv", cache_dir))
    assert code != 0
    assert "bad.jpg" in err


# --------------------------------------------------------------------------------------------
# bad input: non-zero exit, one line naming the file


def test_missing_references_csv(capsys, demo, tmp_path):
    missing = tmp_path / "nope.csv"
    code, _, err = run(capsys, "match", missing, demo / "queries.csv", "--out", tmp_path / "p.csv")
    assert code != 0
    line = error_line(err)
    assert str(missing) in line and "not found" in line
    assert not (tmp_path / "p.csv").exists()


def test_csv_without_id_column(capsys, demo, tmp_path):
    references = tmp_path / "refs.csv"
    references.write_text("Image,Name\nimages/ref_0001.jpg,x\n", encoding="utf-8")
    code, _, err = run(capsys, "match", references, demo / "queries.csv", "--out", tmp_path / "p.csv")
    assert code != 0
    line = error_line(err)
    assert str(references) in line and "Id" in line
    # and evaluate needs Id on the queries too
    queries = tmp_path / "q.csv"
    queries.write_text("Image\nimages/q_0001.jpg\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", demo / "references.csv", queries)
    assert code != 0 and str(queries) in error_line(err)


def test_queries_folder_without_images(capsys, demo, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "match", demo / "references.csv", tmp_path / "empty", "--out", tmp_path / "p.csv")
    assert code != 0
    assert str(tmp_path / "empty") in error_line(err)


@pytest.mark.parametrize("value", ["maybe", "1.5", "-0.1", ""])
def test_bad_new_threshold_is_rejected(capsys, demo, tmp_path, value):
    code, _, err = run(capsys, "match", demo / "references.csv", demo / "queries.csv", "--out", tmp_path / "p.csv",
                       "--new-threshold", value)
    assert code == 2
    assert "--new-threshold" in err
    assert not (tmp_path / "p.csv").exists()


def test_bad_top_is_rejected(capsys, demo, tmp_path):
    code, _, err = run(capsys, "match", demo / "references.csv", demo / "queries.csv", "--out", tmp_path / "p.csv",
                       "--top", "0")
    assert code == 2 and "--top" in err


def test_corrupt_weights_file(capsys, demo, tmp_path):
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"\x00garbage" * 100)
    code, _, err = run(capsys, "match", demo / "references.csv", demo / "queries.csv", "--out", tmp_path / "p.csv",
                       "--weights", weights)
    assert code != 0
    assert str(weights) in error_line(err)


def test_bad_boxes_row(capsys, demo, tmp_path):
    boxes = tmp_path / "boxes.csv"
    boxes.write_text("Image,x0,y0,x1,y1\nimages/ref_0001.jpg,1,2,three,4\n", encoding="utf-8")
    code, _, err = run(capsys, "match", demo / "references.csv", demo / "queries.csv", "--out", tmp_path / "p.csv",
                       "--boxes", boxes)
    assert code != 0
    line = error_line(err)
    assert str(boxes) in line and "row 2" in line


def test_resume_without_a_run(capsys, demo, tmp_path):
    code, _, err = run(capsys, "train", demo / "train.csv", "--out", tmp_path / "w.pt", "--init", "scratch",
                       "--branch", "reference", "--image-size", 64, "--resume")
    assert code != 0
    assert "nothing to resume" in err.strip().splitlines()[-1]


# --------------------------------------------------------------------------------------------
# train -> match --weights


def test_train_writes_weights_that_match_loads(capsys, demo, tmp_path, cache_dir):
    weights = tmp_path / "w.pt"
    code, _, err = run(capsys, "train", demo / "train.csv", "--out", weights, "--init", "scratch", "--branch",
                       "reference", "--image-size", 64, "--epochs", 2, "--batch-size", 8,
                       "--boxes", demo / "boxes.csv")
    assert code == 0, err
    assert "epoch 1/2" in err and "epoch 2/2" in err and f"saved {weights}" in err
    assert weights.is_file()
    out = tmp_path / "PRED.csv"
    code, _, err = run(capsys, "match", demo / "references.csv", demo / "queries.csv", "--out", out,
                       "--weights", weights, "--cache-dir", cache_dir, "--boxes", demo / "boxes.csv")
    assert code == 0, err
    assert "(reference, 64 px)" in err  # the size comes from the weights file's card
    assert_valid_predictions(read_pred(out), read_column(demo / "queries.csv", "Image"), demo / "references.csv")


def test_train_writes_the_settings_file_and_model_card_the_panel_writes(capsys, demo, tmp_path):
    """`whaleid train` runs the training panel's use case: <out>.settings.json when it starts (the
    panel's Resume reads it back) and the model card <out>.card.json when it ends."""
    import json

    from whaleid_gui.application.train_settings import read_train_settings, settings_path

    weights = tmp_path / "w.pt"
    code, _, err = run(capsys, "train", demo / "train.csv", "--out", weights, "--init", "scratch", "--branch",
                       "reference", "--image-size", 64, "--epochs", 1, "--batch-size", 8, "--seed", 3,
                       "--validation", "0.25")
    assert code == 0, err
    assert re.search(r"training reference at 64 px on (cpu|cuda)", err)
    saved = read_train_settings(weights)
    assert (saved.branch, saved.epochs, saved.image_size, saved.seed, saved.scratch) == ("reference", 1, 64, 3, True)
    assert saved.validation_fraction == 0.25 and saved.fast is False and saved.batch_size == 8
    config = json.loads(settings_path(weights).read_text(encoding="utf-8"))["train_config"]
    assert config["weight_decay"] > 0 and config["epochs"] == 1  # the reference branch's weight decay
    card = json.loads(weights.with_suffix(".card.json").read_text(encoding="utf-8"))
    assert card["trained_in"] == "whaleid train" and card["weights_file"] == "w.pt"
    assert card["architecture"] == "reference" and card["image_size"] == 64
    photos = len(read_column(demo / "train.csv", "Image"))
    assert card["data_summary"]["photos"] == photos and card["data_summary"]["val_individuals"] >= 1
    assert card["settings"]["epochs"] == 1
    # with held-out individuals the run says what it must beat and what it kept, in plain lines
    start = float(re.search(r"validation MAP@5 before training: (\d\.\d+)", err).group(1))
    assert card["metrics"]["val_map5_before_training"] == pytest.approx(start, abs=5e-4)
    assert "The weights file holds epoch 1" in err and ("better than" in err)


def test_train_init_weights_of_another_branch_is_an_error(capsys, demo, tmp_path):
    """--init PATH --branch X: the file must hold X (the panel, by contrast, starts afresh)."""
    from whaleid_gui.core.model import build_model, save_model

    start = tmp_path / "start.pt"
    save_model(build_model("reference", image_size=64, imagenet=False, distance_head=False), start)
    code, _, err = run(capsys, "train", demo / "train.csv", "--out", tmp_path / "w.pt", "--init", start,
                       "--branch", "efficientnet-lite0")
    assert code == 2
    line = error_line(err)
    assert str(start) in line and "holds a reference model, not efficientnet-lite0" in line
    assert not (tmp_path / "w.pt.settings.json").exists()  # refused before anything was written
    code, _, err = run(capsys, "train", demo / "train.csv", "--out", tmp_path / "w.pt", "--init", tmp_path / "no.pt")
    assert code == 2 and str(tmp_path / "no.pt") in error_line(err)
