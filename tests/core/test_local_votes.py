"""Local features as a matcher of their own (issue 10): every catalog descriptor in one index, each
query descriptor votes for the individuals of its nearest neighbours, and the individuals the votes
find are verified even when the embedding ranks them last."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.core import local_votes
from whaleid_gui.core.features import ImageItem
from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher
from whaleid_gui.core.local_votes import LocalVoteIndex


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def catalog(rng, individuals: int = 4, per_photo: int = 200, dim: int = 32):
    """Each individual's photo has descriptors of its own (random unit vectors)."""
    return [unit(rng.normal(size=(per_photo, dim))) for _ in range(individuals)]


@pytest.mark.parametrize("exact_limit", [local_votes.EXACT_LIMIT, 100])  # exact, then inverted-file index
def test_votes_go_to_the_individual_whose_marks_the_query_shares(monkeypatch, exact_limit):
    monkeypatch.setattr(local_votes, "EXACT_LIMIT", exact_limit)
    rng = np.random.default_rng(0)
    photos = catalog(rng)
    index = LocalVoteIndex(photos, groups=[0, 1, 2, 3], n_groups=4)
    query = unit(photos[2][:80] + rng.normal(scale=0.05, size=(80, 32)))  # 80 of individual 2's marks, seen again
    votes = index.votes(query)
    assert int(np.argmax(votes)) == 2
    assert votes[2] > 3 * np.delete(votes, 2).max()
    assert index.votes(np.zeros((0, 32), np.float32)).tolist() == [0.0] * 4


def textured(path, seed: int, level: int, shift: tuple[int, int] = (0, 0)) -> None:
    """A photo with a blob texture of its own (seed) at a brightness of its own (level)."""
    rng = np.random.default_rng(seed)
    big = np.full((140, 260), 100.0)
    for _ in range(70):
        y, x, r = rng.integers(10, 130), rng.integers(10, 250), rng.integers(2, 7)
        big[max(0, y - r):y + r, max(0, x - r):x + r] = rng.integers(0, 90) + (rng.random() > 0.5) * 150
    dy, dx = shift
    crop = np.clip(big[10 + dy:130 + dy, 10 + dx:250 + dx] + level, 0, 255).astype(np.uint8)
    Image.fromarray(crop).resize((480, 240), Image.Resampling.BICUBIC).save(path)


class BrightnessModel:
    """An embedding that sees only brightness: it ranks by how alike two photos' mean grey is."""

    feature_size = 4
    weights_id = "brightness-stub"
    image_size = 32

    def features(self, batch):
        import torch

        grey = batch.float().mean(dim=(1, 2, 3))
        return torch.stack([grey, torch.zeros_like(grey), torch.zeros_like(grey), torch.zeros_like(grey)], 1)

    def score_matrix(self, a, b, progress=None):
        a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
        return (1.0 - 4 * np.abs(a[:, None, 0] - b[None, :, 0])).astype(np.float32)


def test_a_match_the_embedding_ranks_last_reaches_the_top_through_the_votes(tmp_path):
    items, ids = [], []
    for ind in range(6):  # six individuals, two photos each, brightness 0, 4, ..., 20 apart
        for k in range(2):
            path = tmp_path / f"ind{ind}_{k}.png"
            textured(path, seed=ind, level=4 * ind + k, shift=(k * 3, k * 5))
            items.append(ImageItem(path))
            ids.append(f"I{ind}")
    query = tmp_path / "query.png"
    textured(query, seed=0, level=26, shift=(2, -4))  # individual I0's marks, brighter than all
    kwargs = dict(threshold=None, keypoint_cache_dir=tmp_path / "kp", top_n=2)
    with_votes = KeypointRerankMatcher(BrightnessModel(), items, ids, **kwargs).prepare()
    embedding_order = with_votes.index.best_per_individual(with_votes.score_rows(
        with_votes.model.features(__import__("torch").from_numpy(np.asarray(
            Image.open(query).convert("L"), np.float32)[None, None] / 255.0)).numpy())[0])
    assert with_votes.index.names[int(np.argmin(embedding_order))] == "I0"  # the embedding ranks I0 last
    assert with_votes.rank(ImageItem(query))[0].individual == "I0"
    without = KeypointRerankMatcher(BrightnessModel(), items, ids, local_candidates=0, **kwargs).prepare()
    assert "I0" not in [c.individual for c in without.rank(ImageItem(query))[:2]]
