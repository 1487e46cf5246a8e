"""Compare a newly trained model with the active one on the project's validation split (the
training panel shows both numbers before the scientist makes the new weights active)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

from .model_label import model_label
from .project_engine import EngineConfig
from .steps import Step, sub
from .train_model import project_training_data


@dataclass(frozen=True)
class Comparison:
    """Validation MAP@5 (leave-one-out over the held-out individuals) of both models."""

    active_id: str
    active_map5: float
    new_id: str
    new_map5: float
    val_photos: int
    val_individuals: int
    active_label: str = ""  # the models as a person names them (model_label), never a hash
    new_label: str = ""


def compare_models(folder: str | Path, new_weights: str, engine: EngineConfig, fraction: float,
                   seed: int) -> Generator[Any, None, Comparison]:
    """Worker job: leave-one-out MAP@5 of the active and the new model on the validation split
    (the split the run trained with: whole individuals, core.training's); returns a Comparison."""
    from whaleid_gui.core import training_data
    from whaleid_gui.core.features import iter_features
    from whaleid_gui.core.model import load_model
    from whaleid_gui.core.training import leave_one_out_map5

    data = project_training_data(folder)
    _train, val = training_data.split(data, fraction, seed)
    if not val:
        raise RuntimeError("no validation individuals (set a validation share above 0, with 3+ individuals "
                           "of 2+ photos)")
    every = data.items()
    items = [every[i] for i in val]
    ids = [data.ids[i] for i in val]
    out = []
    for n, (label, path, size) in enumerate((("active", engine.weights, engine.image_size),
                                             ("new", new_weights, None))):
        yield Step(n, 2, f"Scoring the validation photos with the {label} model")
        if label == "active" and engine.model_factory is not None:
            model = engine.model_factory()
        else:
            model = load_model(path, device=engine.device, image_size=size)
        fs = yield from sub(iter_features(model, items))
        feats = fs.features
        if fs.errors:  # unreadable photos would score NaN: rank the readable ones only
            keep = [i for i in range(len(ids)) if i not in fs.errors]
            feats, scored_ids = feats[keep], [ids[i] for i in keep]
        else:
            scored_ids = ids
        out.append((str(getattr(model, "weights_id", "?")), float(leave_one_out_map5(model, feats, scored_ids)),
                    model_label(model, path)))
    yield Step(2, 2, "Done")
    return Comparison(out[0][0], out[0][1], out[1][0], out[1][1], len(ids), len(set(ids)), out[0][2], out[1][2])
