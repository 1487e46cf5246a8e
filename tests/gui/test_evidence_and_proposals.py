"""Keypoint evidence in the compare view, the re-ranking toggle, and box proposals for every
photo without a box (a stand-in box model: the shipped one may not exist yet)."""

from __future__ import annotations

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.application import box_proposals
from whaleid_gui.core.catalog import ProjectStore


def _texture(seed: int, size=(760, 520)):
    """A blotchy grey pattern, distinct per seed (plenty of keypoints, like fluke pigment)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (size[1] // 16, size[0] // 16), dtype=np.uint8)
    return Image.fromarray(low).resize(size, Image.Resampling.BICUBIC).convert("RGB")


def _pattern_project(folder):
    """3 individuals x 2 catalog photos (shifted views of one pattern each) and a query of #1."""
    from whaleid_gui.core.catalog import ProjectStore

    photos = folder.parent / "photos"
    photos.mkdir(parents=True)
    store = ProjectStore.create(folder)
    try:
        for ind in range(3):
            tex = _texture(ind)
            row = store.create_individual(f"HW-00{ind + 1}")
            for k, (dx, dy) in enumerate([(0, 0), (40, 25)]):
                path = photos / f"ind{ind}_{k}.png"
                tex.crop((dx, dy, dx + 640, dy + 440)).save(path)
                photo = store.add_photo(path)
                store.set_box(photo.id, BoundingBox(40, 40, 600, 400), source="imported")
                store.add_sighting(photo.id, row.id)
        path = photos / "query.png"
        _texture(0).crop((70, 50, 710, 490)).save(path)
        store.add_photo(path, survey="Test")
    finally:
        store.close()
    return folder


def test_keypoint_lines_and_rerank_toggle(qtbot, window, tmp_path):
    project = _pattern_project(tmp_path / "kp" / "project")
    assert window.open_project(str(project))
    assert window.act_rerank.isChecked() and window.engine.rerank == "keypoints"
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=30_000)
    pid = window.controller.photo_id
    window.editor.set_box(BoundingBox(40, 40, 600, 400))
    qtbot.waitUntil(lambda: len(window.review.cards) >= 2, timeout=120_000)
    result = window.controller.results[pid]
    assert result.rerank == "keypoints"
    cards = window.review.cards
    assert all(c.candidate.inliers is not None for c in cards)
    assert "keypoints" in cards[0].title.text()
    assert cards[0].candidate.code == "HW-001" and cards[0].candidate.inliers >= 6
    # The compare view with the lines on: one line per verified match inside both crops.
    window.review.select(0)
    window.center.setCurrentIndex(1)
    window.compare.show_keypoints.setChecked(True)
    assert window.compare.stack.currentIndex() == 1
    qtbot.waitUntil(lambda: window.compare.keypoint_line_count() > 0, timeout=30_000)
    assert "keypoint matches" in window.compare.keypoint_label.text()
    assert window.compare.keypoint_line_count() <= cards[0].candidate.inliers
    # Another candidate: the lines follow the selection (few or none for another individual).
    window.review.select(1)
    qtbot.waitUntil(lambda: "keypoint" in window.compare.keypoint_label.text()
                    and "\u2026" not in window.compare.keypoint_label.text(), timeout=30_000)
    # Off again: back to the synced pair.
    window.compare.show_keypoints.setChecked(False)
    assert window.compare.stack.currentIndex() == 0

    # The menu toggle turns re-ranking off (saved in the project) and ranks again.
    window.act_rerank.trigger()
    assert window.store.settings["rerank"] == "none" and window.engine.rerank == "none"
    qtbot.waitUntil(lambda: pid in window.controller.results
                    and window.controller.results[pid].rerank == "none", timeout=120_000)
    assert all(c.candidate.inliers is None for c in window.review.cards)
    # The trailing edge (fin catalogs) joins the keypoints: both on, saved, and ranked again with it.
    window.act_fin_edges.trigger()
    assert window.act_rerank.isChecked() and window.act_fin_edges.isChecked()
    assert window.store.settings["rerank"] == "fin-edges" and window.engine.rerank == "fin-edges"
    qtbot.waitUntil(lambda: pid in window.controller.results
                    and window.controller.results[pid].rerank == "fin-edges", timeout=120_000)
    # Keypoint re-ranking off takes the edge with it; reopened, the project keeps its setting.
    window.act_rerank.trigger()
    assert window.store.settings["rerank"] == "none"
    assert not window.act_rerank.isChecked() and not window.act_fin_edges.isChecked()
    window.act_fin_edges.trigger()
    assert window.open_project(str(project))
    assert window.act_rerank.isChecked() and window.act_fin_edges.isChecked() and window.engine.rerank == "fin-edges"
    assert window.last_error is None


class FakeBoxModel:
    weights_id = "fake-box-1"

    def __init__(self):
        self.calls = 0

    def propose(self, path):
        self.calls += 1
        from PIL import Image

        w, h = Image.open(path).size
        return BoundingBox(w * 0.2, h * 0.2, w * 0.8, h * 0.7)


def test_proposals_for_every_unboxed_photo(qtbot, window, demo_project, monkeypatch):
    with ProjectStore.open(demo_project, read_only=True) as s:  # the demo keeps none when a box model exists
        assert s.proposals() == {}
    model = FakeBoxModel()
    monkeypatch.setattr(box_proposals, "PROPOSER_FACTORY", lambda: model)
    assert window.open_project(str(demo_project))
    store = window.store
    unboxed = store.photos(status="needs_box")
    assert unboxed
    paths = {str(p.path.resolve()) for p in unboxed}
    qtbot.waitUntil(lambda: paths <= set(window.controller.proposals), timeout=30_000)
    qtbot.waitUntil(lambda: not window.pool.running("box-proposals"), timeout=10_000)
    assert "Box model: on" in window.box_label.text()
    kept = store.proposals()  # in the catalog: every reviewer of a shared catalog sees them
    assert set(kept) == {p.id for p in unboxed} and {m for _b, m in kept.values()} == {"fake-box-1"}
    assert not (demo_project / box_proposals.PROPOSALS_CSV).exists()
    # A proposal is not a box: the photos still need one.
    assert {p.id for p in store.photos(status="needs_box")} == {p.id for p in unboxed}
    # Shown dashed on the current photo; A accepts it as a box of source "proposed".
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=20_000)
    pid = window.controller.photo_id
    window.editor.accept_proposal()
    assert store.box(pid) is not None and store.box(pid).source == "proposed"
    # Reopening does not propose again for the same model.
    calls = model.calls
    window.close_project()
    assert window.open_project(str(demo_project))
    qtbot.waitUntil(lambda: not window.pool.running("box-proposals"), timeout=10_000)
    assert model.calls == calls
