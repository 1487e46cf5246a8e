"""The Compare tab's heat map: each cell of the query as the model saw it is hidden in turn; its heat
is how much that lowers the similarity to the catalog photo. Real model, real demo photos."""

from __future__ import annotations

import numpy as np

from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.application.score_heatmap import GRID, embedding_heatmap, heat_from_scores, occluded, overlay
from whaleid_gui.core.progress import drive


def test_each_copy_hides_one_cell_with_the_crop_mean():
    crop = np.arange(3 * 8 * 16, dtype=np.float32).reshape(3, 8, 16) / 400
    copies = occluded(crop, (2, 4))
    assert len(copies) == 8
    changed = [(c != crop).any(axis=0) for c in copies]
    assert changed[0][:4, :4].all() and not changed[0][4:].any() and not changed[0][:, 4:].any()
    assert changed[7][4:, 12:].all() and changed[7].sum() == 16
    assert np.allclose(copies[5][:, 4:, 4:8], crop.mean(axis=(-2, -1), keepdims=True))


def test_heat_is_the_share_of_the_largest_drop_and_is_drawn_in_red():
    heat, top = heat_from_scores(0.9, np.array([0.9, 0.5, 0.8, 0.95]), (2, 2))
    assert top == 0.4 and np.allclose(heat, [[0.0, 1.0], [0.25, 0.0]])  # a rise is no heat
    rgb = np.full((4, 4, 3), 100, np.uint8)
    out = overlay(rgb, heat)
    assert out[0, 2, 0] > out[0, 2, 1] and out[0, 0, 0] == out[0, 0, 1]  # red only where it matters


def test_hiding_parts_of_a_photo_lowers_its_similarity_to_itself(small_demo):
    import csv

    with open(small_demo.boxes_csv, newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    from whaleid_gui.core.boxes import BoundingBox

    box = BoundingBox(float(row["x0"]), float(row["y0"]), float(row["x1"]), float(row["y1"]))
    photo = (str(small_demo.root / row["Image"]), box, 0, False)
    engine = EngineConfig(device="cpu", image_size=64)
    heat_map = drive(embedding_heatmap(engine, photo, photo))
    assert heat_map.heat.shape == GRID and heat_map.drop > 0 and heat_map.heat.max() == 1.0
    assert heat_map.image.dtype == np.uint8 and heat_map.image.shape[2] == 3
