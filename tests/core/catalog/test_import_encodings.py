"""Catalog imports take what spreadsheets write (UTF-16, semicolons), or say what they found."""

from __future__ import annotations

import pytest
from catalog_helpers import make_image

from whaleid_gui.core.catalog import importers
from whaleid_gui.core.errors import BadInputError


def _photos(folder):
    for i in range(3):
        make_image(folder / "images" / f"c{i}.jpg", seed=200 + i)


def test_utf16_semicolon_catalog_and_sightings_import(store, tmp_path):
    _photos(tmp_path / "cat")
    csv = tmp_path / "cat" / "train.csv"
    csv.write_bytes("Image;Id\r\nimages/c0.jpg;HW-Ä\r\nimages/c1.jpg;HW-Ä\r\nimages/c2.jpg;HW-B\r\n".encode("utf-16"))
    r = importers.import_catalog(store, csv)
    assert (r.added, r.individuals_added, r.sightings_added) == (3, 2, 3)
    assert any("UTF-16, semicolon-separated" in n for n in r.notes)
    sightings = tmp_path / "cat" / "sightings.csv"
    sightings.write_bytes(b"\xef\xbb\xbf" + "Image;date;lat;lon\nimages/c2.jpg;2020-05-01;-20,5;57,25\n".encode())
    importers.import_sightings(store, sightings)
    s = store.sightings(individual_id=store.individual_by_code("HW-B").id)[0]
    assert (s.date, s.lat, s.lon) == ("2020-05-01", -20.5, 57.25)


def test_the_old_utf16_error_now_names_encoding_and_separator(store, tmp_path):
    _photos(tmp_path / "cat")
    csv = tmp_path / "cat" / "train.csv"
    csv.write_bytes("Bild;Wal\nimages/c0.jpg;A\n".encode("utf-16"))
    with pytest.raises(BadInputError, match=r"missing column\(s\) Image, Id; found Bild, Wal "
                                            r"\(read as UTF-16, semicolon-separated\)"):
        importers.import_catalog(store, csv)
    assert store.count_photos() == 0
