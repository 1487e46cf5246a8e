"""The named models a project or `--weights` may choose instead of a weights file (no torch here,
so that reading a project's settings does not load it). core.model builds them."""

from __future__ import annotations

from pathlib import Path

ZERO_SHOT = "imagenet"  # the zero-shot model (the default): core.model.build_zero_shot_model
FLUKES = "flukes"  # the shipped weights trained on synthetic flukes
UNTRAINED = "untrained"  # the older baseline: gray fluke crops, random projection, distance head
DEFAULT_MODEL = ZERO_SHOT
MODEL_NAMES = {
    ZERO_SHOT: "General: ImageNet features of colour photos, centred on the catalog (any species)",
    FLUKES: "Flukes: Siamese network trained on synthetic humpback flukes (gray fluke crops)",
    UNTRAINED: "Untrained baseline: ImageNet features, gray fluke crops, random projection",
}


def describe_model(weights: str | Path | None) -> str:
    """A line for the user: what a weights setting (a name, a file or None) means."""
    name = str(weights) if weights is not None else DEFAULT_MODEL
    return MODEL_NAMES.get(name, f"Trained weights: {Path(name).name}")
