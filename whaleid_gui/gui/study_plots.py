"""The catalog tab's study plots: discovery curve, resighting frequency, individuals per survey and
the map of sightings (one individual's, the one selected in the catalog, or all), each savable
as PNG or SVG.

The numbers are read in a worker (core.catalog.study_stats on a read-only connection) when the
plots are on screen and the catalog changed; pyqtgraph is imported when the plots are first shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.core.catalog.study_stats import FIGURES, StudyStats, study_stats_of
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

MAP_SELECTED, MAP_ALL = "selected", "all"


def load_stats(folder: str, generation: int) -> tuple[int, StudyStats]:
    """Worker job: the project's study numbers, tagged with the request they answer."""
    return generation, study_stats_of(folder)


class StudyPlots(QWidget):
    status_message = Signal(str)

    def __init__(self, start_job: Callable[[str, Worker], object], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("studyPlots")
        self._start_job = start_job
        self.folder: str | None = None
        self.stats: StudyStats | None = None
        self.selected: str | None = None
        self.plot_items: dict = {}  # figure name -> pyqtgraph PlotItem (once shown)
        self.canvas = None
        self._stale = True
        self._generation = 0
        self._last_dir = ""

        self.discovery_by = QComboBox(self)
        self.discovery_by.setObjectName("discoveryBy")
        self.discovery_by.addItem("identified photos", "photos")
        self.discovery_by.addItem("survey days", "days")
        self.discovery_by.setToolTip("The discovery curve's x axis: identified photos in date order, or the "
                                     "days with identified photos")
        self.discovery_by.currentIndexChanged.connect(self._redraw_discovery)
        self.map_scope = QComboBox(self)
        self.map_scope.setObjectName("mapScope")
        self.map_scope.addItem("All individuals", MAP_ALL)
        self.map_scope.addItem("Selected individual", MAP_SELECTED)
        self.map_scope.setToolTip("The map shows every sighting with coordinates, or those of the individual "
                                  "selected in the list")
        self.map_scope.currentIndexChanged.connect(self._redraw_map)
        self.save_button = QPushButton("Save figure\u2026", self)
        self.save_button.setObjectName("saveFigureButton")
        self.save_menu = QMenu(self.save_button)
        for name, title in FIGURES:
            action = self.save_menu.addAction(f"{title}\u2026")
            action.setData(name)
        self.save_menu.triggered.connect(self._save_action)
        self.save_button.setMenu(self.save_menu)
        self.save_button.setToolTip("Save one figure as PNG or SVG (as `whaleid report` writes it)")
        self.note = QLabel(self)
        self.note.setObjectName("studyNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Discovery curve by", self))
        controls.addWidget(self.discovery_by)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Map", self))
        controls.addWidget(self.map_scope)
        controls.addStretch(1)
        controls.addWidget(self.save_button)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 0)
        self._layout.addLayout(controls)
        self.placeholder = QLabel("Open a project to see its study plots", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self.placeholder, 1)
        self._layout.addWidget(self.note)
        self._update_controls()

    # ------------------------------------------------------------------ data
    def set_folder(self, folder: str | Path | None) -> None:
        """The open project (None: none); refresh() reads its numbers."""
        self.folder = None if folder is None else str(folder)
        self.stats = None
        self._generation += 1  # an answer for the previous project is ignored
        self._stale = True

    def set_selected(self, code: str | None) -> None:
        """The individual selected in the catalog (the map can show its sightings)."""
        if code == self.selected:
            return
        self.selected = code
        self.map_scope.setItemText(1, f"Selected individual ({code})" if code else "Selected individual")
        if self.map_scope.currentData() == MAP_SELECTED:
            self._redraw_map()

    def refresh(self) -> None:
        """The catalog changed: read the numbers again now if the plots are on screen, else when shown."""
        self._stale = True
        if self.isVisible():
            self._load()
        else:
            self._update_controls()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._ensure_plots()
        if self._stale:
            self._load()

    def _load(self) -> None:
        self._stale = False
        self._generation += 1
        if self.folder is None:
            self.stats = None
            self._redraw()
            return
        self.note.setText("Reading the catalog\u2026")
        worker = Worker(load_stats, self.folder, self._generation, name="study plots")
        worker.result.connect(self._on_stats)
        worker.errored.connect(self._on_error)
        self._start_job("study-plots", worker)

    def _on_stats(self, answer) -> None:
        generation, stats = answer
        if generation != self._generation:
            return  # a newer request (or another project) is on its way
        self.stats = stats
        self._redraw()

    def _on_error(self, exc: BaseException) -> None:
        reason = error_text(exc)
        self.note.setText(f"The study plots could not be read: {reason}")
        self.status_message.emit(f"Study plots failed: {reason}")

    # ------------------------------------------------------------------ drawing
    def _ensure_plots(self) -> None:
        if self.canvas is not None:
            return
        from whaleid_gui.gui import study_figures

        study_figures.configure()
        import pyqtgraph as pg

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setObjectName("studyPlotCanvas")
        self.canvas.ci.setSpacing(6)
        for i, (name, _title) in enumerate(FIGURES):
            plot = self.canvas.addPlot(row=i // 2, col=i % 2)
            plot.setMenuEnabled(False)
            self.plot_items[name] = plot
        self._layout.replaceWidget(self.placeholder, self.canvas)
        self.placeholder.hide()
        self._redraw()

    def options(self):
        from whaleid_gui.gui.study_figures import FigureOptions

        individual = self.selected if self.map_scope.currentData() == MAP_SELECTED else None
        return FigureOptions(discovery_by=self.discovery_by.currentData(), individual=individual)

    def _draw(self, name: str) -> None:
        if name not in self.plot_items:
            return
        from whaleid_gui.gui.study_figures import draw

        waiting = "No project open" if self.folder is None else "Reading the catalog\u2026"
        draw(self.plot_items[name], name, self.stats, self.options(), waiting=waiting)

    def _redraw(self) -> None:
        for name, _title in FIGURES:
            self._draw(name)
        self._update_controls()

    def _redraw_discovery(self, *_args) -> None:
        self._draw("discovery_curve")

    def _redraw_map(self, *_args) -> None:
        self._draw("sightings_map")

    def _update_controls(self) -> None:
        self.save_button.setEnabled(self.stats is not None)
        if self.folder is None:
            self.note.setText("")
        elif self.stats is not None:
            left = self.stats.left_out()
            self.note.setText(("Left out: " + "; ".join(left) + ".") if left else "Every photo is in the figures.")

    # ------------------------------------------------------------------ saving
    def save_figure(self, name: str, path: str | Path) -> Path:
        """Write figure `name` as drawn here (same options) to a .png or .svg file."""
        if self.stats is None:
            raise ValueError("the study numbers are not read yet")
        from whaleid_gui.gui.study_figures import save_figure

        return save_figure(name, self.stats, path, self.options(), parent=self)

    def _save_action(self, action) -> None:
        name = action.data()
        if self.stats is None:
            self.status_message.emit("The study plots are not ready yet")
            return
        title = dict(FIGURES)[name]
        start = str(Path(self._last_dir or self.folder or "") / f"{name}.png")
        path, chosen = QFileDialog.getSaveFileName(self, f"Save the {title.lower()}", start,
                                                   "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if chosen.startswith("SVG") else ".png"
        try:
            saved = self.save_figure(name, path)
        except (OSError, ValueError) as exc:
            self.status_message.emit(f"Saving the {title.lower()} failed: {exc}")
            return
        self._last_dir = str(saved.parent)
        self.status_message.emit(f"Saved {saved}")
