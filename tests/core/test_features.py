"""Feature extraction and the on-disk cache: hits, stale entries never used, bad images skipped."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import ImageError
from whaleid_gui.core.features import FeatureCache, ImageItem, default_cache_dir, iter_features
from whaleid_gui.core.photo_files import file_sha1
from whaleid_gui.core.model import build_model
from whaleid_gui.core.progress import Finished, Progress


def _photo(path, seed: int, size=(48, 32)):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[1] // 4, size[0] // 4), dtype=np.uint8)
    Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).convert("RGB").save(path)
    return path


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    return [_photo(folder / f"p{i}.png", i) for i in range(5)]


class CountingModel:
    """Wraps a SiameseModel and counts the images passed to features()."""

    def __init__(self, model):
        self.model = model
        self.images = 0
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def features(self, batch):
        self.calls += 1
        self.images += len(batch)
        return self.model.features(batch)


@pytest.fixture(scope="module")
def base_model():
    return build_model("reference", image_size=64, imagenet=False, distance_head=True).eval()


def _run(model, items, cache=None, batch_size=16):
    events = list(iter_features(model, items, cache, batch_size=batch_size))
    assert isinstance(events[-1], Finished)
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert progress[-1].done == progress[-1].total == len(items)
    return events[-1].value


def test_second_run_hits_the_cache(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    model = CountingModel(base_model)
    items = [ImageItem(p) for p in photos]
    first = _run(model, items, cache)
    assert model.images == 5 and not first.errors
    assert np.isfinite(first.features).all() and first.features.shape == (5, 512)
    second = _run(model, items, cache)
    assert model.images == 5  # no new model call
    np.testing.assert_array_equal(first.features, second.features)
    # another FeatureCache on the same folder (another process) sees the entries
    third = _run(model, items, FeatureCache(tmp_path / "cache"))
    assert model.images == 5
    np.testing.assert_array_equal(first.features, third.features)


def test_no_cache_always_computes(photos, base_model):
    model = CountingModel(base_model)
    items = [ImageItem(p) for p in photos[:2]]
    _run(model, items)
    _run(model, items)
    assert model.images == 4


def test_changed_file_bytes_are_recomputed(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    model = CountingModel(base_model)
    items = [ImageItem(p) for p in photos]
    old = _run(model, items, cache).features
    _photo(photos[2], seed=99)  # same path, new content
    new = _run(model, items, cache).features
    assert model.images == 6  # just the changed photo
    fresh = _run(base_model, [items[2]]).features[0]
    np.testing.assert_allclose(new[2], fresh, atol=1e-6)
    assert not np.allclose(new[2], old[2])
    np.testing.assert_array_equal(np.delete(new, 2, 0), np.delete(old, 2, 0))


def test_renamed_file_with_same_content_hits(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    model = CountingModel(base_model)
    first = _run(model, [ImageItem(photos[0])], cache).features
    moved = photos[0].with_name("moved.png")
    photos[0].rename(moved)
    again = _run(model, [ImageItem(moved)], cache).features
    assert model.images == 1
    np.testing.assert_array_equal(first, again)


def test_changed_box_is_recomputed(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    model = CountingModel(base_model)
    whole = _run(model, [ImageItem(photos[0])], cache).features
    boxed = _run(model, [ImageItem(photos[0], BoundingBox(2, 2, 30, 20))], cache).features
    other_box = _run(model, [ImageItem(photos[0], BoundingBox(10, 5, 40, 25))], cache).features
    assert model.images == 3
    assert not np.allclose(whole, boxed) and not np.allclose(boxed, other_box)
    _run(model, [ImageItem(photos[0], BoundingBox(2, 2, 30, 20))], cache)
    assert model.images == 3


def test_other_weights_or_size_are_recomputed(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    items = [ImageItem(p) for p in photos[:3]]
    model = CountingModel(base_model)
    _run(model, items, cache)
    other_weights = build_model("reference", image_size=64, imagenet=False, distance_head=True).eval()
    other_weights.weights_id = "another-weights"
    counting_other = CountingModel(other_weights)
    different = _run(counting_other, items, cache).features
    assert counting_other.images == 3
    np.testing.assert_allclose(different, _run(other_weights, items).features, atol=1e-6)
    bigger = build_model("reference", image_size=64, imagenet=False, distance_head=True).eval()
    bigger.load_state_dict(base_model.state_dict())
    bigger.card.image_size = 96  # same weights id, another input size
    counting_bigger = CountingModel(bigger)
    _run(counting_bigger, items, cache)
    assert counting_bigger.images == 3
    _run(model, items, cache)  # the original entries are still there
    assert model.images == 3


def test_cache_entry_of_wrong_length_is_ignored(tmp_path, photos, base_model):
    cache = FeatureCache(tmp_path / "cache")
    items = [ImageItem(photos[0])]
    model = CountingModel(base_model)
    _run(model, items, cache)
    key = FeatureCache.key(file_sha1(photos[0]), None, base_model.weights_id, base_model.image_size)
    assert key in cache.get_many([key])
    cache.put_many({key: np.zeros(7, dtype=np.float32)})
    out = _run(model, items, cache).features
    assert model.images == 2 and np.isfinite(out).all()


def test_bad_images_are_listed_and_the_rest_computed(tmp_path, photos, base_model):
    zero = tmp_path / "zero.jpg"
    zero.touch()
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(photos[1].read_bytes()[:200])
    missing = tmp_path / "absent.jpg"
    items = [ImageItem(photos[0]), ImageItem(zero), ImageItem(photos[1]), ImageItem(text),
             ImageItem(missing), ImageItem(truncated), ImageItem(photos[2])]
    cache = FeatureCache(tmp_path / "cache")
    model = CountingModel(base_model)
    result = _run(model, items, cache, batch_size=2)  # bad ones spread over batches
    assert sorted(result.errors) == [1, 3, 4, 5]
    for i, err in result.errors.items():
        assert isinstance(err, ImageError)
        assert str(items[i].path) in str(err)
    assert np.isnan(result.features[[1, 3, 4, 5]]).all()
    assert np.isfinite(result.features[[0, 2, 6]]).all()
    assert result.valid.tolist() == [True, False, True, False, False, False, True]
    good = _run(base_model, [items[0], items[2], items[6]]).features
    np.testing.assert_allclose(result.features[[0, 2, 6]], good, atol=1e-6)
    # bad images are not cached as anything: a second run reports them again
    again = _run(model, items, cache, batch_size=2)
    assert sorted(again.errors) == [1, 3, 4, 5]


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WHALEID_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert FeatureCache().folder == tmp_path / "c"
    monkeypatch.delenv("WHALEID_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "whaleid"


def test_cache_key_names_every_input():
    box = BoundingBox(1, 2, 3, 4)
    keys = {FeatureCache.key("abc", None, "w", 64), FeatureCache.key("abd", None, "w", 64),
            FeatureCache.key("abc", box, "w", 64), FeatureCache.key("abc", None, "v", 64),
            FeatureCache.key("abc", None, "w", 96)}
    assert len(keys) == 5



def test_the_feature_cache_closes_every_connection_it_opens(tmp_path):
    """A connection left to go out of scope is freed, and closed, by the cyclic collector (a
    connection and its statement cache form a cycle on Python 3.11); in the app that collector runs
    on the GUI thread, and closing a WAL database's last connection checkpoints it there."""
    import gc
    import os
    import sqlite3

    from whaleid_gui.core.features import FeatureCache

    def still_open_on(path) -> int:
        n = 0
        for obj in gc.get_objects():
            if type(obj) is sqlite3.Connection:  # type(), not isinstance: no lazy attribute of torch is touched
                try:
                    files = [row[2] for row in obj.execute("PRAGMA database_list")]
                except sqlite3.ProgrammingError:  # closed (or another thread's): not ours
                    continue
                n += os.path.realpath(path) in [os.path.realpath(f) for f in files]  # SQLite names it resolved
        return n

    gc.collect()
    gc.disable()  # what is left open stays findable
    try:
        cache = FeatureCache(tmp_path)
        cache.put_many({"a": np.ones(4, np.float32)})
        assert list(cache.get_many(["a", "b"])) == ["a"]
        assert still_open_on(cache.path) == 0
    finally:
        gc.enable()
