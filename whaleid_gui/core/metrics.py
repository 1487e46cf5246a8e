"""MAP@5 and top-k accuracy as the Kaggle Humpback Whale Identification competition scored them:
each query has exactly one correct label (which may be new_whale); the precision at the rank of its
first appearance among the first k predictions counts, 0 when absent."""

from __future__ import annotations

from typing import Sequence


def average_precision_at_k(predicted: Sequence[str], truth: str, k: int = 5) -> float:
    # As Kaggle scored it: positions count every prediction, repeated ones too (a duplicate wastes a slot).
    for position, label in enumerate(list(predicted)[:k], start=1):
        if label == truth:
            return 1.0 / position
    return 0.0


def map_at_k(predictions: Sequence[Sequence[str]], truths: Sequence[str], k: int = 5) -> float:
    if len(predictions) != len(truths):
        raise ValueError(f"{len(predictions)} predictions for {len(truths)} truths")
    if not truths:
        return 0.0
    return sum(average_precision_at_k(p, t, k) for p, t in zip(predictions, truths)) / len(truths)


def top_k_accuracy(predictions: Sequence[Sequence[str]], truths: Sequence[str], k: int) -> float:
    if not truths:
        return 0.0
    hits = sum(1 for p, t in zip(predictions, truths) if average_precision_at_k(p, t, k) > 0)
    return hits / len(truths)


def summarize(predictions: Sequence[Sequence[str]], truths: Sequence[str]) -> dict[str, float]:
    return {
        "map5": map_at_k(predictions, truths, 5),
        "top1": top_k_accuracy(predictions, truths, 1),
        "top5": top_k_accuracy(predictions, truths, 5),
        "n": float(len(truths)),
    }
