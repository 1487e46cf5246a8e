"""`whaleid project model`: which model (species profile) ranks a project's photos."""

from __future__ import annotations

import pytest

from whaleid_gui.application.new_project import create_project
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


def test_project_create_takes_what_the_photos_show_and_the_ranking_follows(tmp_path, capsys):
    fins, flanks = tmp_path / "fins", tmp_path / "flanks"
    assert main(["project", "create", str(fins), "--subject", "dorsal-fins"]) == 0
    assert "re-ranking: fin-edges" in capsys.readouterr().out
    assert main(["project", "model", str(fins)]) == 0
    out = capsys.readouterr().out
    assert "photos show: dorsal-fins" in out and "re-ranking: fin-edges" in out
    with ProjectStore.open(fins, read_only=True) as store:
        engine, _message = project_engine(store.settings, fins, EngineConfig())
    assert engine.rerank == "fin-edges"
    assert main(["project", "create", str(flanks), "--subject", "other"]) == 0
    with ProjectStore.open(flanks, read_only=True) as store:
        assert store.settings["subject"] == "other" and store.settings["rerank"] == "keypoints"
    with pytest.raises(SystemExit) as refused:  # not a kind WhaleID knows: nothing is created
        main(["project", "create", str(tmp_path / "seals"), "--subject", "heads"])
    assert refused.value.code == 2 and "invalid choice: 'heads'" in capsys.readouterr().err
    assert not (tmp_path / "seals").exists()


def test_an_unknown_kind_creates_nothing_and_a_sqlite_project_records_its_kind(tmp_path):
    with pytest.raises(ValueError, match="heads"):
        create_project(tmp_path / "seals", "heads")
    assert not (tmp_path / "seals").exists()
    store, note = create_project(tmp_path / "fins", "dorsal-fins")
    with store:
        assert note is None and store.catalog_fact("subject") == "dorsal-fins"
        assert store.settings["rerank"] == "fin-edges" and "created_at" in store.settings


def test_a_folder_joining_a_catalog_follows_its_kind(tmp_path, capsys, pg_url):
    assert main(["project", "create", str(tmp_path / "ann"), "--db", pg_url, "--subject", "dorsal-fins"]) == 0
    capsys.readouterr()
    assert main(["project", "create", str(tmp_path / "bob"), "--db", pg_url, "--subject", "other"]) == 0
    captured = capsys.readouterr()
    assert "(dorsal-fins; re-ranking: fin-edges)" in captured.out
    assert "joined a catalog of dorsal-fins photos" in captured.err and "not other as asked" in captured.err
    with ProjectStore.open(tmp_path / "bob", read_only=True) as store:
        assert store.settings["subject"] == "dorsal-fins" and store.settings["rerank"] == "fin-edges"
