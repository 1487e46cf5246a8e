"""The catalog's keypoint vote index saved as one file beside the keypoint cache (issue 15): a
project reopened reads it instead of every photo's descriptors, votes as the index it saved, and
follows a catalog that changed (photos gone vote for no one, new ones are added) or rebuilds it."""

from __future__ import annotations

import numpy as np
import pytest

from whaleid_gui.core import local_votes, vote_index_file
from whaleid_gui.core.features import FeatureCache
from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher
from whaleid_gui.core.local_votes import LocalVoteIndex
from whaleid_gui.core.matcher_growth import grown
from whaleid_gui.core.progress import drive
from whaleid_gui.core.vote_index_file import load_vote_index, save_vote_index
from test_local_votes import BrightnessModel, catalog, unit
from test_matcher_growth import fluke_photos  # noqa: F401 - the fixture

KEYS = ["a", "b", "c", "d"]


@pytest.mark.parametrize("exact_limit", [local_votes.EXACT_LIMIT, 100])  # exact, then inverted-file index
def test_a_saved_index_votes_as_the_one_it_saved(tmp_path, monkeypatch, exact_limit):
    monkeypatch.setattr(local_votes, "EXACT_LIMIT", exact_limit)
    monkeypatch.setattr(vote_index_file, "EXACT_LIMIT", exact_limit)
    rng = np.random.default_rng(0)
    photos = [p.astype(np.float16).astype(np.float32) for p in catalog(rng)]  # as the keypoint cache keeps them
    built = LocalVoteIndex(photos, groups=[0, 1, 2, 3], n_groups=4)
    save_vote_index(tmp_path / "v.npz", built, KEYS)
    loaded, slots, file_keys = load_vote_index(tmp_path / "v.npz", KEYS, [0, 1, 2, 3], 4, local_votes.K_NEIGHBOURS)
    assert slots == [0, 1, 2, 3] and file_keys == KEYS
    for who in range(4):
        query = unit(photos[who][:60] + rng.normal(scale=0.05, size=(60, 32)))
        assert np.allclose(loaded.votes(query), built.votes(query))


def test_the_file_follows_a_changed_catalog_or_is_not_used(tmp_path):
    rng = np.random.default_rng(1)
    photos = [p.astype(np.float16).astype(np.float32) for p in catalog(rng, individuals=5)]
    file = tmp_path / "v.npz"
    save_vote_index(file, LocalVoteIndex(photos[:4], groups=[0, 1, 2, 3], n_groups=4), KEYS)
    # the catalog in another order, "b" gone (its file changed: another key), "e" new: 2 changes of 4
    # photos is more than MAX_CHANGE, so it is rebuilt
    assert load_vote_index(file, ["d", "c", "a", "e"], [0, 1, 2, 3], 4, 5) is None
    # one photo gone of four (25%): still too many
    assert load_vote_index(file, ["a", "c", "d"], [0, 1, 2], 3, 5) is None
    save_vote_index(file, LocalVoteIndex(photos, groups=[0, 1, 2, 3, 4], n_groups=5), KEYS + ["e"])
    index, slots, _ = load_vote_index(file, ["e", "d", "c", "a"], [0, 1, 2, 3], 4, 5)  # "b" gone, reordered
    assert slots == [4, 3, 2, 0]
    votes = index.votes(photos[1][:50])  # "b"'s own marks: its photo votes for no one now
    assert votes.shape == (4,) and index.photo_group[1] == -1
    assert int(np.argmax(index.votes(photos[4][:50]))) == 0  # "e" is individual 0 of this catalog
    assert load_vote_index(file, KEYS, [0, 1, 2, 3], 4, 6) is None  # another vote rule (k)


def test_a_damaged_file_is_rebuilt_not_trusted(tmp_path):
    (tmp_path / "v.npz").write_bytes(b"not a numpy file")
    assert load_vote_index(tmp_path / "v.npz", KEYS, [0, 1, 2, 3], 4, 5) is None
    assert load_vote_index(tmp_path / "missing.npz", KEYS, [0, 1, 2, 3], 4, 5) is None


def _ranking(matcher, query):
    return [(c.individual, round(c.score, 6), c.inliers) for c in matcher.rank(query)]


def test_a_reopened_matcher_reads_the_file_and_ranks_as_before(fluke_photos, tmp_path):  # noqa: F811
    items, ids, query = fluke_photos
    kwargs = dict(threshold=None, keypoint_cache_dir=tmp_path / "kp", top_n=2, cache=FeatureCache(tmp_path / "f"))
    first = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs).prepare()
    assert (tmp_path / "kp" / vote_index_file.FILE_NAME).exists()
    reopened = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs)
    reopened.preset_fit = first.fit_state()  # as a project reopened with its saved fit
    reopened.prepare()
    assert reopened.verifier.stats["computed"] == 0 and reopened.verifier.stats["disk_hits"] == 0
    assert _ranking(reopened, query) == _ranking(first, query)
    assert _ranking(reopened, query)[0][0] == "I0"  # found through the votes (the embedding ranks I0 last)
    fewer = KeypointRerankMatcher(BrightnessModel(), items[:-1], ids[:-1], **kwargs)
    fewer.preset_fit = first.fit_state()
    fewer.prepare()  # one photo of ten gone: the file is used, that photo votes for no one
    assert fewer.local_slots == list(range(9)) and fewer.local.photo_group[9] == -1
    back = drive(grown(fewer, [(items[-1], ids[-1])]))  # a confirm follows the read index too
    assert _ranking(back, query) == _ranking(first, query)


def test_a_photo_the_file_lacks_is_described_added_and_saved(fluke_photos, tmp_path):  # noqa: F811
    items, ids, query = fluke_photos
    kwargs = dict(threshold=None, keypoint_cache_dir=tmp_path / "kp", top_n=2, cache=FeatureCache(tmp_path / "f"))
    full = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs).prepare()
    KeypointRerankMatcher(BrightnessModel(), items[1:], ids[1:], **kwargs).prepare()  # the file: 9 photos
    grown_up = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs)
    grown_up.preset_fit = full.fit_state()
    grown_up.prepare()
    assert grown_up.verifier.stats["disk_hits"] + grown_up.verifier.stats["computed"] == 1  # only the new photo
    assert grown_up.local_slots == [9] + list(range(9))
    assert _ranking(grown_up, query) == _ranking(full, query)
    with np.load(tmp_path / "kp" / vote_index_file.FILE_NAME) as z:  # the file follows the catalog
        assert len(z["keys"]) == 10
