"""Imports: folders (bad files, duplicates, EXIF), catalog CSV, boxes CSV, COCO, sightings."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import importers
from whaleid_gui.core.errors import BadInputError

from catalog_helpers import make_image


def test_folder_import_reports_bad_files_and_duplicates(store, photos_dir):
    (photos_dir / "sub").mkdir()
    shutil.copy(photos_dir / "img_00.jpg", photos_dir / "sub" / "exact_copy.jpg")
    Image.open(photos_dir / "img_01.jpg").save(photos_dir / "sub" / "resaved.png")  # same picture, other bytes
    (photos_dir / "empty.jpg").write_bytes(b"")
    (photos_dir / "notes.txt").write_text("field notes")
    data = (photos_dir / "img_02.jpg").read_bytes()
    (photos_dir / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (photos_dir / "folder.jpg").mkdir()
    make_image(photos_dir / "folder.jpg" / "inside.jpg", seed=42)
    events = []
    report = store.import_folder(photos_dir, progress=events.append)
    assert report.added == 8  # 6 + resaved.png (flagged) + inside.jpg
    assert [p for p, _ in report.skipped_duplicates] == [str(photos_dir / "sub" / "exact_copy.jpg")]
    assert report.near_duplicates == [(str(photos_dir / "sub" / "resaved.png"), str(photos_dir / "img_01.jpg"))]
    reasons = dict(report.errors)
    assert set(reasons) == {str(photos_dir / n) for n in ("empty.jpg", "notes.txt", "truncated.jpg")}
    assert "empty" in reasons[str(photos_dir / "empty.jpg")]
    assert any("directory named like an image" in n for n in report.notes)
    assert events[-1].done == events[-1].total
    near = store.photo_by_path(photos_dir / "sub" / "resaved.png")
    assert store.photo(near.near_duplicate_of).path.name == "img_01.jpg"
    again = store.import_folder(photos_dir)  # idempotent
    assert again.added == 0 and again.already_present == 8
    assert store.count_photos() == 8
    assert store.check().ok


def test_exif_date_gps_camera(store, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 7D"
    exif.get_ifd(0x8769)[0x9003] = "2019:07:03 10:11:12"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 51.0, 36.0), "E", (151.0, 12.0, 0.0)
    path = make_image(tmp_path / "exif" / "a.jpg", seed=1, exif=exif)
    p = store.add_photo(path)
    assert p.taken_at == "2019-07-03T10:11:12"
    assert p.lat == pytest.approx(-33.86) and p.lon == pytest.approx(151.2)
    assert p.camera == "Canon EOS 7D"


def test_exif_orientation_gives_oriented_size(store, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: stored 48x32 is shown 32x48
    p = store.add_photo(make_image(tmp_path / "o" / "r.jpg", seed=3, exif=exif))
    assert (p.width, p.height) == (32, 48)


def _catalog(tmp_path, text: str, encoding="utf-8", bom=False):
    for i in range(4):
        make_image(tmp_path / "cat" / "images" / f"c{i}.jpg", seed=100 + i)
    path = tmp_path / "cat" / "train.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_catalog_csv_with_bom_and_duplicate_rows(store, tmp_path):
    csv = _catalog(tmp_path, "Image,Id\nimages/c0.jpg,HW-A\nimages/c1.jpg,HW-A\nimages/c1.jpg,HW-A\n"
                             "images/c2.jpg,new_whale\nimages/c3.jpg,HW-B\n", bom=True)
    r = importers.import_catalog(store, csv)
    assert (r.added, r.individuals_added, r.sightings_added) == (4, 2, 3)
    assert any("duplicate" in n for n in r.notes) and any("BOM" in n for n in r.notes)
    assert [i.code for i in store.individuals()] == ["HW-A", "HW-B"]
    r2 = importers.import_catalog(store, csv)
    assert (r2.added, r2.individuals_added, r2.sightings_added, r2.already_present) == (0, 0, 0, 4)


def test_catalog_csv_cp1252_and_bad_image(store, tmp_path):
    csv = _catalog(tmp_path, "image , ID\nimages/c0.jpg,Baleine-é\nimages/missing.jpg,X\n", encoding="cp1252")
    r = importers.import_catalog(store, csv)
    assert r.added == 1 and [i.code for i in store.individuals()] == ["Baleine-é"]
    assert r.errors and "missing.jpg" in r.errors[0][0]
    assert any("Windows-1252" in n for n in r.notes)


@pytest.mark.parametrize(
    "text, message",
    [
        ("Image,Name\nimages/c0.jpg,A\n", "missing column"),
        ("Image,Id\nimages/c0.jpg,A\nimages/c0.jpg,B\n", "listed as A and as B"),
        ("Image,Id\n,A\n", "empty Image"),
        ("", "empty"),
    ],
)
def test_catalog_csv_problems_write_nothing(store, tmp_path, text, message):
    csv = _catalog(tmp_path, text)
    with pytest.raises(BadInputError, match=message) as err:
        importers.import_catalog(store, csv)
    assert str(csv) in str(err.value)
    assert store.count_photos() == 0 and store.individuals() == []


def test_boxes_csv(store, photos_dir, tmp_path):
    store.import_folder(photos_dir)
    csv = tmp_path / "bounding_boxes.csv"
    csv.write_text("Image,x0,y0,x1,y1\nimg_00.jpg,1,2,30,20\nimg_01.jpg,0,0,60,40\nother.jpg,1,1,5,5\n"
                   "img_00.jpg,1,2,30,20\n")
    r = importers.import_boxes(store, csv, images_dir=photos_dir)
    assert r.boxes_added == 2
    p0 = store.photo_by_path(photos_dir / "img_00.jpg")
    assert store.box(p0.id).box == BoundingBox(1, 2, 30, 20) and store.box(p0.id).source == "imported"
    p1 = store.photo_by_path(photos_dir / "img_01.jpg")
    assert store.box(p1.id).box == BoundingBox(0, 0, 48, 32)  # clipped to the photo
    assert any("not in this project" in n for n in r.notes)
    store.set_box(p0.id, BoundingBox(3, 3, 9, 9))  # a person's box is kept
    r2 = importers.import_boxes(store, csv, images_dir=photos_dir)
    assert r2.boxes_added == 0 and store.box(p0.id).source == "manual"


def test_boxes_csv_bad_rows_write_nothing(store, photos_dir, tmp_path):
    store.import_folder(photos_dir)
    csv = tmp_path / "b.csv"
    csv.write_text("Image,x0,y0,x1,y1\nimg_00.jpg,1,2,30,20\nimg_01.jpg,a,0,5,5\nimg_02.jpg,9,0,5,5\n")
    with pytest.raises(BadInputError, match="2 problem") as err:
        importers.import_boxes(store, csv, images_dir=photos_dir)
    assert "row 3" in str(err.value) and "row 4" in str(err.value)
    assert store.photos(status="needs_decision") == []


def test_coco(store, photos_dir, tmp_path):
    store.import_folder(photos_dir)
    coco = {
        "images": [{"id": 7, "file_name": "img_00.jpg", "width": 48, "height": 32},
                   {"id": 8, "file_name": "img_01.jpg", "width": 48, "height": 32}],
        "annotations": [{"id": 1, "image_id": 7, "bbox": [1, 2, 10, 10], "category_id": 1},
                        {"id": 2, "image_id": 7, "bbox": [2, 2, 20, 20], "category_id": 1},
                        {"id": 3, "image_id": 8, "bbox": [0, 0, 5, 5], "category_id": 1}],
        "categories": [{"id": 1, "name": "fluke"}],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(coco))
    r = importers.import_coco(store, path, images_dir=photos_dir)
    assert r.boxes_added == 2
    assert store.box(store.photo_by_path(photos_dir / "img_00.jpg").id).box == BoundingBox(2, 2, 22, 22)
    coco["images"][1]["width"] = 999
    path.write_text(json.dumps(coco))
    with pytest.raises(BadInputError, match="999x32"):
        importers.import_coco(store, path, images_dir=photos_dir)
    path.write_text("{not json")
    with pytest.raises(BadInputError, match="JSON"):
        importers.import_coco(store, path)


def test_sightings_csv(filled, photos_dir, tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("Image,date,place,lat,lon,survey,observer\n"
                   "img_00.jpg,2021-05-06,Harbour,-33.5,151.25,S1,Kim\n"
                   "img_03.jpg,2021-05-07,Harbour,,,S1,Kim\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="not identified yet"):
        importers.import_sightings(filled, csv, images_dir=photos_dir)
    csv.write_text("Image,Id,date,place,lat,lon,survey,observer\n"
                   "img_00.jpg,,2021-05-06,Harbour,-33.5,151.25,S1,Kim\n"
                   "img_03.jpg,HW-002,2021-05-07T08:00:00,Harbour,,,S1,Kim\n")
    r = importers.import_sightings(filled, csv, images_dir=photos_dir)
    assert r.sightings_added == 1
    s0 = filled.sightings(photo_id=filled.photo_by_path(photos_dir / "img_00.jpg").id)[0]
    assert (s0.date, s0.place, s0.lat, s0.observer) == ("2021-05-06", "Harbour", -33.5, "Kim")
    assert filled.individual_by_code("HW-002").last_seen == "2021-05-07T08:00:00"
    again = importers.import_sightings(filled, csv, images_dir=photos_dir)
    assert again.sightings_added == 0


@pytest.mark.parametrize(
    "row, message",
    [
        ("img_00.jpg,HW-404,2021-01-01", "unknown individual"),
        ("nothere.jpg,HW-001,2021-01-01", "not a photo of this project"),
        ("img_00.jpg,HW-001,03/05/2021", "not ISO 8601"),
    ],
)
def test_sightings_csv_problems_write_nothing(filled, photos_dir, tmp_path, row, message):
    csv = tmp_path / "s.csv"
    csv.write_text(f"Image,Id,date\nimg_01.jpg,HW-001,2022-02-02\n{row}\n")
    before = filled.sightings()
    with pytest.raises(BadInputError, match=message):
        importers.import_sightings(filled, csv, images_dir=photos_dir)
    assert filled.sightings() == before
