"""Exports: columns, order, UTF-8, ISO dates, never overwrite unless asked."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from whaleid_gui.core.catalog import DecisionConflictError, ExportExistsError
from whaleid_gui.core.catalog.exporters import (
    CATALOG_COLUMNS,
    DECISION_COLUMNS,
    SIGHTING_COLUMNS,
    export_catalog,
    export_coco,
    export_decisions,
    export_sightings,
    export_submission,
)


def test_catalog_and_sightings(filled, tmp_path):
    filled.rename_individual(filled.individual_by_code("HW-002").id, name="Bérénice")
    out = export_catalog(filled, tmp_path / "catalog.csv")
    df = pd.read_csv(out, encoding="utf-8", keep_default_na=False)
    assert list(df.columns) == CATALOG_COLUMNS
    assert list(df["individual"]) == ["HW-001", "HW-002"]
    assert df.loc[1, "name"] == "Bérénice"
    assert df.loc[0, "first_seen"] == "2019-07-01" and df.loc[0, "n_photos"] == 2
    assert df.loc[0, "photos"].count(";") == 1
    s = pd.read_csv(export_sightings(filled, tmp_path / "s.csv"), keep_default_na=False)
    assert list(s.columns) == SIGHTING_COLUMNS
    assert list(s["date"]) == ["2018-01-05", "2019-07-01", "2020-08-02"]


def test_decisions_submission_coco(filled, tmp_path):
    q1, q2 = filled.queue()
    filled.record_candidates(q1.id, [("HW-002", 0.8, 1), ("new_whale", 0.5, 2), ("HW-001", 0.1, 3)], "w")
    filled.record_candidates(q2.id, [("new_whale", 0.9, 1)], "w")
    filled.decide(q1.id, "confirmed", individual_id=filled.individual_by_code("HW-002").id)
    filled.decide(q2.id, "skipped")
    filled.undo_last()
    with pytest.raises(DecisionConflictError):  # made on q1 as it was before the confirm
        filled.decide(q1.id, "rejected", individual_id=filled.individual_by_code("HW-002").id, expected_version=0)
    d = pd.read_csv(export_decisions(filled, tmp_path / "d.csv"), keep_default_na=False)
    assert list(d.columns) == DECISION_COLUMNS
    assert list(d["decision"]) == ["confirmed", "skipped", "rejected"] and list(d["undone"]) == [False, True, True]
    assert list(d["refused_for"]) == ["", "", str(d.loc[0, "decision_id"])]  # the refused one names the first
    assert d.loc[0, "at"].startswith("20") and "T" in d.loc[0, "at"]
    sub = pd.read_csv(export_submission(filled, tmp_path / "sub.csv"), keep_default_na=False)
    assert list(sub.columns) == ["Image", "Id"]
    assert list(sub["Id"]) == ["HW-002 new_whale HW-001", "new_whale"]
    coco = json.loads((export_coco(filled, tmp_path / "boxes.json")).read_text(encoding="utf-8"))
    assert len(coco["images"]) == 5 and coco["annotations"][0]["bbox"] == [2.0, 2.0, 38.0, 28.0]
    assert coco["annotations"][0]["attributes"]["source"] == "manual"


def test_never_overwrite_unless_asked(filled, tmp_path):
    out = tmp_path / "catalog.csv"
    out.write_text("precious")
    with pytest.raises(ExportExistsError, match="overwrite"):
        export_catalog(filled, out)
    assert out.read_text() == "precious"
    export_catalog(filled, out, overwrite=True)
    assert out.read_text().startswith("individual,")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_export_round_trip_through_import(filled, tmp_path):
    """COCO written by export comes back in through import (same boxes)."""
    from whaleid_gui.core.catalog import ProjectStore, importers

    out = export_coco(filled, tmp_path / "b.json")
    with ProjectStore.create(tmp_path / "p2") as other:
        for p in filled.photos():
            other.add_photo(p.path)
        r = importers.import_coco(other, out)
        assert r.boxes_added == 5
        assert {b.box for b in other.current_boxes().values()} == {b.box for b in filled.current_boxes().values()}
