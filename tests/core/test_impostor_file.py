"""The catalog's impostor scores saved beside the feature cache (issue 15): a reopened, unchanged
catalog reads them instead of scoring every photo against every other; any change of the catalog
scores them again."""

from __future__ import annotations

import numpy as np

from whaleid_gui.core.features import FeatureCache
from whaleid_gui.core.matching import Matcher
from test_local_votes import BrightnessModel
from test_matcher_growth import fluke_photos  # noqa: F401 - the fixture


class CountingModel(BrightnessModel):
    """The brightness embedding, counting the score matrices it is asked for."""

    def __init__(self) -> None:
        self.scored = 0

    def score_matrix(self, a, b, progress=None):
        self.scored += 1
        return super().score_matrix(a, b, progress)


def test_a_reopened_catalog_reads_its_impostor_scores_and_a_changed_one_scores_them(fluke_photos, tmp_path):  # noqa: F811
    items, ids, query = fluke_photos
    cache = FeatureCache(tmp_path / "features")
    first = Matcher(CountingModel(), items, ids, cache=cache).prepare()
    assert first.model.scored > 0 and list(cache.folder.glob("impostors-*.npz"))
    again = Matcher(CountingModel(), items, ids, cache=cache).prepare()
    assert again.model.scored == 0  # nothing scored: the saved scores were read
    assert np.array_equal(again.impostor_best_scores(), first.impostor_best_scores())
    assert again.threshold == first.threshold
    assert [(c.individual, c.score) for c in again.rank(query)] == [(c.individual, c.score) for c in first.rank(query)]
    relabelled = Matcher(CountingModel(), items, ids[:-2] + ["I0", "I0"], cache=cache).prepare()
    assert relabelled.model.scored > 0  # another catalog: scored again
    fewer = Matcher(CountingModel(), items[1:], ids[1:], cache=cache).prepare()
    assert fewer.model.scored > 0
    assert not np.array_equal(fewer.impostor_best_scores(), first.impostor_best_scores())


def test_a_damaged_file_is_scored_again(fluke_photos, tmp_path):  # noqa: F811
    items, ids, _query = fluke_photos
    cache = FeatureCache(tmp_path / "features")
    first = Matcher(CountingModel(), items, ids, cache=cache).prepare()
    for f in cache.folder.glob("impostors-*.npz"):
        f.write_bytes(b"damaged")
    again = Matcher(CountingModel(), items, ids, cache=cache).prepare()
    assert again.model.scored > 0 and again.threshold == first.threshold
