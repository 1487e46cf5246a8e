"""The settings of an interrupted run that started before runs kept a ``<weights>.settings.json``.

Such a run is not lost: its ``<weights>.resume`` state holds the core's TrainConfig values (epochs,
learning rate, K schedule, mining, split seed, objective, fast mode) and its weights file's model
card the branch and input size. Resume takes those, and the caller's settings (the panel's form)
only for what neither says (the device, the initial weights). torch: worker only.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .train_settings import TrainSettings

# TrainConfig fields that are TrainSettings fields of the same name and meaning
_FROM_CONFIG = ("epochs", "batch_size", "learning_rate", "mine_every", "seed", "validation_fraction", "objective",
                "fast")


def recovered_settings(form: TrainSettings) -> TrainSettings:
    """`form` (out = the interrupted run's weights) with what the run's state and card say."""
    import torch

    from whaleid_gui.core.model.checkpoint import read_weights_file
    from whaleid_gui.core.training import state_path

    out = Path(form.out)
    state: dict[str, Any] = torch.load(state_path(out), map_location="cpu", weights_only=True)
    config = state.get("config") or {}
    values: dict[str, Any] = {k: config[k] for k in _FROM_CONFIG if config.get(k) is not None}
    if config.get("k_values"):
        values["k_values"] = tuple(float(k) for k in config["k_values"])
    if state.get("objective"):
        values["objective"] = state["objective"]
    if out.exists():  # the weights of the last saved epoch carry the branch and input size
        card = read_weights_file(out)["card"]
        values["branch"] = card.get("architecture", form.branch)
        values["image_size"] = int(card.get("image_size") or form.image_size or 0) or None
    return replace(form, **values)
