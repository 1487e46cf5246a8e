"""What a training run reports while it runs (core.training.train_job yields these).

Kept apart from core.training, which imports torch: the GUI dispatches on these types and must
not load torch to do so (the window starts before torch is imported)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .progress import Progress


@dataclass(frozen=True)
class EpochProgress(Progress):
    """Progress inside one epoch (done of total steps): with `epoch` a watcher knows how far the
    whole run is without reading the message."""

    epoch: int = 1  # 1-based, the epoch running


@dataclass(frozen=True)
class EpochReport:
    # The epoch is saved (its checkpoint is what Resume continues from), so a worker delivers its
    # report even when cancel came meanwhile: the plots must show every saved epoch.
    RECORDS_SAVED_WORK: ClassVar[bool] = True

    epoch: int  # 1-based, completed
    epochs: int
    loss: float
    pair_accuracy: float  # pairs classified right (siamese) / photos classified right (arcface)
    hard_pair_score: float  # mean head score of the mined non-matching pairs (before the epoch)
    k: float
    learning_rate: float
    val_map5: float | None
    seconds: float
    mining_seconds: float
    checkpoint: str
    # The weights file holds the best epoch by validation MAP@5 (the last one without validation):
    best_epoch: int = 0
    # Set on the last report of a run that stopped because validation MAP@5 stopped improving:
    stopped_early: bool = False


@dataclass(frozen=True)
class StartingPoint:
    """Validation MAP@5 of the initial model, before the first epoch: the line training must beat."""

    val_map5: float

