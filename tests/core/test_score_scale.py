"""One readable scale for every mode: a raw score becomes the share of the catalog's impostors
(each catalog photo's best score against the other individuals) it beats; the fused score of
keypoint re-ranking already is one; a catalog of one individual has none to compare with."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_matching import CATALOG, GreyModel, grey_photo, score

from whaleid_gui.core.features import FeatureCache, ImageItem
from whaleid_gui.core.matching import Matcher
from whaleid_gui.core.score_scale import ScoreScale, percent, scale_of, share_words


@pytest.fixture
def matcher(tmp_path):
    items = [ImageItem(grey_photo(tmp_path, f"{ident}{n}", level)) for n, (ident, level) in enumerate(CATALOG)]
    m = Matcher(GreyModel(), items, [i for i, _ in CATALOG], threshold="auto", cache=FeatureCache(tmp_path / "c"))
    return m.prepare()


def test_an_embedding_score_reads_as_the_share_of_impostors_it_beats(matcher):
    # each photo's best score against another individual, worked out from the grey levels
    impostors = sorted([score(50, 120), score(53, 120), score(120, 160), score(124, 160), score(200, 160),
                        score(203, 160), score(160, 124)])
    np.testing.assert_allclose(matcher.impostor_best_scores(), impostors, atol=1e-6)
    scale = scale_of(matcher)
    assert scale.raw_name == "embedding score"  # a stub without a model card
    # k of n impostors strictly below -> k / (n + 1)
    assert scale.share(0.0) == 0.0
    assert scale.share(impostors[3] + 1e-6) == pytest.approx(5 / 8)  # two impostors tie at [3], [4]
    assert scale.share(1.0) == pytest.approx(7 / 8)  # above every impostor, still below 1
    # the threshold ("auto": the impostors' median) maps the same way, so it sits among the shares
    assert matcher.threshold == pytest.approx(impostors[3], abs=1e-6)
    assert scale.share(matcher.threshold) == pytest.approx(3 / 8, abs=1e-6)
    # monotone: a mapping never reorders candidates
    raw = np.linspace(0, 1, 50)
    shares = [scale.share(v) for v in raw]
    assert shares == sorted(shares)


def test_a_fused_score_is_already_a_share_and_one_individual_has_none(matcher):
    fused = SimpleNamespace(reranker=SimpleNamespace(model=object()))
    scale = scale_of(fused)
    assert scale.impostors is None and scale.share(0.42) == 0.42 and scale.raw_name.startswith("fused")
    lonely = ScoreScale(np.array([]))
    assert not lonely.available and lonely.share(0.9) is None
    assert share_words(None) == "no different-whale pairs to compare with"


def test_words_never_claim_a_hundred_percent():
    assert share_words(0.973) == "beats 97% of different-whale pairs"
    assert share_words(0.9999) == "beats >99% of different-whale pairs"
    assert share_words(0.0) == "beats 0% of different-whale pairs"
    assert percent(0.5) == "50%" and percent(0.995) == ">99%" and percent(None) == "?"
