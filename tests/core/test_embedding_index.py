"""The embedding index that prefilters a large catalog (issue 13 point 5): it finds the exact
nearest photos, grows by appending (no rebuild), survives a reopen, starts anew for another
model or a moved centre, and a matcher ranking through it ranks real photos as the full scan does.
Latency and recall at 10k-1M photos are measured in benchmarks/bench_search.py, not here."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import numpy as np
import pytest

from whaleid_gui.core import embedding_index
from whaleid_gui.core.embedding_index import EmbeddingIndex, open_prefilter, unit_rows

FINS = Path(__file__).resolve().parents[1] / "data" / "fins"


def clustered(n: int, dim: int = 96, rank: int = 40, per: int = 3, seed: int = 0) -> np.ndarray:
    """Photos of individuals (n / per of them) on a rank-`rank` structure, float32."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(rank, dim))
    centres = rng.normal(size=(n // per + 1, rank)) @ basis
    photos = centres[np.arange(n) // per] + 0.4 * rng.normal(size=(n, rank)) @ basis
    return (photos + 1.0).astype(np.float32)  # off the origin, as features after a ReLU are


def keys_of(n: int, start: int = 0) -> list[str]:
    return [f"photo{i}|full|test-model|64" for i in range(start, start + n)]


@pytest.fixture
def always_indexed(monkeypatch):
    monkeypatch.setattr(embedding_index, "EXACT_BELOW", 0)


def exact_top(raw: np.ndarray, query: np.ndarray, centre, k: int) -> set[int]:
    cos = unit_rows(raw, centre) @ unit_rows(query[None], centre)[0]
    return set(np.argsort(-cos)[:k].tolist())


@pytest.mark.parametrize("centred", [False, True])
def test_prefilter_returns_the_exact_nearest_photos(tmp_path, always_indexed, monkeypatch, centred):
    monkeypatch.setattr(embedding_index, "PROJECTED_DIM", 48)  # fewer dimensions than the features
    monkeypatch.setattr(embedding_index, "CANDIDATES", 60)
    raw = clustered(1500)
    centre = raw.mean(axis=0) if centred else None
    prefilter = open_prefilter(tmp_path, "test-model", keys_of(1500), raw, centre)
    assert prefilter is not None
    queries = clustered(1500, seed=0)[::150] + np.random.default_rng(1).normal(scale=0.05, size=(10, 96)).astype(np.float32)
    for q in queries:
        rows = prefilter.rows(q)
        assert len(rows) == 60
        assert exact_top(raw, q, centre, 20) <= set(rows.tolist())


def test_no_index_below_the_size_where_the_full_scan_is_as_fast(tmp_path):
    raw = clustered(100)
    assert open_prefilter(tmp_path / "idx", "test-model", keys_of(100), raw, None) is None
    assert not (tmp_path / "idx").exists()


def test_adding_photos_appends_and_equals_a_rebuild(tmp_path, always_indexed, monkeypatch):
    monkeypatch.setattr(embedding_index, "CANDIDATES", 40)
    raw = clustered(1200)  # rank 40 < PROJECTED_DIM: the first 700 span what all 1200 span
    grown = open_prefilter(tmp_path / "grown", "test-model", keys_of(700), raw[:700], None)
    assert grown is not None
    first_rows = np.array(grown.index.vectors()[:700])
    grown = open_prefilter(tmp_path / "grown", "test-model", keys_of(1200), raw, None)
    rebuilt = open_prefilter(tmp_path / "rebuilt", "test-model", keys_of(1200), raw, None)
    assert grown is not None and rebuilt is not None
    assert grown.index.generation == 1 and grown.index.count == 1200  # appended, not rebuilt
    np.testing.assert_array_equal(grown.index.vectors()[:700], first_rows)
    for q in raw[::97] + 0.01:
        assert grown.rows(q).tolist() == rebuilt.rows(q).tolist()


def test_the_saved_index_reopens_and_starts_anew_for_another_model_or_centre(tmp_path, always_indexed):
    raw = clustered(600)
    folder = tmp_path / "idx"
    open_prefilter(folder, "model-a", keys_of(600), raw, raw.mean(axis=0))
    state = (folder / "state.json").read_text()
    reopened = EmbeddingIndex.load(folder)
    assert reopened is not None and reopened.keys == keys_of(600) and reopened.identity == "model-a"
    np.testing.assert_allclose(reopened.vectors(), raw, rtol=1e-3)  # float16 on disk
    again = open_prefilter(folder, "model-a", keys_of(600), raw, raw.mean(axis=0))
    assert again is not None and again.index.generation == 1
    assert (folder / "state.json").read_text() == state  # nothing new: nothing written

    other = open_prefilter(folder, "model-b", keys_of(600), raw * 2, raw.mean(axis=0) * 2)
    assert other is not None and other.index.generation == 2 and other.index.identity == "model-b"
    assert not list(folder.glob("*.1.*"))  # the old model's files are gone
    moved = open_prefilter(folder, "model-b", keys_of(600), raw * 2, raw.mean(axis=0) * 2 + 5.0)
    assert moved is not None and moved.index.generation == 3


def test_removed_photos_are_never_candidates(tmp_path, always_indexed, monkeypatch):
    monkeypatch.setattr(embedding_index, "CANDIDATES", 30)
    raw = clustered(900)
    open_prefilter(tmp_path, "test-model", keys_of(900), raw, None)
    kept = [k for i, k in enumerate(keys_of(900)) if i % 3]  # a third of the photos left the catalog
    prefilter = open_prefilter(tmp_path, "test-model", kept, raw[[i for i in range(900) if i % 3]], None)
    assert prefilter is not None and prefilter.index.generation == 1
    for q in raw[::90]:
        rows = prefilter.rows(q)
        assert len(rows) >= 30 and rows.max() < len(kept)


def test_a_matcher_ranks_real_photos_the_same_with_the_index(tmp_path, monkeypatch):
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matching import Matcher
    from whaleid_gui.core.model import load_model

    with open(FINS / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    refs = [r for r in rows if r["role"] == "reference"]
    queries = [ImageItem(FINS / r["Image"]) for r in rows if r["role"] == "query"]
    model = load_model("imagenet", device="cpu", image_size=64)
    cache = FeatureCache(tmp_path / "features")

    def rankings(index_dir):
        matcher = Matcher(model, [ImageItem(FINS / r["Image"]) for r in refs], [r["Id"] for r in refs],
                          cache=cache, index_dir=index_dir)
        return matcher, [[(c.individual, round(c.score, 5)) for c in ranking] for ranking in matcher.rank_many(queries)]

    monkeypatch.setattr(embedding_index, "EXACT_BELOW", 0)
    monkeypatch.setattr(embedding_index, "CANDIDATES", 8)  # 8 of the 13 catalog photos
    indexed, with_index = rankings(tmp_path / "index")
    assert indexed.prefilter is not None and (tmp_path / "index" / "state.json").exists()
    assert np.isinf(indexed.score_rows(indexed.features[:1])).sum() == len(refs) - 8  # only 8 scored
    _plain, without = rankings(None)
    # The index keeps the raw features in float16 (memory-mapped): lossless for bf16 features,
    # about 1e-4 off a float32 feature's score, so the same order and scores to 3 decimals.
    assert [[c for c, _ in r] for r in with_index] == [[c for c, _ in r] for r in without]
    assert np.allclose([[s for _, s in r] for r in with_index], [[s for _, s in r] for r in without], atol=1e-3)

    # A confirm and an undo followed without a new preparation (core/matcher_growth.py): the index
    # follows, and the grown matcher ranks as it does scoring every photo.
    from whaleid_gui.core.matcher_growth import grown, reference_key
    from whaleid_gui.core.progress import drive

    query_row = next(r for r in rows if r["role"] == "query")
    confirmed = ImageItem(FINS / query_row["Image"])
    followed = drive(grown(indexed, [(confirmed, query_row["Id"])], [reference_key(indexed.items[2], indexed.ids[2])]))
    assert followed.prefilter is not None and followed.prefilter.features is followed.features
    assert followed.prefilter.index.count == len(refs) + 1  # the confirmed photo appended
    assert np.isinf(followed.score_rows(followed.features[:1])).sum() == len(followed.features) - 8
    every_row = copy.copy(followed)
    every_row.prefilter = None
    for q in queries[1:]:
        assert [(c.individual, c.score) for c in followed.rank(q)] == [(c.individual, c.score) for c in every_row.rank(q)]

    indexed.features = np.array(indexed.features)  # rows changed without the index following
    assert np.isfinite(indexed.score_rows(indexed.features[:1])).all()  # every row scored


def test_a_catalog_followed_without_preparation_keeps_its_prefilter(tmp_path, always_indexed, monkeypatch):
    """What core/matcher_growth.py needs after a confirm or an undo: rows removed and appended."""
    monkeypatch.setattr(embedding_index, "CANDIDATES", 25)
    raw = clustered(700)
    before = open_prefilter(tmp_path / "a", "test-model", keys_of(600), raw[:600], None)
    assert before is not None
    removed = [5, 5, 300]  # rows 5, 6 and (then) 302 of the original catalog
    followed = before.followed(removed, keys_of(100, start=600), raw[600:], features="new array")
    assert followed is not None and followed.features == "new array"
    assert followed.index.generation == 1 and followed.index.count == 700  # appended
    kept = [i for i in range(700) if i not in (5, 6, 302)]
    fresh = open_prefilter(tmp_path / "b", "test-model", [keys_of(700)[i] for i in kept], raw[kept], None)
    assert fresh is not None
    for q in raw[::70] + 0.01:
        assert followed.rows(q).tolist() == fresh.rows(q).tolist()
    assert len(before.rows(raw[650])) == 25  # the old catalog's prefilter still serves its rows
    assert before.rows(raw[650]).max() < 600


def test_an_index_searched_while_it_grows_keeps_its_answers(tmp_path, always_indexed, monkeypatch):
    """Photos added after the first search go to parts of their own (a search on another thread
    never sees a faiss index change under it); many parts are merged; answers stay the same."""
    monkeypatch.setattr(embedding_index, "MAX_PARTS", 3)
    raw = clustered(800)
    prefilter = open_prefilter(tmp_path / "a", "test-model", keys_of(400), raw[:400], None)
    assert prefilter is not None
    prefilter.rows(raw[0])  # the faiss index is made here
    first = prefilter.index._parts[0][1]
    parts, kept_first = [], []
    for start in range(400, 800, 100):
        prefilter = prefilter.followed([], keys_of(100, start), raw[start:start + 100], None)
        assert prefilter is not None
        parts.append(len(prefilter.index._parts))
        kept_first.append(prefilter.index._parts[0][1] is first)
    assert parts == [2, 3, 1, 2] and kept_first == [True, True, False, False]  # merged at the 4th part
    reopened = open_prefilter(tmp_path / "a", "test-model", keys_of(800), raw, None)
    assert reopened is not None
    for q in raw[::80] + 0.01:
        assert prefilter.rows(q).tolist() == reopened.rows(q).tolist()
