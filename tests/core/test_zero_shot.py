"""The zero-shot model chosen on real photos: colour crops that keep the photo's shape, the
backbone's own 1280 features, cosine centred on the catalog (benchmarks/eval_real.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.features import ImageItem, item_crop
from whaleid_gui.core.images import crop_array
from whaleid_gui.core.input_style import FLUKE, PHOTO, input_style
from whaleid_gui.core.matching import Matcher, centre_features
from whaleid_gui.core.model import ZERO_SHOT, load_model
from whaleid_gui.core.model.checkpoint import load_model_file, save_model


def red_blue(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue."""
    a = np.zeros((height, width, 3), np.uint8)
    a[:, : width // 2, 0] = 255
    a[:, width // 2:, 2] = 255
    return Image.fromarray(a)


def test_colour_crop_keeps_the_photo_shape_and_colours():
    crop = crop_array(red_blue(), None, size=32, style=PHOTO)
    assert crop.shape == (3, 32, 32) and crop.dtype == np.float32
    # a 2:1 photo in a square: the middle rows are the photo, red left and blue right
    assert crop[0, 16, 4] > 0.9 and crop[2, 16, 4] < 0.1
    assert crop[2, 16, 28] > 0.9 and crop[0, 16, 28] < 0.1
    # the top rows lie outside the photo: its mean colour (half red, half blue), not distorted photo
    assert crop[:, 1, 16] == pytest.approx([0.5, 0.0, 0.5], abs=0.02)
    # the fluke style squashes the same photo into the square, in gray, photo everywhere in x
    gray = crop_array(red_blue(), None, size=32, style=FLUKE)
    assert gray.shape == (32, 32)


def test_colour_crop_follows_the_box_and_the_mirror(tmp_path):
    path = tmp_path / "rb.png"
    red_blue(80, 40).save(path)
    left = crop_array(Image.open(path), BoundingBox(0, 0, 30, 40), size=32, style=PHOTO)
    assert left[0].mean() > 0.8 and left[2].mean() < 0.2  # the box holds only red
    plain = item_crop(ImageItem(path), 32, style=PHOTO)
    mirrored = item_crop(ImageItem(path, flip=True), 32, style=PHOTO)
    assert np.allclose(mirrored, plain[:, :, ::-1])


def test_unknown_input_style_is_named():
    with pytest.raises(ValueError, match="unknown input style 'sepia'"):
        input_style("sepia")
    assert input_style(None) is FLUKE  # weights files older than styles


def test_zero_shot_model_round_trips_through_a_weights_file(tmp_path):
    model = load_model(ZERO_SHOT, device="cpu", image_size=64)
    assert model.feature_size == 1280
    assert model.card.input_style == "rgb-square" and model.card.centre_on_catalog
    x = torch.rand(2, 3, 64, 64)
    features = model.features(x)
    assert features.shape == (2, 1280)
    save_model(model, tmp_path / "zero.pt")
    again = load_model_file(tmp_path / "zero.pt", torch.device("cpu"))
    assert again.card.input_style == "rgb-square" and again.card.centre_on_catalog
    assert torch.allclose(again.features(x), features, atol=1e-3)


class OffsetModel:
    """feature = (10, 10, grey): a large part every photo shares, as water and light do."""

    feature_size = 3
    weights_id = "offset-stub"
    image_size = 16

    class card:  # noqa: N801 - stands for a model card
        centre_on_catalog = True
        input_style = "gray-fluke"

    def features(self, batch):
        grey = batch.float().mean(dim=(1, 2, 3))
        return torch.stack([torch.full_like(grey, 10.0), torch.full_like(grey, 10.0), grey], 1)

    def score_matrix(self, a, b, progress=None):
        a = np.asarray(a, np.float32) / np.linalg.norm(a, axis=1, keepdims=True)
        b = np.asarray(b, np.float32) / np.linalg.norm(b, axis=1, keepdims=True)
        return a @ b.T


def test_matcher_scores_centred_features_when_the_card_says_so(tmp_path):
    items, ids = [], []
    for n, (ident, level) in enumerate([("A", 40), ("A", 44), ("B", 200), ("B", 204)]):
        path = tmp_path / f"{n}.png"
        Image.new("RGB", (16, 16), (level,) * 3).save(path)
        items.append(ImageItem(path))
        ids.append(ident)
    matcher = Matcher(OffsetModel(), items, ids, threshold=None).prepare()
    raw = np.array([[10.0, 10.0, lv / 255] for lv in (40, 44, 200, 204)], np.float32)
    assert matcher.centre == pytest.approx(raw.mean(axis=0), abs=1e-3)
    # uncentred, every pair has cosine ~1; centred, the two individuals point apart
    assert OffsetModel().score_matrix(raw[:1], raw[2:3])[0, 0] > 0.99
    scores = matcher.score_rows(raw[:1])[0]
    assert scores[1] > 0.9 and scores[2] < -0.9
    assert np.allclose(matcher.features, centre_features(raw, raw.mean(axis=0)), atol=1e-3)
