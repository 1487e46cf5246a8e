"""Fusion on the scale of the catalog's impostors: each score becomes the share of impostors it
beats; keypoints can promote a candidate, never demote it."""

from __future__ import annotations

import numpy as np
import pytest

from whaleid_gui.core.impostor_fusion import MIN_INLIERS, ImpostorFusion


@pytest.fixture
def fusion():
    # ten impostor embedding scores 0.0 .. 0.9, impostor pairs with 0 .. 9 inliers
    return ImpostorFusion(np.arange(10) / 10, np.arange(10))


def test_scores_become_the_share_of_impostors_they_beat(fusion):
    # k of the 10 impostors below: k / 11, so beating them all still stays below 1
    assert fusion.embedding_share([0.05, 0.45, 0.95]) == pytest.approx([1 / 11, 5 / 11, 10 / 11])
    assert fusion.keypoint_share([7, 20]) == pytest.approx([7 / 11, 10 / 11])
    assert fusion.keypoint_share([MIN_INLIERS - 1]).tolist() == [0.0]  # chance-level matches: no evidence


def test_keypoints_promote_but_never_demote(fusion):
    emb = np.array([0.95, 0.25, 0.25])
    kp = [[0, 0.0], [30, 0.4], [3, 0.1]]  # nothing verified; many marks line up; a few (chance)
    fused = fusion.predict(emb, kp)
    assert fused == pytest.approx([10 / 11, 10 / 11, 3 / 11])
    assert np.all(fused >= fusion.embedding_share(emb))


def test_without_impostors_nothing_is_promoted():
    empty = ImpostorFusion(np.array([]), np.array([]))
    assert empty.predict([0.9], [[40, 0.5]]).tolist() == [0.0]
