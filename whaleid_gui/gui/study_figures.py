"""The four figures of a photo-ID study, drawn with pyqtgraph from core.catalog.study_stats.

One drawing function per figure fills a PlotItem; the catalog tab shows all four (study_plots)
and `whaleid report` saves them (save_figure). Saving paints the figure's scene with Qt itself
(a QImage at twice the size, a QSvgGenerator), not with pyqtgraph's exporters: with PySide6 6.12
pyqtgraph 0.14's SVG exporter raises on the paths Qt writes, and its image exporter enlarges
text without making room for it. Importing this module imports pyqtgraph: do it when a figure
is first needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from whaleid_gui.core.catalog.study_stats import FIGURES, StudyStats

TITLES = dict(FIGURES)
FORMATS = ("png", "svg")
EXPORT_SIZE = (900, 600)  # the saved figure's layout size in px; PNGs are written at twice that
PNG_SCALE = 2
NAVY = "#274b8a"
ORANGE = "#e0822a"
GREY = "#888888"
SURVEY_LABELS = 10  # survey names always shown beside the bars (every n-th; the rest where room)
SURVEY_NAME_CHARS = 12
MAP_LEGEND = 10  # the map of all sightings names the individuals up to this many
DATE_LABELS = 15  # one individual's map labels each point with its date up to this many points
TITLE_HEIGHT = 40  # px: a title line and a line of counts


def configure() -> None:
    """The app's plot look (the training panel sets the same options)."""
    pg.setConfigOptions(antialias=True, background="w", foreground="#333")


@dataclass(frozen=True)
class FigureOptions:
    discovery_by: str = "photos"  # photos | days
    individual: str | None = None  # the map: one individual's sightings; None = all


def draw(plot: pg.PlotItem, name: str, stats: StudyStats | None, options: FigureOptions = FigureOptions(),
         waiting: str = "Reading the catalog\u2026") -> None:
    """Clear `plot` and draw figure `name` of `stats` on it (`waiting` while there are no stats yet,
    a message when there is no data)."""
    plot.clear()
    _drop_legend(plot)
    for axis in ("bottom", "left"):
        plot.getAxis(axis).setTicks(None)
    plot.getViewBox().setAspectLocked(False)
    plot.invertY(False)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if name not in TITLES:
        raise ValueError(f"unknown figure {name!r}; use one of {', '.join(TITLES)}")
    if stats is None or not stats.sightings:
        _title(plot, TITLES[name])
        _message(plot, "No identified photos yet" if stats is not None else waiting)
        return
    {"discovery_curve": _discovery, "resighting_frequency": _resighting, "sightings_per_survey": _surveys,
     "sightings_map": _map}[name](plot, stats, options)


def _title(plot: pg.PlotItem, title: str, detail: str = "") -> None:
    """A title, and under it a smaller line of counts; neither widens the plot's column (a long
    title would otherwise push the figure beside it out of the window)."""
    text = title if not detail else f"{title}<br><span style='font-size:8pt; color:#666'>{detail}</span>"
    plot.setTitle(text)
    plot.layout.setRowFixedHeight(0, TITLE_HEIGHT)
    plot.titleLabel.setMaximumHeight(TITLE_HEIGHT)
    plot.titleLabel.setMinimumWidth(0)


def _drop_legend(plot: pg.PlotItem) -> None:
    legend = plot.legend
    if legend is None:
        return
    plot.legend = None
    legend.clear()
    if legend.scene() is not None:  # (LegendItem.setParentItem(None) raises)
        legend.scene().removeItem(legend)


def _message(plot: pg.PlotItem, text: str) -> None:
    item = pg.TextItem(text, color=GREY, anchor=(0.5, 0.5))
    plot.addItem(item)
    item.setPos(0.5, 0.5)
    plot.setXRange(0, 1)
    plot.setYRange(0, 1)


def _discovery(plot, stats: StudyStats, options: FigureOptions) -> None:
    points = stats.discovery(options.discovery_by)
    by_days = options.discovery_by == "days"
    left = f" \u00b7 {stats.undated_photos} undated, left out" if stats.undated_photos else ""
    _title(plot, "Discovery curve", f"{stats.identified_photos} identified photos{left}")
    plot.setLabel("bottom", "survey days with identified photos" if by_days else "identified photos (in date order)")
    plot.setLabel("left", "individuals (cumulative)")
    if not points:
        _message(plot, "No dated identified photos")
        return
    xs = [0] + [p.x for p in points]
    ys = [0] + [p.individuals for p in points]
    plot.plot(xs, ys, pen=pg.mkPen(NAVY, width=2), symbol="o" if len(xs) <= 80 else None, symbolSize=5,
              symbolBrush=NAVY, symbolPen=None)
    top = max(ys)
    _count_ticks(plot, "bottom", xs[-1])
    _count_ticks(plot, "left", top)
    plot.setXRange(0, xs[-1], padding=0.03)
    plot.setYRange(0, top, padding=0.06)


def _resighting(plot, stats: StudyStats, options: FigureOptions) -> None:
    plot.showGrid(x=False, y=True, alpha=0.2)
    _title(plot, "Resighting frequency", f"{len(stats.individuals)} individuals")
    plot.setLabel("bottom", "times seen (distinct days)")
    plot.setLabel("left", "individuals")
    xs = [k for k, _n in stats.resighting]
    ys = [n for _k, n in stats.resighting]
    plot.addItem(pg.BarGraphItem(x=xs, height=ys, width=0.7, brush=NAVY, pen=None))
    plot.getAxis("bottom").setTicks([[(k, str(k)) for k in xs]] if len(xs) <= 20 else None)
    for k, n in stats.resighting:
        if n:
            label = pg.TextItem(str(n), color="#333", anchor=(0.5, 1.0))
            plot.addItem(label)
            label.setPos(k, n)
    plot.setXRange(0.4, max(xs) + 0.6, padding=0)
    _count_ticks(plot, "left", max(ys))
    plot.setYRange(0, max(ys) * 1.15 + 0.5, padding=0)


def _surveys(plot, stats: StudyStats, options: FigureOptions) -> None:
    """Horizontal bars, one per survey, the first at the top: survey names stay readable."""
    surveys = stats.surveys
    plot.showGrid(x=True, y=False, alpha=0.2)
    _title(plot, "Individuals per survey", f"{len(surveys)} surveys \u00b7 "
           f"{sum(s.photos for s in surveys)} identified photos")
    plot.setLabel("left", "survey (in date order)")
    plot.setLabel("bottom", f"individuals: <span style='color:{NAVY}'>\u25a0 new</span> + "
                            f"<span style='color:{ORANGE}'>\u25a0 resighted</span>")
    ys = list(range(1, len(surveys) + 1))
    new = [s.new for s in surveys]
    again = [s.resighted for s in surveys]
    plot.addItem(pg.BarGraphItem(x0=0, y=ys, width=new, height=0.7, brush=NAVY, pen=None))
    plot.addItem(pg.BarGraphItem(x0=new, y=ys, width=again, height=0.7, brush=ORANGE, pen=None))
    step = max(1, math.ceil(len(surveys) / SURVEY_LABELS))
    names = [(y, _elide(s.survey)) for y, s in zip(ys, surveys)]
    # every step-th name always; the others where there is room (pyqtgraph drops a crowded level)
    plot.getAxis("left").setTicks([names[::step], [n for i, n in enumerate(names) if i % step]])
    plot.invertY(True)
    plot.setYRange(0.4, len(surveys) + 0.6, padding=0)
    top = max(s.individuals for s in surveys)
    _count_ticks(plot, "bottom", top)
    plot.setXRange(0, top * 1.05 + 0.2, padding=0)


def _count_ticks(plot, axis: str, top: int) -> None:
    """Whole numbers only on an axis of counts (pyqtgraph would tick 0.5 steps on a short range)."""
    if top <= 12:
        plot.getAxis(axis).setTicks([[(k, str(k)) for k in range(0, int(top) + 1)]])


def _elide(text: str) -> str:
    return text if len(text) <= SURVEY_NAME_CHARS else text[: SURVEY_NAME_CHARS - 1] + "\u2026"


def _map(plot, stats: StudyStats, options: FigureOptions) -> None:
    code = options.individual
    points = stats.map_points(code)
    missing = stats.without_coordinates(code)
    who = code or "all individuals"
    on_map = f"{len(points)} on the map" + (f" \u00b7 {missing} without coordinates" if missing else "")
    if code is None and points:
        on_map += f" \u00b7 {len({p.individual for p in points})} individuals"
    _title(plot, f"Sightings of {who}", on_map)
    plot.setLabel("bottom", "longitude (\u00b0)")
    plot.setLabel("left", "latitude (\u00b0)")
    if not points:
        _message(plot, f"No sightings of {who} with coordinates")
        return
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    mid = (min(lats) + max(lats)) / 2
    # degrees of longitude shrink with the cosine of the latitude: keep distances true on screen
    plot.getViewBox().setAspectLocked(True, ratio=max(math.cos(math.radians(mid)), 0.05))
    labelled = code is not None and len(points) <= DATE_LABELS
    if code is not None:
        plot.plot(lons, lats, pen=pg.mkPen(NAVY, width=1.5), symbol="o", symbolSize=9, symbolBrush=NAVY,
                  symbolPen="w")
        if labelled:
            for p in points:
                label = pg.TextItem(p.day or "undated", color="#333", anchor=(-0.1, 1.1))
                plot.addItem(label)
                label.setPos(p.lon, p.lat)
    else:
        codes = sorted({p.individual for p in points})
        if len(codes) <= MAP_LEGEND:
            plot.addLegend(offset=(-8, 8), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))
        for i, c in enumerate(codes):
            mine = [p for p in points if p.individual == c]
            colour = pg.intColor(i, hues=len(codes), values=1, maxValue=200)
            dots = pg.ScatterPlotItem(x=[p.lon for p in mine], y=[p.lat for p in mine], size=10,
                                      pen=pg.mkPen("w", width=0.5), brush=pg.mkBrush(colour), name=c)
            plot.addItem(dots)
    pad_lon = max((max(lons) - min(lons)) * 0.08, 0.01)
    pad_lat = max((max(lats) - min(lats)) * 0.08, 0.01)
    right = pad_lon * 3 if labelled else pad_lon  # room for the date right of the easternmost point
    plot.setXRange(min(lons) - pad_lon, max(lons) + right, padding=0)
    plot.setYRange(min(lats) - pad_lat, max(lats) + pad_lat, padding=0)


# ----------------------------------------------------------------------------- saving
def save_figure(name: str, stats: StudyStats, path: str | Path, options: FigureOptions = FigureOptions(),
                parent=None, size: tuple[int, int] = EXPORT_SIZE, fmt: str | None = None) -> Path:
    """Draw figure `name` alone at `size` and write it to `path` as `fmt` (png or svg; default: the
    path's suffix).

    The figure is laid out in a view that is never shown on screen (a child window of `parent`
    when given) and deleted later.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: save a figure as .png or .svg")
    configure()
    canvas = pg.GraphicsLayoutWidget(parent)
    try:
        canvas.setWindowFlag(Qt.WindowType.Window)
        canvas.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        canvas.resize(*size)
        plot = canvas.addPlot()
        canvas.show()  # lays the plot out at `size` (never on screen)
        draw(plot, name, stats, options)
        _settle(canvas)
        if fmt == "png":
            _save_png(canvas, plot, path)
        else:
            _save_svg(canvas, plot, path, name)
    finally:
        canvas.hide()
        canvas.deleteLater()
    return path


def _settle(canvas) -> None:
    """Let the plot lay itself out (axis widths follow their tick labels, which follow the range):
    the posted layout requests are delivered, no user input is processed."""
    for _ in range(3):
        canvas.scene().prepareForPaint()
        QCoreApplication.sendPostedEvents()


def _save_png(canvas, plot: pg.PlotItem, path: Path) -> None:
    source = plot.sceneBoundingRect()
    image = QImage(int(source.width() * PNG_SCALE), int(source.height() * PNG_SCALE), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(PNG_SCALE)
    image.fill(Qt.GlobalColor.white)
    _render(canvas, source, image)
    if not image.save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the PNG")


def _save_svg(canvas, plot: pg.PlotItem, path: Path, name: str) -> None:
    source = plot.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    # the screen's resolution: pyqtgraph records bars as QPictures, which replay scaled by the ratio
    # of the two resolutions (at the generator's default 72 dpi the bars came out 4/3 too large)
    generator.setResolution(canvas.logicalDpiX())
    generator.setTitle(TITLES[name])
    generator.setDescription("WhaleID study report")
    _render(canvas, source, generator, fill=True)


def _render(canvas, source: QRectF, device, fill: bool = False) -> None:
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("could not paint the figure")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        target = QRectF(0, 0, source.width(), source.height())
        if fill:
            painter.fillRect(target, Qt.GlobalColor.white)
        # pyqtgraph's export mode: symbols drawn as shapes, not copied from its on-screen pixmap cache
        # (an SVG got garbled bitmap fragments); the device pixel ratio scales them for the PNG
        items = [i for i in canvas.scene().items() if hasattr(i, "setExportMode")]
        for item in items:
            item.setExportMode(True, {"antialias": True, "resolutionScale": 1.0})
        try:
            canvas.scene().render(painter, target, source)
        finally:
            for item in items:
                item.setExportMode(False)
    finally:
        painter.end()
