"""A catalog the embedding index serves keeps its reference features on disk (issue 13 point 5):
the prepared matcher's feature matrix is a view of the index's float16 memory-mapped file, it
holds no in-memory copy of every feature, and it ranks real photos as the in-memory matcher does.
Peak memory at 100k photos is measured in benchmarks/bench_search.py --memory, not here."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from whaleid_gui.core import embedding_index, reference_rows
from whaleid_gui.core.matching import centre_features
from whaleid_gui.core.reference_rows import ReferenceRows, score_against

FINS = Path(__file__).resolve().parents[1] / "data" / "fins"


def test_rows_are_read_from_the_file_and_the_small_block(tmp_path):
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(50, 16)).astype(np.float32) + 1
    path = tmp_path / "vectors.f16"
    path.write_bytes(raw.astype(np.float16).tobytes())
    vectors = np.memmap(path, np.float16, "r", shape=raw.shape)
    centre = raw.mean(axis=0)
    extra = rng.normal(size=(2, 16)).astype(np.float32)
    rows = ReferenceRows(vectors, np.array([7, 3, -1, 40, -2]), lambda x: centre_features(x, centre), extra)
    expected = np.vstack([centre_features(raw[[7, 3]].astype(np.float16), centre), extra[:1],
                          centre_features(raw[[40]].astype(np.float16), centre), extra[1:]])
    assert rows.shape == (5, 16) and np.allclose(rows[np.arange(5)], expected, atol=1e-6)
    assert np.allclose(rows[3], expected[3], atol=1e-6) and np.allclose(rows[1:3], expected[1:3], atol=1e-6)
    assert np.allclose(rows.deleted(1)[:], np.delete(expected, 1, axis=0), atol=1e-6)
    grown = rows.appended(np.ones((1, 16)))
    assert np.allclose(grown[:], np.vstack([expected, np.ones((1, 16))]), atol=1e-6) and len(rows) == 5


def test_scores_against_every_row_are_computed_a_chunk_at_a_time(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(23, 8)).astype(np.float32)
    path = tmp_path / "vectors.f16"
    path.write_bytes(raw.astype(np.float16).tobytes())
    rows = ReferenceRows(np.memmap(path, np.float16, "r", shape=raw.shape), np.arange(23), lambda x: x)
    monkeypatch.setattr(reference_rows, "CHUNK_ROWS", 5)
    seen = []

    def score_matrix(a, b):
        seen.append(len(b))
        return a @ b.T

    queries = raw[:3]
    assert np.allclose(score_against(score_matrix, queries, rows), queries @ raw.astype(np.float16).astype(np.float32).T,
                       atol=1e-5)
    assert max(seen) == 5  # never every row at once


def test_an_indexed_matcher_reads_its_features_from_disk_and_ranks_the_same(tmp_path, monkeypatch):
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matcher_growth import grown
    from whaleid_gui.core.matching import Matcher
    from whaleid_gui.core.model import ZERO_SHOT, load_model
    from whaleid_gui.core.progress import drive

    with open(FINS / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    refs = [r for r in rows if r["role"] == "reference"]
    queries = [ImageItem(FINS / r["Image"]) for r in rows if r["role"] == "query"]
    model = load_model(ZERO_SHOT, device="cpu", image_size=64)  # a model that centres on the catalog
    cache = FeatureCache(tmp_path / "features")

    def prepared(index_dir):
        return Matcher(model, [ImageItem(FINS / r["Image"]) for r in refs], [r["Id"] for r in refs],
                       cache=cache, index_dir=index_dir).prepare()

    monkeypatch.setenv("WHALEID_PREFILTER_MIN", "0")
    monkeypatch.setenv("WHALEID_PREFILTER_CANDIDATES", str(len(refs)))  # every photo a candidate
    on_disk = prepared(tmp_path / "index")
    in_memory = prepared(None)
    assert on_disk.prefilter is not None and on_disk.centre is not None
    assert isinstance(on_disk.features, ReferenceRows) and isinstance(on_disk.features.vectors, np.memmap)
    assert isinstance(on_disk.all_features, ReferenceRows)
    assert isinstance(in_memory.features, np.ndarray)
    width = in_memory.features.shape[1]
    held = [k for k, v in vars(on_disk).items() if isinstance(v, np.ndarray) and not isinstance(v, np.memmap)
            and v.ndim == 2 and v.shape[0] >= len(on_disk.items) and v.shape[1] == width]
    assert held == []  # no in-memory matrix of every reference feature
    assert np.allclose(on_disk.features[:], in_memory.features, atol=2e-2)  # float16 on disk
    assert abs(on_disk.threshold - in_memory.threshold) < 1e-3  # calibrated on rows read from disk
    for q in queries:
        a, b = on_disk.rank(q), in_memory.rank(q)
        assert [c.individual for c in a] == [c.individual for c in b]
        assert np.allclose([c.score for c in a], [c.score for c in b], atol=1e-3)

    # a confirm followed without a new preparation keeps the view (the new photo in memory)
    followed = drive(grown(on_disk, [(queries[0], rows[[r["role"] for r in rows].index("query")]["Id"])]))
    assert isinstance(followed.features, ReferenceRows) and len(followed.features) == len(refs) + 1
    assert followed.prefilter is not None and followed.prefilter.features is followed.features
    assert followed.rank(queries[0])[0].individual == rows[[r["role"] for r in rows].index("query")]["Id"]
    assert embedding_index.exact_below() == 0


def test_cached_features_are_read_a_chunk_at_a_time(tmp_path, monkeypatch):
    from whaleid_gui.core import features
    from whaleid_gui.core.features import FeatureCache, ImageItem, iter_features
    from whaleid_gui.core.photo_files import file_sha1
    from whaleid_gui.core.progress import drive

    class CachedOnly:  # every readable photo's feature is cached: the network is never run
        feature_size, image_size, weights_id = 4, 32, "cached-only"

    items = []
    for i in range(5):
        (tmp_path / f"p{i}.jpg").write_bytes(f"not an image {i}".encode())
        items.append(ImageItem(tmp_path / f"p{i}.jpg"))
    cache = FeatureCache(tmp_path / "cache")
    vectors = np.arange(20, dtype=np.float32).reshape(5, 4)
    cache.put_many({FeatureCache.key(file_sha1(it.path), it, "cached-only", 32): v
                    for n, (it, v) in enumerate(zip(items, vectors)) if n != 3})
    monkeypatch.setattr(features, "CACHE_READ_ROWS", 2)
    result = drive(iter_features(CachedOnly(), items, cache))
    assert np.array_equal(result.features[[0, 1, 2, 4]], vectors[[0, 1, 2, 4]])
    assert list(result.errors) == [3] and "p3.jpg" in str(result.errors[3])  # not cached, not an image
