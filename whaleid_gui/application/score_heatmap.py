"""Which regions of the query drove its embedding score against a catalog photo: an occlusion map.

Cheap on purpose (the Compare tab's optional toggle, one worker job): the query's model input is
cut into a GRID of cells; each copy with one cell greyed out (the crop's mean colour) goes through
the branch in one batch, and a cell's heat is how much hiding it lowers the similarity to the
catalog photo (its score without the cell against the score of the whole crop). No gradients, no
change to the model. The map is drawn over the crop the model saw (its input style: the squashed
gray fluke crop or the colour square), so what the scientist looks at is exactly what was scored.

Similarity here is the cosine of the features (after centring on the catalog when the prepared
matcher centres): the quantity every mode's embedding score rises with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

import numpy as np

from .project_engine import EngineConfig
from .steps import Step

GRID = (4, 8)  # rows, columns of occluded cells: 32 crops, one branch batch


@dataclass(frozen=True)
class HeatMap:
    image: np.ndarray  # (H, W, 3) uint8: the model input with the heat drawn over it
    heat: np.ndarray  # (rows, cols) in [0, 1]: share of the largest score drop
    drop: float  # the largest drop of similarity one cell causes (0: no cell matters)


def _rgb(crop: np.ndarray) -> np.ndarray:
    """A model input (gray (S, S) or colour (3, S, S), floats in [0, 1]) as (S, S, 3) uint8."""
    arr = crop if crop.ndim == 2 else np.moveaxis(crop, 0, -1)
    arr = np.clip(arr, 0, 1)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    return (arr * 255).astype(np.uint8)


def occluded(crop: np.ndarray, grid: tuple[int, int] = GRID) -> list[np.ndarray]:
    """One copy of the crop per cell, that cell set to the crop's mean (row by row)."""
    size_h, size_w = crop.shape[-2:]
    rows, cols = grid
    fill = crop.mean(axis=(-2, -1), keepdims=True)
    out = []
    for r in range(rows):
        for c in range(cols):
            copy = crop.copy()
            y0, y1 = r * size_h // rows, (r + 1) * size_h // rows
            x0, x1 = c * size_w // cols, (c + 1) * size_w // cols
            copy[..., y0:y1, x0:x1] = np.broadcast_to(fill, copy[..., y0:y1, x0:x1].shape)
            out.append(copy)
    return out


def heat_from_scores(base: float, scores: np.ndarray, grid: tuple[int, int] = GRID) -> tuple[np.ndarray, float]:
    """(rows, cols) heat: each cell's drop of the score when hidden, as a share of the largest drop."""
    drops = np.maximum(base - np.asarray(scores, dtype=np.float64), 0.0).reshape(grid)
    top = float(drops.max()) if drops.size else 0.0
    return (drops / top if top > 0 else drops), top


def overlay(rgb: np.ndarray, heat: np.ndarray, strength: float = 0.6) -> np.ndarray:
    """The crop with red over the cells in proportion to their heat (the rest dimmed a little)."""
    h, w = rgb.shape[:2]
    rows, cols = heat.shape
    up = np.repeat(np.repeat(heat, -(-h // rows), axis=0), -(-w // cols), axis=1)[:h, :w, None]
    red = np.array([230, 40, 30], dtype=np.float64)
    out = rgb.astype(np.float64) * (0.75 + 0.25 * up)  # what does not matter recedes
    out = out * (1 - strength * up) + red * strength * up
    return np.clip(out, 0, 255).astype(np.uint8)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    return a @ b.T


def embedding_heatmap(engine: EngineConfig, query: tuple, reference: tuple,
                      centre: np.ndarray | None = None) -> Generator[Any, None, HeatMap]:
    """Job: query and reference are (path, box, rotation, flip); centre: the catalog's mean feature
    when the model's matcher centres (the zero-shot model), else None."""
    from whaleid_gui.core.features import ImageItem, crops_tensor, item_crop, model_input_style

    from .match_photos import model_for

    yield Step(0, 2, "Loading the model")
    model = model_for(engine)
    style = model_input_style(model)
    q_item = ImageItem(Path(query[0]), query[1], rotation=int(query[2] or 0), flip=bool(query[3]))
    r_item = ImageItem(Path(reference[0]), reference[1], rotation=int(reference[2] or 0), flip=bool(reference[3]))
    q_crop = item_crop(q_item, model.image_size, style=style)
    r_crop = item_crop(r_item, model.image_size, style=style)
    yield Step(1, 2, "Hiding one region at a time")
    batch = [q_crop, r_crop] + occluded(q_crop)
    feats = model.features(crops_tensor(batch)).cpu().numpy().astype(np.float64)
    if centre is not None:
        feats = feats - np.asarray(centre, dtype=np.float64)
    sims = _cosine(feats, feats[1:2])[:, 0]
    heat, drop = heat_from_scores(float(sims[0]), sims[2:])
    yield Step(2, 2, "Done")
    return HeatMap(overlay(_rgb(q_crop), heat), heat, drop)


def catalog_heatmap(engine: EngineConfig, query: tuple, reference: tuple) -> Generator[Any, None, HeatMap]:
    """Job: embedding_heatmap centred as the catalog's prepared matcher in this process centres (the
    app runs it in the engine process, where the review's matchers are)."""
    return (yield from embedding_heatmap(engine, query, reference, catalog_centre(engine)))


def catalog_centre(engine: EngineConfig) -> np.ndarray | None:
    """The centre the prepared matcher of this engine uses, when one is in memory (else None)."""
    from . import match_photos

    with match_photos._MATCHERS_LOCK:
        for key, cached in match_photos._MATCHERS.items():
            if key[1] == engine.key() and getattr(cached[1], "centre", None) is not None:
                return cached[1].centre
    return None
