"""What a training run is asked to do, and the ``<weights>.settings.json`` that keeps it.

Every run (the training panel's and `whaleid train`'s) writes its settings beside the weights
when it starts, so Resume continues with the settings the run started with, never with a form
edited since. Plain data and json only: the panel reads these before anything heavy loads.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from whaleid_gui.core.atomic_write import write_text_atomic


@dataclass(frozen=True)
class TrainSettings:
    """One training run's settings (plain data: the job runs in a worker)."""

    out: str  # the weights file to write (panel: project/models/<timestamp>.pt); resume continues it
    branch: str = "efficientnet-lite0"  # or "reference"
    objective: str = "siamese"  # or "arcface"
    fast: bool = True  # frozen early backbone (the CPU mode)
    epochs: int = 10
    image_size: int | None = 384  # None: the initial weights' own input size
    learning_rate: float = 64e-5
    k_values: tuple[float, ...] | None = None  # None: the preset scaled to the epochs
    device: str = "auto"
    validation_fraction: float = 0.2
    seed: int = 0
    batch_size: int = 16
    mine_every: int = 5
    init_weights: str | None = None  # start from these weights (the active ones); None = default
    resume: bool = False
    scratch: bool = False  # start from random weights (no ImageNet) whatever init_weights say
    patience: int = 3  # stop after this many epochs without a better validation MAP@5 (0: never)


def settings_path(out: str | Path) -> Path:
    """Where a run keeps the settings it started with: ``<out>.settings.json`` (Resume reads it)."""
    return Path(str(out) + ".settings.json")


def train_config(s: TrainSettings) -> Any:
    """The core's TrainConfig for these settings (weight decay: the reference's, ALGORITHM.md, for the reference branch)."""
    from whaleid_gui.core.training import TrainConfig

    return TrainConfig(epochs=s.epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                       mine_every=s.mine_every, k_values=list(s.k_values) if s.k_values else None,
                       seed=s.seed, validation_fraction=s.validation_fraction, objective=s.objective,
                       fast=s.fast, weight_decay=4e-4 if s.branch == "reference" else 0.0,
                       patience=s.patience)


def write_json(path: Path, data: dict) -> Path:
    """Write a small JSON file beside the weights, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(data, indent=2, default=str))


def write_train_settings(s: TrainSettings, config: Any) -> Path:
    """Write the run's settings (the TrainConfig values, branch, image size, split seed) beside it."""
    data = {"weights_file": Path(s.out).name, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "settings": {k: v for k, v in asdict(s).items() if k not in ("out", "resume")},
            "train_config": asdict(config)}
    return write_json(settings_path(s.out), data)


def read_train_settings(out: str | Path) -> TrainSettings:
    """The settings an (interrupted) run started with; OSError / ValueError when missing or unreadable."""
    path = settings_path(out)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["settings"]
        if not isinstance(saved, dict):
            raise TypeError("'settings' is not an object")
    except OSError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from None
    known = {f.name for f in fields(TrainSettings)} - {"out", "resume"}
    values = {k: v for k, v in saved.items() if k in known}
    if values.get("k_values") is not None:
        values["k_values"] = tuple(float(v) for v in values["k_values"])
    try:
        return TrainSettings(out=str(out), resume=False, **values)
    except TypeError as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from None
