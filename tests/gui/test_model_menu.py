"""The project's model (species profile) in the Review menu: the demo's synthetic flukes use the
fluke-trained weights, any other project the general zero-shot model; a choice is saved in the
project and used for the next ranking."""

from __future__ import annotations

from whaleid_gui.core.catalog.store import ProjectStore


def test_model_menu_shows_and_saves_the_projects_model(qtbot, window, demo_project, tmp_path):
    assert window.open_project(str(demo_project))
    assert window.model_actions["flukes"].isChecked()  # the demo's model
    assert window.engine.weights == "flukes"
    window.model_actions["imagenet"].trigger()
    assert window.store.settings["weights"] == "imagenet" and window.engine.weights == "imagenet"
    assert window.model_actions["imagenet"].isChecked() and not window.model_actions["flukes"].isChecked()
    assert window.close_project()
    other = tmp_path / "plain"
    ProjectStore.create(other).close()
    assert window.open_project(str(other))
    assert window.model_actions["imagenet"].isChecked()  # no setting: the default, general model
    assert window.close_project()
    assert window.open_project(str(demo_project))
    assert window.model_actions["imagenet"].isChecked()  # the saved choice
