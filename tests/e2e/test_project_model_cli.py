"""`whaleid project model`: which model (species profile) ranks a project's photos."""

from __future__ import annotations

import pytest

from whaleid_gui.application.project_engine import EngineConfig, project_engine
from whaleid_gui.cli import main
from whaleid_gui.core.catalog.store import ProjectStore


def test_project_model_shows_sets_and_refuses(tmp_path, capsys):
    folder = tmp_path / "p"
    ProjectStore.create(folder).close()
    assert main(["project", "model", str(folder)]) == 0
    assert "imagenet (default)" in capsys.readouterr().out
    assert main(["project", "model", str(folder), "flukes"]) == 0
    with ProjectStore.open(folder, read_only=True) as store:
        assert store.settings["weights"] == "flukes"
        engine, message = project_engine(store.settings, folder, EngineConfig())
    assert engine.weights == "flukes" and message is None  # a name, not a missing file
    weights = folder / "runs" / "mine.pt"
    weights.parent.mkdir()
    weights.write_bytes(b"not checked here")
    assert main(["project", "model", str(folder), str(weights)]) == 0
    with ProjectStore.open(folder, read_only=True) as store:
        assert store.settings["weights"] == "runs/mine.pt"  # relative: the project may move
    assert main(["project", "model", str(folder), "sepia"]) == 2
    assert "neither a model name" in capsys.readouterr().err


def test_project_model_sets_the_fin_edges_profile_and_the_engine_follows(tmp_path, capsys):
    folder = tmp_path / "p"
    ProjectStore.create(folder).close()
    assert main(["project", "model", str(folder)]) == 0
    assert "re-ranking: keypoints (default)" in capsys.readouterr().out
    assert main(["project", "model", str(folder), "--rerank", "fin-edges"]) == 0
    assert "re-ranking: fin-edges" in capsys.readouterr().out
    with ProjectStore.open(folder, read_only=True) as store:
        assert store.settings["rerank"] == "fin-edges" and store.settings.get("weights") is None
        engine, _message = project_engine(store.settings, folder, EngineConfig(rerank="keypoints"))
    assert engine.rerank == "fin-edges"
    with pytest.raises(SystemExit) as refused:  # not a mode: argparse names the choices
        main(["project", "model", str(folder), "--rerank", "edges"])
    assert refused.value.code == 2 and "invalid choice: 'edges'" in capsys.readouterr().err
