"""Issue 12, point 6: the same project photo gets the same ranking everywhere.

One photo's box is turned 180 degrees and mirrored, the project's active weights are not the
shipped ones and keypoint re-ranking is on. `whaleid match --project` (a real subprocess), the
application layer called directly and the app's review controller must record/show the same
candidates, ranks and scores.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOL = 1e-6


def _perturbed_weights(folder):
    """The shipped model with its pair head nudged, saved in the project: another weights_id."""
    import torch

    from whaleid_gui.core.model import load_model, save_model

    model = load_model(None, device="cpu")
    shipped_id = model.weights_id
    gen = torch.Generator().manual_seed(12)
    with torch.no_grad():
        for p in model.head.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=gen))
    path = folder / "models" / "perturbed.pt"
    new_id = save_model(model, path)
    assert new_id != shipped_id
    return path, new_id


def _prepare(folder):
    from whaleid_gui.core.boxes import BoundingBox
    from whaleid_gui.core.catalog.store import ProjectStore

    weights, weights_id = _perturbed_weights(folder)
    store = ProjectStore.open(folder)
    try:
        photo = store.photos(status="needs_box")[0]
        w, h = photo.width, photo.height
        store.set_box(photo.id, BoundingBox(0.1 * w, 0.15 * h, 0.9 * w, 0.85 * h), rotation=180, flip=True)
        store.update_settings(weights=str(weights.relative_to(folder)), rerank="keypoints")
        row = store.box(photo.id)
        assert row.rotation == 180 and row.flip
        return photo.id, str(photo.path), weights_id
    finally:
        store.close()


def _triples(rows):
    return [(code, rank, float(score)) for code, score, rank in rows]


def _assert_same(a, b, what):
    assert [(c, r) for c, r, _s in a] == [(c, r) for c, r, _s in b], what
    for (_c, _r, sa), (_c2, _r2, sb) in zip(a, b):
        assert sa == pytest.approx(sb, abs=TOL), what


def test_cli_application_and_app_rank_the_same(qtbot, window, engine, demo_project, tmp_path):
    from whaleid_gui.application import engine_process
    from whaleid_gui.application import match_photos as mp
    from whaleid_gui.application.project_engine import project_engine
    from whaleid_gui.application.steps import run
    from whaleid_gui.core.catalog.store import ProjectStore

    folder = demo_project
    pid, path, weights_id = _prepare(folder)
    size = engine.image_size  # the app's engine size (64 px): the command line is given the same

    # 1. The command line, in its own process, with its own feature cache.
    done = subprocess.run(
        [sys.executable, "-m", "whaleid_gui", "match", "--project", str(folder), path,
         "--image-size", str(size), "--device", "cpu", "--cache-dir", str(tmp_path / "cli_cache")],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stdout + done.stderr
    store = ProjectStore.open(folder, read_only=True)
    try:
        cli = _triples(store.candidates(pid))
        cli_weights = store.candidates_weights_id(pid)
        settings = store.settings
    finally:
        store.close()
    assert cli and cli_weights == f"{weights_id}@{size}"

    # 2. The application layer, called directly with the project's engine.
    project_eng, message = project_engine(settings, folder, engine)
    assert message is None and project_eng.rerank == "keypoints"
    direct = run(mp.match_photo(folder, pid, project_eng))
    assert direct.weights_id == cli_weights
    assert (direct.query_rotation, direct.query_flip) == (180, True)
    assert direct.rerank == "keypoints", direct.rerank_note  # re-ranked, not the embedding fallback
    _assert_same(cli, [(c.code, c.rank, c.score) for c in direct.candidates], "CLI vs application layer")

    # 3. The app: a fresh process state (no prepared matcher, no model, no feature cache on disk),
    # in this process and in the engine process where the app ranks.
    mp._MATCHERS.clear()
    mp._MODELS.clear()
    engine_process.shared().shutdown()
    shutil.rmtree(folder / "cache", ignore_errors=True)
    assert window.open_project(str(folder))
    assert window.engine.rerank == "keypoints" and window.engine.weights.endswith("perturbed.pt")
    qtbot.waitUntil(lambda: window.controller.photo_id is not None, timeout=5000)  # the first photo's turn
    window.controller.show_photo(pid)
    qtbot.waitUntil(lambda: pid in window.controller.results, timeout=180_000)
    app = window.controller.results[pid]
    assert app.weights_id == cli_weights and app.rerank == direct.rerank
    _assert_same(cli, [(c.code, c.rank, c.score) for c in app.candidates], "CLI vs app")


def test_project_engine_reads_weights_and_rerank(tmp_path):
    """The project's settings on top of a base engine; explicit choices (command-line options) win."""
    from whaleid_gui.application.project_engine import EngineConfig, project_engine

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "w.pt").write_bytes(b"x")
    base = EngineConfig(weights=None, rerank="none", model_factory=lambda: None)
    eng, msg = project_engine({"weights": "models/w.pt", "rerank": "keypoints"}, tmp_path, base)
    assert msg is None and eng.weights == str(tmp_path / "models" / "w.pt") and eng.model_factory is None
    assert eng.rerank == "keypoints"
    assert project_engine({}, tmp_path, base)[0].rerank == "keypoints"  # unset: keypoints
    eng, msg = project_engine({"weights": "models/gone.pt", "rerank": "none"}, tmp_path, base)
    assert eng.weights is None and eng.model_factory is base.model_factory and eng.rerank == "none"
    assert msg == f"The project's active weights {tmp_path / 'models' / 'gone.pt'} are missing; using the default model"
    mine = EngineConfig(weights="mine.pt", rerank="none")
    eng, msg = project_engine({"weights": "models/w.pt", "rerank": "keypoints"}, tmp_path, mine,
                              keep_weights=True, keep_rerank=True)
    assert (eng.weights, eng.rerank, msg) == ("mine.pt", "none", None)
