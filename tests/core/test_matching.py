"""Ranking individuals for queries: best photo per individual, new_whale at the threshold, reference
rows labelled new_whale, LOO calibration on constructed features, bad images.

A stub model keeps this exact and fast: the feature of a photo is its grey level, and the score of
a pair is 1 - |difference of grey levels|, so every score below is known in advance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from whaleid_gui.core.errors import ImageError, WhaleIDError
from whaleid_gui.core.features import FeatureCache, ImageItem
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.matching import Candidate, IndividualIndex, Matcher, rank_row


class GreyModel:
    """feature = (grey level in [0, 1], 0, 0, 0); score(a, b) = 1 - |a0 - b0|."""

    feature_size = 4
    weights_id = "grey-stub"
    image_size = 16

    def features(self, batch: torch.Tensor) -> torch.Tensor:
        grey = batch.float().mean(dim=(1, 2, 3))
        return torch.stack([grey, torch.zeros_like(grey), torch.zeros_like(grey), torch.zeros_like(grey)], 1)

    def score_matrix(self, a, b, progress=None):
        a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
        return (1.0 - np.abs(a[:, None, 0] - b[None, :, 0])).astype(np.float32)


def score(g1: int, g2: int) -> float:
    return 1.0 - abs(g1 - g2) / 255.0


def grey_photo(folder: Path, name: str, level: int) -> Path:
    path = folder / f"{name}.png"
    Image.new("RGB", (24, 12), (level, level, level)).save(path)
    return path


# Catalog: A, B, C with two photos each, D a singleton. Same-individual scores >= 0.984,
# different-individual scores <= score(124, 160) = 0.859.
CATALOG = [("A", 50), ("A", 53), ("B", 120), ("B", 124), ("C", 200), ("C", 203), ("D", 160)]


@pytest.fixture
def catalog(tmp_path):
    folder = tmp_path / "refs"
    folder.mkdir()
    items, ids = [], []
    for n, (ident, level) in enumerate(CATALOG):
        items.append(ImageItem(grey_photo(folder, f"{ident}{n}", level)))
        ids.append(ident)
    return items, ids


def query(tmp_path, level: int, name: str | None = None) -> ImageItem:
    folder = tmp_path / "queries"
    folder.mkdir(exist_ok=True)
    return ImageItem(grey_photo(folder, name or f"q{level}", level))


# --------------------------------------------------------------------------------------------
# rank_row on constructed score rows


def test_individuals_ranked_by_their_best_photo():
    ids = ["A", "B", "A", "C", "C", "B"]
    scores = np.array([0.1, 0.5, 0.9, 0.6, 0.55, 0.2])
    paths = [Path(f"p{i}.jpg") for i in range(6)]
    index = IndividualIndex(ids)
    lines = rank_row(scores, index, None, 5, paths)
    assert [c.individual for c in lines] == ["A", "C", "B"]
    assert [c.score for c in lines] == pytest.approx([0.9, 0.6, 0.5])
    assert [c.rank for c in lines] == [1, 2, 3]
    assert [c.image for c in lines] == [Path("p2.jpg"), Path("p3.jpg"), Path("p1.jpg")]
    assert [c.reference_index for c in lines] == [2, 3, 1]
    assert not any(c.is_new for c in lines)


@pytest.mark.parametrize("threshold, expected", [
    (0.55, ["A", "C", NEW_WHALE, "B"]),
    (0.95, [NEW_WHALE, "A", "C", "B"]),
    (0.6, ["A", "C", NEW_WHALE, "B"]),  # a score equal to the threshold stays above it
    (0.3, ["A", "C", "B", NEW_WHALE]),  # below every individual: last, room permitting
])
def test_new_whale_inserted_at_the_threshold(threshold, expected):
    index = IndividualIndex(["A", "B", "A", "C"])
    lines = rank_row(np.array([0.1, 0.5, 0.9, 0.6]), index, threshold, 5)
    assert [c.individual for c in lines] == expected
    assert [c.rank for c in lines] == list(range(1, len(expected) + 1))
    new = next(c for c in lines if c.is_new)
    assert new.score == pytest.approx(threshold) and new.image is None


def test_top_limits_the_lines_and_new_whale_counts_as_one():
    index = IndividualIndex(list("ABCDEFG"))
    scores = np.linspace(0.9, 0.3, 7)
    lines = rank_row(scores, index, 0.75, 5)
    assert [c.individual for c in lines] == ["A", "B", NEW_WHALE, "C", "D"]  # 0.9, 0.8 | 0.7, 0.6
    # a threshold below all of the top 5: no room left, no new_whale
    assert NEW_WHALE not in [c.individual for c in rank_row(scores, index, 0.1, 5)]
    assert len(rank_row(scores, index, None, 3)) == 3


def test_threshold_none_never_inserts_new_whale():
    index = IndividualIndex(["A", "B"])
    lines = rank_row(np.array([0.01, 0.02]), index, None, 5)
    assert [c.individual for c in lines] == ["B", "A"]


def test_excluded_individual_is_left_out():
    index = IndividualIndex(["A", "B", "C"])
    lines = rank_row(np.array([0.9, 0.5, 0.4]), index, None, 5, exclude_group=index.names.index("A"))
    assert [c.individual for c in lines] == ["B", "C"]


def test_individual_index_best_per_individual():
    ids = ["x", "y", "x", "z", "y"]
    index = IndividualIndex(ids)
    best = index.best_per_individual(np.array([1.0, 5.0, 3.0, 2.0, 4.0]))
    assert dict(zip(index.names, best)) == {"x": 3.0, "y": 5.0, "z": 2.0}
    assert index.counts.tolist() == [2, 2, 1]
    assert [index.names[g] for g in index.group_of] == ids


# --------------------------------------------------------------------------------------------
# Matcher end to end with the grey stub


def test_matcher_ranks_a_query(tmp_path, catalog):
    items, ids = catalog
    matcher = Matcher(GreyModel(), items, ids, threshold=None).prepare()
    lines = matcher.rank(query(tmp_path, 52))
    assert [c.individual for c in lines] == ["A", "B", "D", "C"]  # 4 individuals, no new_whale
    assert lines[0].image == items[1].path  # A's best photo is the 53 one
    assert lines[0].score == pytest.approx(score(52, 53), abs=1e-5)
    assert lines[1].score == pytest.approx(score(52, 120), abs=1e-5)


def test_matcher_float_threshold(tmp_path, catalog):
    items, ids = catalog
    matcher = Matcher(GreyModel(), items, ids, threshold=0.7).prepare()
    assert matcher.threshold == 0.7
    assert [c.individual for c in matcher.rank(query(tmp_path, 52))] == ["A", "B", NEW_WHALE, "D", "C"]
    matcher = Matcher(GreyModel(), items, ids, threshold=0.999).prepare()
    assert [c.individual for c in matcher.rank(query(tmp_path, 52))][0] == NEW_WHALE


def test_rank_many_keeps_input_order(tmp_path, catalog):
    items, ids = catalog
    matcher = Matcher(GreyModel(), items, ids, threshold=None)
    levels = [201, 51, 161, 122, 52]
    results = matcher.rank_many([query(tmp_path, v) for v in levels], top=1)
    assert [r[0].individual for r in results] == ["C", "A", "D", "B", "A"]


def test_reference_rows_labelled_new_whale_are_not_identities(tmp_path, catalog):
    items, ids = catalog
    refs = items + [ImageItem(grey_photo(tmp_path, "unknown", 90))]
    matcher = Matcher(GreyModel(), refs, ids + [NEW_WHALE], threshold=None).prepare()
    lines = matcher.rank(query(tmp_path, 90))  # identical to the new_whale reference photo
    assert NEW_WHALE not in [c.individual for c in lines]
    assert sorted(c.individual for c in lines) == ["A", "B", "C", "D"]
    assert refs[-1].path not in matcher.paths


def test_impostor_threshold_is_the_median_of_each_photos_best_other_individual(tmp_path, catalog):
    items, ids = catalog
    matcher = Matcher(GreyModel(), items, ids, threshold="auto").prepare()
    levels = dict(enumerate(level for _ident, level in CATALOG))
    best_other = [max(score(levels[i], levels[j]) for j in levels if CATALOG[j][0] != CATALOG[i][0]) for i in levels]
    assert matcher.threshold == pytest.approx(float(np.median(best_other)), abs=1e-6)
    assert matcher.calibration["rule"] == "impostors" and matcher.calibration["impostors"] == len(CATALOG)
    # a query at A's level scores far above any impostor: A first, new_whale next
    assert [c.individual for c in matcher.rank(query(tmp_path, 52))][:2] == ["A", NEW_WHALE]
    # a query farther from every individual than most impostors are: new_whale first
    assert matcher.rank(query(tmp_path, 250))[0].individual == NEW_WHALE


def test_impostor_threshold_needs_no_repeat_photos_but_two_individuals(tmp_path, catalog):
    items, ids = catalog
    singletons = [0, 2, 4, 6]  # one photo each of A, B, C, D
    matcher = Matcher(GreyModel(), [items[i] for i in singletons], [ids[i] for i in singletons]).prepare()
    assert matcher.threshold is not None
    alone = Matcher(GreyModel(), items[:2], ids[:2]).prepare()  # only A: no impostor at all
    assert alone.threshold is None
    assert NEW_WHALE not in [c.individual for c in alone.rank(query(tmp_path, 200))]


def test_loo_threshold_with_singletons_separates_same_from_different(tmp_path, catalog):
    items, ids = catalog
    matcher = Matcher(GreyModel(), items, ids, threshold="loo").prepare()
    same = min(score(50, 53), score(120, 124), score(200, 203))
    different = score(124, 160)  # the best score of the singleton D against another individual
    assert matcher.threshold is not None
    assert different < matcher.threshold <= same
    assert matcher.calibration["new_truths"] == 1
    # in use: a photo of D's level is proposed as new only when D is not in the catalog
    lines = matcher.rank(query(tmp_path, 52))
    assert lines[0].individual == "A" and lines[1].individual == NEW_WHALE


def test_loo_threshold_counts_new_whale_rows(tmp_path, catalog):
    items, ids = catalog
    # without the singleton D, only the new_whale row tells where "new" starts
    keep = [i for i, x in enumerate(ids) if x != "D"]
    refs = [items[i] for i in keep] + [ImageItem(grey_photo(tmp_path, "unknown", 160))]
    labels = [ids[i] for i in keep] + [NEW_WHALE]
    matcher = Matcher(GreyModel(), refs, labels, threshold="loo").prepare()
    assert matcher.threshold is not None
    assert score(124, 160) < matcher.threshold <= score(120, 124)


def test_loo_threshold_without_new_truths_is_none(tmp_path, catalog):
    items, ids = catalog
    keep = [i for i, x in enumerate(ids) if x != "D"]
    matcher = Matcher(GreyModel(), [items[i] for i in keep], [ids[i] for i in keep], threshold="loo").prepare()
    assert matcher.threshold is None
    assert matcher.calibration["new_truths"] == 0
    assert NEW_WHALE not in [c.individual for c in matcher.rank(query(tmp_path, 90))]


def test_bad_reference_is_skipped_and_reported(tmp_path, catalog):
    items, ids = catalog
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    refs = items[:3] + [ImageItem(broken)] + items[3:]
    matcher = Matcher(GreyModel(), refs, ids[:3] + ["B"] + ids[3:], threshold=None).prepare()
    assert list(matcher.errors) == [3]
    assert str(broken) in str(matcher.errors[3])
    assert broken not in matcher.paths and len(matcher.paths) == len(items)
    assert matcher.rank(query(tmp_path, 121))[0].individual == "B"


def test_bad_query_is_reported_in_place(tmp_path, catalog):
    items, ids = catalog
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"")
    matcher = Matcher(GreyModel(), items, ids, threshold=None)
    results = matcher.rank_many([query(tmp_path, 51), ImageItem(broken), query(tmp_path, 201)])
    assert results[0][0].individual == "A" and results[2][0].individual == "C"
    assert isinstance(results[1], ImageError) and str(broken) in str(results[1])
    with pytest.raises(ImageError):
        matcher.rank(ImageItem(broken))


def test_no_usable_reference_is_an_error(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"")
    with pytest.raises(WhaleIDError, match="no usable photo"):
        Matcher(GreyModel(), [ImageItem(broken)], ["A"]).prepare()
    with pytest.raises(ValueError):
        Matcher(GreyModel(), [ImageItem(broken)], ["A", "B"])


def test_matcher_uses_the_cache(tmp_path, catalog):
    items, ids = catalog

    class Counting(GreyModel):
        images = 0

        def features(self, batch):
            Counting.images += len(batch)
            return super().features(batch)

    cache = FeatureCache(tmp_path / "cache")
    Matcher(Counting(), items, ids, cache=cache).prepare()
    Matcher(Counting(), items, ids, cache=cache).prepare()
    assert Counting.images == len(items)


def test_candidate_is_new():
    assert Candidate(NEW_WHALE, 0.5, 1).is_new
    assert not Candidate("A", 0.5, 1).is_new
