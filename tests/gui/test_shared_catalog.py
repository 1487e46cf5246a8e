"""File > New with the catalog on a PostgreSQL server, and opening such a project while another
program writes it (a real throwaway server: tests/conftest.py: pg_url)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from whaleid_gui.application.new_project import create_project
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.gui.new_project_dialog import NewProjectDialog


def test_new_project_dialog_asks_for_the_url_of_a_server(qtbot, tmp_path):
    d = NewProjectDialog()
    qtbot.addWidget(d)
    d.folder.setText(str(tmp_path / "p"))
    assert d.values() == (str(tmp_path / "p"), None, "flukes") and not d.url.isEnabled()
    d.on_server.setChecked(True)
    assert d.url.isEnabled()
    d._accept()  # no URL yet: the dialog stays open and says what is missing
    assert d.result() != QDialog.DialogCode.Accepted and "URL" in d.error.text()
    d.url.setText(" postgresql://ann@db.lab.org/whales ")
    d._accept()
    assert d.result() == QDialog.DialogCode.Accepted
    assert d.values() == (str(tmp_path / "p"), "postgresql://ann@db.lab.org/whales", "flukes")


def test_a_postgresql_project_opens_while_another_program_writes_it(qtbot, window, tmp_path, pg_url):
    folder = tmp_path / "lab"
    assert window.new_project(str(folder), db_url=pg_url)
    assert window.store.backend == "postgresql" and not window.store.read_only
    assert "shared, PostgreSQL" in window.project_label.text()
    assert pg_url in window.windowTitle() and pg_url in window.project_label.toolTip()
    # another reviewer's folder on the same catalog writes while the app has it open for writing
    with ProjectStore.create(tmp_path / "bob", user="bob", db_url=pg_url) as bob:
        bob.create_individual("HW-007")
    assert [i.code for i in window.store.individuals()] == ["HW-007"]
    window.store.create_individual("HW-008")
    assert window.open_project(str(folder)) and not window.banner.isVisible()


def test_a_new_fin_project_matches_the_trailing_edge_from_the_start(qtbot, window, tmp_path):
    d = NewProjectDialog()
    qtbot.addWidget(d)
    d.folder.setText(str(tmp_path / "fins"))
    d.subject.setCurrentIndex(d.subject.findData("dorsal-fins"))
    assert "Dorsal fins" in d.subject.currentText()
    folder, url, subject = d.values()
    assert subject == "dorsal-fins" and url is None
    assert window.new_project(str(tmp_path / "flukes"))  # the default kind: keypoints, no edge
    assert window.engine.rerank == "keypoints" and not window.act_fin_edges.isChecked()
    window.act_rerank.trigger()  # re-ranking off in that project: the fin project must turn it on
    assert not window.act_rerank.isChecked()
    assert window.new_project(folder, url, subject)
    assert window.store.settings["subject"] == "dorsal-fins" and window.engine.rerank == "fin-edges"
    assert window.act_rerank.isChecked() and window.act_fin_edges.isChecked()


def test_a_reviewer_joining_a_fin_catalog_ranks_its_fins_too(qtbot, window, tmp_path, pg_url):
    store, note = create_project(tmp_path / "ann", "dorsal-fins", db_url=pg_url)
    store.close()
    assert note is None
    # Bob joins from the app with the dialog's default kind (flukes): the catalog's kind wins, and he is told
    assert window.new_project(str(tmp_path / "bob"), pg_url, "flukes")
    assert window.engine.rerank == "fin-edges" and window.act_fin_edges.isChecked()
    assert "joined a catalog of dorsal-fins photos" in window.statusBar().currentMessage().lower()
