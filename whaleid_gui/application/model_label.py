"""The model as a person names it: its card's name and date, never a content hash.

A named model (core.model_names) reads by its short name ("General", "Flukes", "Untrained
baseline"); a weights file by its file name and the date its card says it was made. The weights id
(a hash) stays in the store's audit trail, where it identifies the exact file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whaleid_gui.core.model_names import DEFAULT_MODEL, FLUKES, MODEL_NAMES, UNTRAINED, ZERO_SHOT

# weights ids of the named models that are built in code (core.model): no file to name them by
_BUILT_IN_IDS = {"imagenet-lite0-rgb-centred-v1": ZERO_SHOT, "untrained-lite0-distance-v1": UNTRAINED}


def short_name(name: str) -> str:
    """'General' for 'General: ImageNet features of ...' (the model menu's text before the colon)."""
    return MODEL_NAMES[name].split(":")[0]


def model_label(model: Any, weights: str | Path | None = None) -> str:
    """'General (ImageNet features)', 'Flukes, 2026-11-28', 'run3.pt, 2026-12-01' (+ ' at 128 px'
    when the input size was overridden). weights: the engine's setting (a name, a file or None)."""
    weights_id = str(getattr(model, "weights_id", "") or "")
    base_id, _, size = weights_id.partition("@")
    card = getattr(model, "card", None)
    created = str(getattr(card, "created", "") or "")[:10]
    setting = str(weights) if weights is not None else None
    if base_id in _BUILT_IN_IDS:
        text = short_name(_BUILT_IN_IDS[base_id]) + (" (ImageNet features)" if _BUILT_IN_IDS[base_id] == ZERO_SHOT else "")
    elif setting in (FLUKES,) or (setting is None and DEFAULT_MODEL == FLUKES):
        text = short_name(FLUKES)
    elif setting is not None and setting not in MODEL_NAMES:
        text = Path(setting).name
    elif weights_id:
        text = "weights " + base_id  # a model built in code (tests, benchmarks): nothing else names it
    else:
        text = "model"
    if created and base_id not in _BUILT_IN_IDS:
        text += f", {created}"
    if size:
        text += f" at {size} px"
    return text
