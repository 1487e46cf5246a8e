"""Every ranking mode runs end to end on REAL photos: tiny dorsal-fin photos of bottlenose dolphins
(Apache-2.0, tests/data/fins/NOTICE). Accuracy is measured in benchmarks/eval_real.py, not here;
this checks that each mode reads real photos, ranks the catalog's individuals and places
new_whale by the impostor rule on a catalog of mostly singletons."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from whaleid_gui.application.match_csv import match_csv
from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.core.csv_io import read_labels
from whaleid_gui.core.labels import NEW_WHALE

FINS = Path(__file__).resolve().parents[1] / "data" / "fins"


@pytest.fixture(scope="module")
def fin_csvs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fins")
    with open(FINS / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for role in ("reference", "query"):
        with open(folder / f"{role}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Image", "Id"])
            writer.writerows([str(FINS / r["Image"]), r["Id"]] for r in rows if r["role"] == role)
    return folder / "reference.csv", folder / "query.csv"


@pytest.mark.parametrize("weights,rerank", [("imagenet", "none"), ("imagenet", "keypoints"),
                                            ("imagenet", "fin-edges"), ("flukes", "none"), ("untrained", "none")])
def test_each_mode_ranks_real_fin_photos(fin_csvs, tmp_path, weights, rerank):
    references, queries_csv = fin_csvs
    queries = read_labels(queries_csv)
    known = {r.id for r in read_labels(references)}
    engine = EngineConfig(weights=weights, rerank=rerank, device="cpu", image_size=64)
    result = match_csv(references, queries, engine, cache_dir=tmp_path / "cache")
    assert len(result.predictions) == len(queries) == 3
    assert not result.skipped_references and not result.skipped_queries
    assert result.threshold is not None  # the impostor rule needs no repeat photos
    for ids in result.predictions:
        assert len(ids) == 5 and len(set(ids)) == 5
        assert set(ids) <= known | {NEW_WHALE} and NEW_WHALE in ids
    assert result.reranked == (rerank != "none")  # 8 individuals: impostors to calibrate on
    assert result.edges == (rerank == "fin-edges")  # the trailing edge took part only when asked
