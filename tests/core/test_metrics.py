"""MAP@5, top-1 and top-5 against hand-computed examples (the Kaggle humpback metric: one correct
label per query, which may be new_whale; 1 / its position among the first 5 predictions)."""

from __future__ import annotations

import pytest

from whaleid_gui.core.metrics import average_precision_at_k, map_at_k, summarize, top_k_accuracy

PRED = ["w1", "w2", "new_whale", "w3", "w4"]


@pytest.mark.parametrize("predicted, truth, expected", [
    (PRED, "w1", 1.0),
    (PRED, "w2", 1 / 2),
    (PRED, "new_whale", 1 / 3),  # the truth may be new_whale
    (PRED, "w4", 1 / 5),
    (PRED, "w9", 0.0),  # absent
    (PRED + ["w9"], "w9", 0.0),  # sixth: beyond k = 5
    (["w1", "w1", "w2"], "w2", 1 / 3),  # a duplicate still takes a position (Kaggle's scoring)
    (["w1", "w2", "w1", "w2", "w1", "w3"], "w3", 0.0),  # duplicates push the truth past 5
    (["w2", "w2", "w2"], "w2", 1.0),  # a repeated correct label counts once
    ([], "w1", 0.0),
])
def test_average_precision(predicted, truth, expected):
    assert average_precision_at_k(predicted, truth, 5) == pytest.approx(expected)


def test_map_top1_top5_of_a_hand_worked_set():
    predictions = [
        ["a", "b", "c", "d", "e"],           # truth a: AP 1, top-1, top-5
        ["new_whale", "a", "b", "c", "d"],   # truth b: AP 1/3, top-5
        ["a", "new_whale", "b", "c", "d"],   # truth new_whale: AP 1/2, top-5
        ["b", "c", "d", "e", "f"],           # truth x (absent): AP 0
        ["c", "c", "d", "e", "x"],           # truth x (5th, after a duplicate): AP 1/5, top-5
    ]
    truths = ["a", "b", "new_whale", "x", "x"]
    expected_map = (1 + 1 / 3 + 1 / 2 + 0 + 1 / 5) / 5
    assert map_at_k(predictions, truths) == pytest.approx(expected_map)
    assert top_k_accuracy(predictions, truths, 1) == pytest.approx(1 / 5)
    assert top_k_accuracy(predictions, truths, 5) == pytest.approx(4 / 5)
    summary = summarize(predictions, truths)
    assert summary == pytest.approx({"map5": expected_map, "top1": 0.2, "top5": 0.8, "n": 5.0})


def test_all_new_whale_baseline():
    """The "all new_whale" submission scores the share of new_whale truths (ALGORITHM.md's 0.325 baseline)."""
    truths = ["new_whale", "a", "new_whale", "b"]
    assert map_at_k([["new_whale"]] * 4, truths) == pytest.approx(0.5)


def test_mismatched_lengths_and_empty_input():
    with pytest.raises(ValueError):
        map_at_k([["a"]], ["a", "b"])
    assert map_at_k([], []) == 0.0
    assert top_k_accuracy([], [], 5) == 0.0
