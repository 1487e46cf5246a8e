"""A prepared matcher follows its catalog (issue 15): a confirmed photo joins it and an undone one
leaves it without a new preparation, and it ranks as a matcher prepared on that catalog would."""

from __future__ import annotations

import numpy as np
import pytest

from whaleid_gui.core.features import FeatureCache, ImageItem
from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher
from whaleid_gui.core.local_votes import LocalVoteIndex
from whaleid_gui.core.matcher_growth import grown, reference_key
from whaleid_gui.core.matching import Matcher
from whaleid_gui.core.progress import drive
from test_local_votes import BrightnessModel, catalog, textured, unit


def test_votes_follow_added_removed_and_regrouped_photos():
    rng = np.random.default_rng(1)
    photos = catalog(rng, individuals=5)
    full = LocalVoteIndex(photos, groups=[0, 1, 2, 3, 4], n_groups=5)
    part = LocalVoteIndex(photos[:4], groups=[0, 1, 2, 3], n_groups=4)
    before = part.votes(photos[1][:50])
    slot = part.add_photo(photos[4], 4)
    part.set_groups([0, 1, 2, 3, 4], 5)
    query = unit(photos[4][:60] + rng.normal(scale=0.05, size=(60, 32)))
    assert np.allclose(part.votes(query), full.votes(query))
    part.remove_photo(slot)
    assert part.votes(query)[4] == 0.0
    # the removed photo's rows stay in the index (neighbours only): the others still vote as before
    after = part.votes(photos[1][:50])
    assert int(np.argmax(after)) == int(np.argmax(before)) == 1 and after[4] == 0.0


def test_an_older_copy_ignores_what_a_newer_copy_added():
    import copy

    rng = np.random.default_rng(2)
    photos = catalog(rng, individuals=3)
    old = LocalVoteIndex(photos[:2], groups=[0, 1], n_groups=2)
    before = old.votes(photos[0][:40])
    new = copy.copy(old)
    new.add_photo(photos[0][:40], 1)  # a copy of individual 0's marks under individual 1, in the new copy only
    # the new rows are the query's nearest neighbours: they vote in the new copy only (in the old
    # one they are skipped, a few neighbours fewer)
    assert old.votes(photos[0][:40])[1] <= before[1] + 1e-9
    assert new.votes(photos[0][:40])[1] > 5 * before[1]


@pytest.fixture
def fluke_photos(tmp_path):
    items, ids = [], []
    for ind in range(5):
        for k in range(2):
            path = tmp_path / f"ind{ind}_{k}.png"
            textured(path, seed=ind, level=4 * ind + k, shift=(k * 3, k * 5))
            items.append(ImageItem(path))
            ids.append(f"I{ind}")
    query = tmp_path / "query.png"
    textured(query, seed=0, level=26, shift=(2, -4))  # individual I0's marks, brighter than all
    return items, ids, ImageItem(query)


def test_a_plain_matcher_grown_by_one_photo_ranks_as_one_prepared_with_it(fluke_photos, tmp_path):
    items, ids, query = fluke_photos
    cache = FeatureCache(tmp_path / "features")
    full = Matcher(BrightnessModel(), items, ids, threshold=0.5, cache=cache).prepare()
    part = Matcher(BrightnessModel(), items[:-1], ids[:-1], threshold=0.5, cache=cache).prepare()
    followed = drive(grown(part, [(items[-1], ids[-1])]))
    assert followed is not part and len(part.items) == len(items) - 1  # copy on write
    for q in [query] + items[:3]:
        assert [(c.individual, round(c.score, 5)) for c in followed.rank(q)] == \
               [(c.individual, round(c.score, 5)) for c in full.rank(q)]
    back = drive(grown(followed, [], [reference_key(items[-1], ids[-1])]))
    assert [c.individual for c in back.rank(query)] == [c.individual for c in part.rank(query)]
    assert followed.followed_changes == 1 and back.followed_changes == 2


def test_a_keypoint_matcher_finds_a_confirmed_individual_through_its_new_photos(fluke_photos, tmp_path):
    items, ids, query = fluke_photos
    kwargs = dict(threshold=None, keypoint_cache_dir=tmp_path / "kp", top_n=2, cache=FeatureCache(tmp_path / "f"))
    full = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs).prepare()
    assert full.rank(query)[0].individual == "I0"
    without_i0 = KeypointRerankMatcher(BrightnessModel(), items[2:], ids[2:], **kwargs)
    without_i0.preset_fit = full.fit_state()  # the saved fit: no fit on this catalog
    without_i0.prepare()
    assert "I0" not in [c.individual for c in without_i0.rank(query)]
    followed = drive(grown(without_i0, list(zip(items[:2], ids[:2]))))
    assert followed.local.index is without_i0.local.index  # the vote index grew, it was not rebuilt
    assert followed.rank(query)[0].individual == "I0"  # found through the votes, verified by keypoints
    assert "I0" not in [c.individual for c in without_i0.rank(query)]  # the older copy is unchanged
    undone = drive(grown(followed, [], [reference_key(items[0], "I0"), reference_key(items[1], "I0")]))
    assert "I0" not in [c.individual for c in undone.rank(query)]
