"""The catalog tab's study plots on a real project (tests/study_project.py: its numbers are worked out
by hand in tests/core/catalog/test_study_stats.py), and saving a figure as PNG and SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from gestures import click_row
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from study_project import make_study_project

from whaleid_gui.gui import study_plots
from whaleid_gui.gui.catalog_view import CatalogView
from whaleid_gui.workers import WorkerPool

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def study_folder(tmp_path):
    make_study_project(tmp_path).close()
    return tmp_path / "project"


@pytest.fixture
def catalog(qtbot, study_folder):
    """A catalog view on the study project, its workers in a real pool, the plots tab shown."""
    from whaleid_gui.core.catalog import ProjectStore

    store = ProjectStore.open(study_folder)
    pool = WorkerPool()
    view = CatalogView(pool.start, lambda title, text: True)
    qtbot.addWidget(view)
    view.resize(1300, 700)
    view.show()
    view.set_store(store)
    view.right_tabs.setCurrentWidget(view.study)
    qtbot.waitUntil(lambda: view.study.stats is not None, timeout=20_000)
    yield view
    pool.shutdown(30_000)
    store.close()


def bars(plot, length="height"):
    """The bars' lengths: heights of vertical bars, widths of horizontal ones."""
    import pyqtgraph as pg

    return [list(item.opts[length]) for item in plot.items if isinstance(item, pg.BarGraphItem)]


def curve(plot):
    xs, ys = plot.listDataItems()[0].getData()
    return list(xs), list(ys)


def test_the_catalog_tab_shows_the_plots_of_the_open_project(qtbot, window, study_folder):
    assert window.open_project(str(study_folder))
    window.act_catalog.trigger()
    study = window.catalog.study
    window.catalog.right_tabs.setCurrentWidget(study)
    qtbot.waitUntil(lambda: study.stats is not None, timeout=20_000)
    assert study.stats.project == str(study_folder)
    assert curve(study.plot_items["discovery_curve"]) == ([0, 1, 2, 3, 4, 5], [0, 1, 2, 2, 3, 3])
    assert "2 unusable photos" in study.note.text() and "1 unidentified photo" in study.note.text()


def test_plots_draw_the_numbers_and_follow_options_and_selection(qtbot, catalog):
    study = catalog.study
    plots = study.plot_items
    assert set(plots) == {"discovery_curve", "resighting_frequency", "sightings_per_survey", "sightings_map"}
    assert curve(plots["discovery_curve"]) == ([0, 1, 2, 3, 4, 5], [0, 1, 2, 2, 3, 3])
    study.discovery_by.setCurrentIndex(study.discovery_by.findData("days"))
    assert curve(plots["discovery_curve"]) == ([0, 1, 2, 3], [0, 2, 3, 3])
    assert bars(plots["resighting_frequency"]) == [[0, 2, 1]]
    assert bars(plots["sightings_per_survey"], "width") == [[2, 1, 0, 0], [0, 1, 1, 1]]  # new, resighted
    ticks = plots["sightings_per_survey"].getAxis("left")._tickLevels[0]
    assert [label for _x, label in ticks] == ["S1", "S2", "S3", "(no survey)"]
    # the map: every sighting with coordinates (4), then the selected individual's
    spots = [len(item.data) for item in plots["sightings_map"].items if hasattr(item, "points")]
    assert sum(spots) == 4
    assert "4 without coordinates" in plots["sightings_map"].titleLabel.text
    study.map_scope.setCurrentIndex(study.map_scope.findData(study_plots.MAP_SELECTED))
    click_row(qtbot, catalog.table, catalog.row_of("HW-A"))
    assert study.selected == "HW-A" and "HW-A" in study.map_scope.currentText()
    assert curve(plots["sightings_map"]) == ([-60.0, -60.2], [10.0, 10.2])
    assert "Sightings of HW-A" in plots["sightings_map"].titleLabel.text
    click_row(qtbot, catalog.table, catalog.row_of("HW-B"))
    assert curve(plots["sightings_map"]) == ([-60.1, -60.3], [10.1, 10.3])


def test_the_filter_moves_the_details_and_the_map_to_the_row_it_leaves_selected(qtbot, catalog):
    """Typing a code (Shift held for its capitals) selects the one row left, whatever was selected."""
    study = catalog.study
    study.map_scope.setCurrentIndex(study.map_scope.findData(study_plots.MAP_SELECTED))
    for clicked, typed, shown in (("HW-A", "C", "HW-C"), ("HW-D", "B", "HW-B")):
        catalog.filter.clear()
        click_row(qtbot, catalog.table, catalog.row_of(clicked))
        assert study.selected == clicked
        qtbot.keyClick(catalog.filter, getattr(Qt.Key, f"Key_{typed}"), Qt.KeyboardModifier.ShiftModifier)
        assert catalog.table.rowCount() == 1 and catalog.table.item(0, 0).text() == shown
        assert [catalog.store.individual(i).code for i in catalog.selected_ids()] == [shown]
        assert study.selected == shown and f"<b>{shown}</b>" in catalog.title.text()
        assert f"Sightings of {shown}" in study.plot_items["sightings_map"].titleLabel.text


def test_a_catalog_change_reads_the_numbers_again(qtbot, catalog):
    study = catalog.study
    first = study.stats
    a, c = catalog.store.individual_by_code("HW-A"), catalog.store.individual_by_code("HW-C")
    catalog.store.merge_individuals(a.id, c.id)
    catalog.refresh()  # what the catalog view does after each of its own edits
    qtbot.waitUntil(lambda: study.stats is not first, timeout=20_000)
    assert bars(study.plot_items["resighting_frequency"]) == [[0, 0, 2]]  # A and B, 3 occasions each


def test_save_figure_writes_png_and_svg_from_the_menu(qtbot, catalog, tmp_path, monkeypatch):
    study = catalog.study
    messages = []
    study.status_message.connect(messages.append)
    study.map_scope.setCurrentIndex(study.map_scope.findData(study_plots.MAP_SELECTED))
    click_row(qtbot, catalog.table, catalog.row_of("HW-A"))
    answers = iter([(str(tmp_path / "map.png"), "PNG image (*.png)"), (str(tmp_path / "map"), "SVG image (*.svg)")])
    monkeypatch.setattr(study_plots.QFileDialog, "getSaveFileName", lambda *a, **k: next(answers))
    action = next(a for a in study.save_menu.actions() if a.data() == "sightings_map")
    action.trigger()
    png = QImage(str(tmp_path / "map.png"))
    assert not png.isNull() and png.width() > 1200 and png.height() > 800
    colours = {png.pixel(x, y) for x in range(0, png.width(), 7) for y in range(0, png.height(), 7)}
    assert len(colours) > 10  # a drawn figure, not a blank page
    action.trigger()  # no suffix typed, SVG filter chosen: map.svg
    root = ET.parse(tmp_path / "map.svg").getroot()
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Map of sightings"
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "Sightings of HW-A" in text and "2021-07-03" in text
    assert messages[-1] == f"Saved {tmp_path / 'map.svg'}"
