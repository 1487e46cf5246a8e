"""The training panel's plots: loss, pair accuracy, hard-pair score, K and validation MAP@5 per
epoch. pyqtgraph is imported when the plots are first needed, never at start-up.

A mixin of TrainingPanel (the panel adds a point per EpochReport).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout

# (key, title, y label): one small plot each, in a 3 x 2 grid
# "acc_k" plots training accuracy against K (log x): when mining makes the pairs too hard the
# accuracy falls towards chance (0.5) as K falls, which a plot per epoch hides.
PLOTS = [("loss", "Loss", "epoch"), ("accuracy", "Pair accuracy", "epoch"),
         ("hard", "Mean score of mined hard pairs", "epoch"), ("k", "K (mining randomness)", "epoch"),
         ("val", "Validation MAP@5 (epoch 0: before training)", "epoch"), ("acc_k", "Pair accuracy per K", "K")]
SIAMESE_ONLY = ("hard", "k", "acc_k")  # pair mining's plots: empty for ArcFace


class TrainingPlots:
    """The plots of TrainingPanel (see the module's docstring)."""

    def _build_plot_host(self) -> None:
        """Where the plots go; a placeholder until training starts."""
        self.plots: dict = {}
        self.curves: dict = {}
        self._points: dict[str, tuple[list, list]] = {k: ([], []) for k, _t, _y in PLOTS}
        self.plot_host = QVBoxLayout()
        self.plot_placeholder = QLabel("The plots appear when training starts.")
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_host.addWidget(self.plot_placeholder, 1)

    def ensure_plots(self) -> None:
        """Create the plots (imports pyqtgraph the first time)."""
        if self.plots:
            return
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setObjectName("trainingPlots")
        colors = {"loss": "#d1495b", "accuracy": "#1f6fd1", "hard": "#e0822a", "k": "#6a4c93", "val": "#1a7f37",
                  "acc_k": "#1f6fd1"}
        epoch_axis = _epoch_axis_class(pg)
        for n, (key, title, x_label) in enumerate(PLOTS):
            axes = {"bottom": epoch_axis(orientation="bottom")} if x_label == "epoch" else None
            p = self.plot_widget.addPlot(row=n // 2, col=n % 2, title=title, axisItems=axes)
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("bottom", x_label)
            if key == "k":
                p.setLogMode(y=True)
            if key == "acc_k":
                p.setLogMode(x=True)
                p.invertX(True)  # K falls as training goes on: read left to right
            self.plots[key] = p
            self.curves[key] = p.plot([], [], pen=pg.mkPen(colors[key], width=2), symbol="o", symbolSize=6,
                                      symbolBrush=colors[key])
        self.plot_host.removeWidget(self.plot_placeholder)
        self.plot_placeholder.hide()
        self.plot_host.addWidget(self.plot_widget, 1)

    def _siamese(self) -> bool:
        return getattr(self.settings, "objective", "siamese") == "siamese"

    def title_plots(self) -> None:
        """Titles and layout for the run's objective: ArcFace classifies photos and mines no pairs,
        so its accuracy is of photos and the three mining plots are taken off the grid (empty
        axes would fill half the panel); validation MAP@5 then spans the grid's width."""
        siamese = self._siamese()
        for key, title, _x in PLOTS:
            if key == "accuracy" and not siamese:
                title = "Training accuracy (photos classified)"
            elif key in SIAMESE_ONLY and not siamese:
                title += " (Siamese only)"
            self.plots[key].setTitle(title)
        shown = [key for key, _t, _x in PLOTS if siamese or key not in SIAMESE_ONLY]
        if self.shown_plots() == shown:
            return
        grid = self.plot_widget.ci
        for plot in list(grid.items):
            grid.removeItem(plot)
        for n, key in enumerate(shown):
            wide = n == len(shown) - 1 and n % 2 == 0  # a last plot alone on its row takes the row
            grid.addItem(self.plots[key], row=n // 2, col=n % 2, colspan=2 if wide else 1)

    def shown_plots(self) -> list[str]:
        """The plots on the grid now, in order."""
        return [k for k in self.plots if self.plots[k] in self.plot_widget.ci.items]

    def _add_point(self, ev) -> None:
        values = {"loss": ev.loss, "accuracy": ev.pair_accuracy, "val": ev.val_map5}
        if self._siamese():  # ArcFace mines no pairs: K and hard-pair scores mean nothing there
            values.update({"hard": ev.hard_pair_score, "k": ev.k})
            if ev.k > 0:
                self._append("acc_k", float(ev.k), ev.pair_accuracy)
        for key, v in values.items():
            self._append(key, ev.epoch, v)
        self._redraw()

    def _add_start_point(self, val_map5: float) -> None:
        """Validation MAP@5 of the initial model, at epoch 0: the line the epochs must beat."""
        self.ensure_plots()
        if 0 in self._points["val"][0]:  # a resumed run reports its starting point again
            return
        self._append("val", 0, val_map5)
        self._redraw()

    def _append(self, key: str, x, v) -> None:
        if v is None or v != v:  # no validation split: no point
            return
        xs, ys = self._points[key]
        xs.append(x)
        ys.append(float(v))

    def _redraw(self) -> None:
        for key, curve in self.curves.items():
            xs, ys = self._points[key]
            curve.setData(xs, ys)

    def point_counts(self) -> dict[str, int]:
        return {k: len(self._points[k][0]) for k in self._points}


def _epoch_axis_class(pg):
    """An x axis for epochs: ticks on whole epochs only (a run of a few epochs was labelled
    0.5, 1.5, ... by pyqtgraph's automatic spacing)."""

    class EpochAxis(pg.AxisItem):
        def tickSpacing(self, minVal, maxVal, size):
            levels = super().tickSpacing(minVal, maxVal, size)
            return [(max(spacing, 1.0), offset) for spacing, offset in levels]

        def tickValues(self, minVal, maxVal, size):
            return [(spacing, [v for v in values if float(v).is_integer()])
                    for spacing, values in super().tickValues(minVal, maxVal, size)]

    return EpochAxis
