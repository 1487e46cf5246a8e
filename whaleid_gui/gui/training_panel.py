"""The training panel: fine-tune the model on the project's own catalog, watch it learn, compare
it with the active model on the held-out individuals, then make it active.

Training runs in a worker (jobs.train_project); Pause holds the worker between two steps,
Cancel stops it after the current step (the last finished epoch stays on disk), Resume continues
from the run's .resume file. pyqtgraph is imported when the plots are first needed, never at
start-up.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.gui import jobs
from whaleid_gui.workers import Worker

# (key, title, y label): one small plot each, in a 3 x 2 grid
PLOTS = [("loss", "Loss", ""), ("accuracy", "Pair accuracy", ""), ("hard", "Mean score of mined hard pairs", ""),
         ("k", "K (mining randomness)", ""), ("val", "Validation MAP@5", "")]


NO_VALIDATION_MATCHES = ("n/a: validation needs individuals with 2+ photos (leave-one-out MAP@5 scores a photo "
                         "only when another photo of its individual is held out with it)")


def _fmt_seconds(s: float) -> str:
    s = int(max(s, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def parse_k_values(text: str) -> list[float]:
    """'1000, 100, 1' -> [1000.0, 100.0, 1.0]; ValueError names the bad entry."""
    out = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        try:
            v = float(part)
        except ValueError:
            raise ValueError(f"K schedule: {part!r} is not a number") from None
        if v <= 0:
            raise ValueError(f"K schedule: {part} must be above 0")
        out.append(v)
    return out


def k_text(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


class TrainingPanel(QWidget):
    status_message = Signal(str)
    activate_requested = Signal(str)  # weights path: the window stores it and re-runs matching
    run_finished = Signal(object)  # jobs.TrainOutcome

    def __init__(self, start_job, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._start_job = start_job
        self.store = None
        self.folder: Path | None = None
        self.engine = jobs.EngineConfig()
        self.worker: Worker | None = None
        self.settings: jobs.TrainSettings | None = None  # of the current / last run
        self.outcome: jobs.TrainOutcome | None = None
        self.comparison: jobs.Comparison | None = None
        self.reports: list = []
        self.plots: dict = {}
        self.curves: dict = {}
        self._points: dict[str, tuple[list, list]] = {k: ([], []) for k, _t, _y in PLOTS}
        self._k_edited = False
        self._t0 = 0.0
        self._paused_at = 0.0
        self._paused_total = 0.0
        self._fraction = 0.0

        # ---- data
        self.data_label = QLabel("Open a project to see its training data.")
        self.data_label.setObjectName("trainingData")
        self.data_label.setWordWrap(True)
        self.val_share = QDoubleSpinBox()
        self.val_share.setObjectName("valShare")
        self.val_share.setRange(0.0, 0.5)
        self.val_share.setSingleStep(0.05)
        self.val_share.setValue(0.2)
        self.val_share.setToolTip("Share of the individuals held out (whole individuals, never single photos)")
        self.val_share.valueChanged.connect(lambda _v: self.refresh_summary())
        data_box = QGroupBox("Data: the project's confirmed individuals")
        dl = QFormLayout(data_box)
        dl.addRow(self.data_label)
        dl.addRow("Validation share", self.val_share)

        # ---- model and schedule
        self.branch = QComboBox()
        self.branch.setObjectName("branch")
        self.branch.addItem("EfficientNet-Lite0 (ImageNet start)", "efficientnet-lite0")
        self.branch.addItem("Reference branch (from scratch)", "reference")
        self.objective = QComboBox()
        self.objective.setObjectName("objective")
        self.objective.addItem("Siamese head, LAP-mined pairs", "siamese")
        self.objective.addItem("ArcFace (cosine)", "arcface")
        self.fast = QCheckBox("Fast mode: freeze the early backbone, train the last stage and head")
        self.fast.setObjectName("fastMode")
        self.fast.setChecked(True)
        self.epochs = QSpinBox()
        self.epochs.setObjectName("epochs")
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(20)
        self.epochs.valueChanged.connect(self._on_epochs)
        self.image_size = QSpinBox()
        self.image_size.setObjectName("imageSize")
        self.image_size.setRange(32, 1024)
        self.image_size.setSingleStep(32)
        self.image_size.setValue(384)
        self.image_size.setSuffix(" px")
        self.lr = QDoubleSpinBox()
        self.lr.setObjectName("learningRate")
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 1e-1)
        self.lr.setSingleStep(1e-5)
        self.lr.setValue(64e-5)
        self.k_edit = QLineEdit()
        self.k_edit.setObjectName("kSchedule")
        self.k_edit.setToolTip("K per epoch (comma list; the last value repeats). The preset is SIAMESE.md's "
                               "schedule scaled to the epochs.")
        self.k_edit.textEdited.connect(lambda _t: setattr(self, "_k_edited", True))
        self.k_edit.textChanged.connect(lambda _t: self.check_k())
        self.k_error = QLabel("")  # an unparsable K schedule is said here, next to the field
        self.k_error.setObjectName("kScheduleError")
        self.k_error.setWordWrap(True)
        self.k_error.setStyleSheet("color:#b02020;")
        self.k_error.hide()
        k_reset = QPushButton("Preset")
        k_reset.setToolTip("The preset schedule for this number of epochs")
        k_reset.clicked.connect(self.reset_k)
        krow = QHBoxLayout()
        krow.addWidget(self.k_edit, 1)
        krow.addWidget(k_reset)
        self.device = QComboBox()
        self.device.setObjectName("device")
        self.device.addItem("Auto (GPU when available)", "auto")
        self.device.addItem("CPU", "cpu")
        self.device.addItem("GPU (CUDA)", "cuda")
        self.device.currentIndexChanged.connect(lambda _i: self.refresh_device())
        self.device_label = QLabel("device: checking\u2026")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setWordWrap(True)
        model_box = QGroupBox("Model and schedule")
        ml = QFormLayout(model_box)
        ml.addRow("Branch", self.branch)
        ml.addRow("Objective", self.objective)
        ml.addRow(self.fast)
        ml.addRow("Epochs", self.epochs)
        ml.addRow("Image size", self.image_size)
        ml.addRow("Learning rate", self.lr)
        ml.addRow("K schedule", krow)
        ml.addRow("", self.k_error)
        ml.addRow("Device", self.device)
        ml.addRow(self.device_label)

        # ---- run controls
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("trainStart")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("trainPause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("trainCancel")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("trainResume")
        self.resume_button.setToolTip("Continue the last stopped run from its last finished epoch, with the "
                                      "settings it started with")
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.pause_button.toggled.connect(self.set_paused)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        brow = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.cancel_button, self.resume_button):
            brow.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.time_label = QLabel("")
        self.time_label.setObjectName("timeLeft")
        self.run_label = QLabel("")
        self.run_label.setWordWrap(True)

        # ---- result and comparison
        self.compare_label = QLabel("")
        self.compare_label.setObjectName("comparison")
        self.compare_label.setWordWrap(True)
        self.compare_label.setTextFormat(Qt.TextFormat.RichText)
        self.active_score = QLabel("\u2013")
        self.active_score.setObjectName("activeMap5")
        self.new_score = QLabel("\u2013")
        self.new_score.setObjectName("newMap5")
        for lab in (self.active_score, self.new_score):
            lab.setStyleSheet("font-size:18px; font-weight:bold;")
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.active_caption = QLabel("Active model")
        self.new_caption = QLabel("New model")
        for lab in (self.active_caption, self.new_caption):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setWordWrap(True)
        self.activate_button = QPushButton("Make active")
        self.activate_button.setObjectName("makeActive")
        self.activate_button.setEnabled(False)
        self.activate_button.clicked.connect(self.make_active)
        result_box = QGroupBox("Validation MAP@5 (held-out individuals, leave-one-out)")
        rl = QVBoxLayout(result_box)
        scores = QHBoxLayout()
        for cap, val in ((self.active_caption, self.active_score), (self.new_caption, self.new_score)):
            col = QVBoxLayout()
            col.addWidget(cap)
            col.addWidget(val)
            scores.addLayout(col, 1)
        rl.addLayout(scores)
        rl.addWidget(self.compare_label)
        rl.addWidget(self.activate_button)

        left = QVBoxLayout()
        left.addWidget(data_box)
        left.addWidget(model_box)
        left.addLayout(brow)
        left.addWidget(self.progress)
        left.addWidget(self.time_label)
        left.addWidget(self.run_label)
        left.addStretch(1)
        left_w = QWidget()
        left_w.setLayout(left)
        scroll = QScrollArea()
        scroll.setWidget(left_w)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(400)
        scroll.setMaximumWidth(470)

        self.plot_host = QVBoxLayout()
        self.plot_placeholder = QLabel("The plots appear when training starts.")
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_host.addWidget(self.plot_placeholder, 1)
        right = QVBoxLayout()
        right.addLayout(self.plot_host, 1)
        right.addWidget(result_box)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)
        self.reset_k()
        self._update_buttons()

    # ------------------------------------------------------------------ project
    def set_project(self, store, folder: Path | None, engine: jobs.EngineConfig) -> None:
        self.store, self.folder, self.engine = store, folder, engine
        self.outcome = self.comparison = None
        self.settings = None
        self.run_label.clear()
        self.settings = self._interrupted_run()
        if self.settings is not None:
            self.show_settings(self.settings)
            self.run_label.setText(f"Interrupted run {Path(self.settings.out).name}: Resume continues it with the "
                                   "settings it started with (shown above).")
        self.activate_button.setEnabled(False)
        self.active_score.setText("\u2013")
        self.new_score.setText("\u2013")
        self.compare_label.clear()
        self._update_buttons()
        if store is not None:
            self.refresh_summary()
            self.refresh_device()

    def set_engine(self, engine: jobs.EngineConfig) -> None:
        self.engine = engine

    def _interrupted_run(self) -> jobs.TrainSettings | None:
        """The settings of the newest run of this project with a .resume file (a cancelled or crashed
        run), read from the <out>.settings.json the job wrote when it started (never from the form)."""
        if self.folder is None:
            return None
        states = sorted((p for p in (self.folder / "models").glob("*.pt.resume")
                         if not Path(str(p)[: -len(".pt.resume")] + ".card.json").exists()),  # finished runs have a card
                        key=lambda p: p.stat().st_mtime)
        if not states:
            return None
        out = str(states[-1])[: -len(".resume")]
        try:
            return jobs.read_train_settings(out)
        except OSError:
            why = f"its settings were not saved ({jobs.settings_path(out).name} is missing)"
        except ValueError as exc:
            why = str(exc)
        self.run_label.setText(f"Run {Path(out).name} was interrupted, but it cannot be resumed: {why}. "
                               "Start a new run.")
        return None

    def refresh_summary(self) -> None:
        if self.folder is None:
            return
        w = Worker(jobs.training_summary, str(self.folder), self.val_share.value(), 0, name="training data")
        w.result.connect(lambda summary: self.data_label.setText(summary.text()))
        w.errored.connect(lambda reason: self.data_label.setText(f"Cannot read the training data: {reason}"))
        self._start_job("training-summary", w)

    def refresh_device(self) -> None:
        self.device_label.setText("device: checking\u2026")
        w = Worker(jobs.device_report, self.device.currentData(), name="device")
        w.result.connect(self._on_device)
        w.errored.connect(lambda reason: self.device_label.setText(f"device: {reason}"))
        self._start_job("training-device", w)

    def _on_device(self, report) -> None:
        device, why = report
        self.device_label.setText(f"Training runs on: {why}")
        if device == "cpu" and not self.is_running():
            self.fast.setChecked(True)

    # ------------------------------------------------------------------ form
    def _on_epochs(self, _n: int) -> None:
        if not self._k_edited:
            self.reset_k()

    def reset_k(self) -> None:
        self.k_edit.setText(k_text(jobs.k_preset(self.epochs.value())))
        self._k_edited = False

    def check_k(self) -> bool:
        """Show a K schedule that does not parse next to the field; True when it parses."""
        try:
            parse_k_values(self.k_edit.text())
        except ValueError as exc:
            self.k_error.setText(str(exc))
            self.k_error.show()
            return False
        self.k_error.clear()
        self.k_error.hide()
        return True

    def show_settings(self, s: jobs.TrainSettings) -> None:
        """Put a run's settings in the form (an interrupted run: the values Resume will use)."""
        for combo, value in ((self.branch, s.branch), (self.objective, s.objective), (self.device, s.device)):
            i = combo.findData(value)
            if i >= 0:
                combo.setCurrentIndex(i)
        self.fast.setChecked(bool(s.fast))
        self.epochs.setValue(int(s.epochs))
        self.image_size.setValue(int(s.image_size))
        self.lr.setValue(float(s.learning_rate))
        self.val_share.blockSignals(True)  # set_project refreshes the summary once
        self.val_share.setValue(float(s.validation_fraction))
        self.val_share.blockSignals(False)
        if s.k_values:
            self.k_edit.setText(k_text(list(s.k_values)))
            self._k_edited = True
        else:
            self.reset_k()

    def _form_settings(self, out: str, resume: bool = False) -> jobs.TrainSettings:
        ks = parse_k_values(self.k_edit.text())
        return jobs.TrainSettings(
            out=out, branch=self.branch.currentData(), objective=self.objective.currentData(),
            fast=self.fast.isChecked(), epochs=self.epochs.value(), image_size=self.image_size.value(),
            learning_rate=self.lr.value(), k_values=tuple(ks) if ks else None, device=self.device.currentData(),
            validation_fraction=self.val_share.value(), init_weights=self.engine.weights, resume=resume)

    # ------------------------------------------------------------------ run
    def is_running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def start(self, resume: bool = False) -> Worker | None:
        if self.folder is None or self.is_running():
            return None
        try:
            if resume:
                if self.settings is None:
                    self.status_message.emit("Nothing to resume")
                    return None
                settings = jobs.TrainSettings(**{**self.settings.__dict__, "resume": True})
            else:
                out = self.folder / "models" / (time.strftime("%Y%m%d-%H%M%S") + ".pt")
                settings = self._form_settings(str(out))
        except ValueError as exc:
            self.check_k()
            self.status_message.emit(str(exc))
            self.run_label.setText(str(exc))
            return None
        self.settings = settings
        self.outcome = self.comparison = None
        self.activate_button.setEnabled(False)
        self.active_score.setText("\u2013")
        self.new_score.setText("\u2013")
        self.compare_label.clear()
        if not resume:
            self.reports = []
            for k in self._points:
                self._points[k] = ([], [])
        self.ensure_plots()
        self._redraw()
        self._t0 = time.monotonic()
        self._paused_total = 0.0
        self._fraction = 0.0
        self.progress.setValue(0)
        self.progress.setFormat("starting\u2026")
        self.time_label.setText("")
        self.run_label.setText(("Resuming " if resume else "Training ") + f"\u2192 {Path(settings.out).name}")
        w = Worker(jobs.train_project, str(self.folder), settings, name="training")
        w.progress.connect(self._on_event)
        w.result.connect(self._on_finished)
        w.errored.connect(self._on_error)
        w.finished.connect(self._on_worker_done)
        self.worker = w
        self._start_job("training", w)
        self._update_buttons()
        self.status_message.emit("Training started")
        return w

    def set_paused(self, paused: bool) -> None:
        if not self.is_running():
            self.pause_button.setChecked(False)
            return
        if paused:
            self.worker.pause()
            self._paused_at = time.monotonic()
            self.pause_button.setText("Continue")
            self.progress.setFormat("paused")
            self.status_message.emit("Training paused")
        else:
            self.worker.resume()
            if self._paused_at:
                self._paused_total += time.monotonic() - self._paused_at
                self._paused_at = 0.0
            self.pause_button.setText("Pause")
            self.status_message.emit("Training continues")

    def cancel(self) -> None:
        if self.is_running():
            self.worker.cancel()
            self.run_label.setText("Cancelling after the current step; the last finished epoch is kept "
                                   "(Resume continues from it).")
            self.status_message.emit("Cancelling training\u2026")

    def _on_event(self, ev) -> None:
        name = type(ev).__name__
        if name == "EpochReport":
            self.reports.append(ev)
            self._add_point(ev)
            self._set_fraction(ev.epoch / max(ev.epochs, 1), f"epoch {ev.epoch}/{ev.epochs}")
            val = "" if ev.val_map5 is None else f", val MAP@5 {ev.val_map5:.3f}"
            self.run_label.setText(f"Epoch {ev.epoch}/{ev.epochs}: loss {ev.loss:.4f}, accuracy "
                                   f"{ev.pair_accuracy:.3f}{val} ({ev.seconds:.1f} s)")
            return
        done, total = getattr(ev, "done", 0), getattr(ev, "total", 0)
        msg = getattr(ev, "message", "") or ""
        m = re.search(r"epoch (\d+)", msg)
        epochs = self.settings.epochs if self.settings else 1
        if m and total:
            self._set_fraction((int(m.group(1)) - 1 + done / total) / epochs, msg)
        else:
            self.progress.setFormat(msg or "preparing\u2026")

    def _set_fraction(self, f: float, text: str) -> None:
        f = max(self._fraction, min(f, 1.0))  # never runs backwards
        self._fraction = f
        self.progress.setValue(int(f * 1000))
        self.progress.setFormat(f"{text} \u00b7 %p%")
        elapsed = time.monotonic() - self._t0 - self._paused_total
        if f > 0.0 and elapsed > 0:
            self.time_label.setText(f"Elapsed {_fmt_seconds(elapsed)} \u00b7 about {_fmt_seconds(elapsed * (1 - f) / f)} "
                                    "left")

    def _on_finished(self, outcome: jobs.TrainOutcome) -> None:
        self.outcome = outcome
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self.time_label.setText(f"Finished in {_fmt_seconds(time.monotonic() - self._t0 - self._paused_total)}")
        self.run_label.setText(f"New weights {outcome.weights_id} saved to {outcome.weights} (model card "
                               f"{Path(outcome.card).name}). Comparing with the active model\u2026")
        self._record_run(outcome)
        self.run_finished.emit(outcome)
        self.compare()

    def _on_error(self, reason: str) -> None:
        self.run_label.setText(f"Training failed: {reason}")
        self.progress.setFormat("failed")
        self.status_message.emit(f"Training failed: {reason}")

    def _on_worker_done(self) -> None:
        if self.worker is not None and self.worker.cancelled and self.outcome is None:
            self.progress.setFormat("cancelled")
            done = self.reports[-1].epoch if self.reports else 0
            self.run_label.setText(f"Cancelled after {done} finished epoch(s). Resume continues from there.")
            self.status_message.emit("Training cancelled")
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self._update_buttons()

    def _record_run(self, outcome: jobs.TrainOutcome, comparison: jobs.Comparison | None = None) -> None:
        if self.store is None or self.store.read_only:
            return
        last = outcome.reports[-1] if outcome.reports else None
        metrics = {}
        if last is not None:
            metrics = {"loss": last.loss, "accuracy": last.pair_accuracy, "val_map5": last.val_map5,
                       "epochs": last.epoch}
        try:
            self.store.add_model_run(outcome.weights_id, "train", data_summary=dict(outcome.summary.__dict__),
                                     metrics={**metrics, "settings": {k: v for k, v in outcome.settings.__dict__.items()
                                                                      if k != "k_values"}},
                                     started_at=outcome.started_at, finished_at=outcome.finished_at)
        except Exception as exc:  # the weights are saved; the run record is a convenience
            self.status_message.emit(f"Model run not recorded: {exc}")

    # ------------------------------------------------------------------ comparison / activation
    def compare(self) -> Worker | None:
        if self.outcome is None or self.folder is None:
            return None
        s = self.outcome.settings
        w = Worker(jobs.compare_models, str(self.folder), self.outcome.weights, self.engine,
                   s.validation_fraction, s.seed, name="compare models")
        w.result.connect(self._on_comparison)
        w.errored.connect(lambda reason: self.compare_label.setText(f"No comparison: {reason}. You can still "
                                                                     "make the new model active."))
        w.finished.connect(lambda: self.activate_button.setEnabled(self.outcome is not None))
        self._start_job("compare-models", w)
        return w

    def _on_comparison(self, c: jobs.Comparison) -> None:
        self.comparison = c
        self.active_caption.setText(f"Active model\n{c.active_id}")
        self.new_caption.setText(f"New model\n{c.new_id}")
        if c.active_map5 != c.active_map5 or c.new_map5 != c.new_map5:  # NaN: no photo had a match to find
            for lab, v in ((self.active_score, c.active_map5), (self.new_score, c.new_map5)):
                lab.setText("n/a" if v != v else f"{v:.3f}")
            self.compare_label.setText(NO_VALIDATION_MATCHES)
            self.run_label.setText(self.run_label.text().replace("Comparing with the active model\u2026", ""))
            return
        self.active_score.setText(f"{c.active_map5:.3f}")
        self.new_score.setText(f"{c.new_map5:.3f}")
        better = c.new_map5 - c.active_map5
        verdict = ("<b style='color:#1a7f37'>better</b>" if better > 1e-9 else
                   "<b style='color:#b02020'>worse</b>" if better < -1e-9 else "<b>the same</b>")
        self.compare_label.setText(f"On {c.val_photos} photos of {c.val_individuals} held-out individuals the new "
                                   f"model is {verdict} ({better:+.3f}). Few validation photos make this noisy.")
        self.run_label.setText(self.run_label.text().replace("Comparing with the active model\u2026", ""))

    def make_active(self) -> None:
        if self.outcome is None:
            return
        self.activate_requested.emit(self.outcome.weights)
        self.activate_button.setEnabled(False)
        self.status_message.emit(f"Model {self.outcome.weights_id} is now active")

    # ------------------------------------------------------------------ plots
    def ensure_plots(self) -> None:
        """Create the plots (imports pyqtgraph the first time)."""
        if self.plots:
            return
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setObjectName("trainingPlots")
        colors = {"loss": "#d1495b", "accuracy": "#1f6fd1", "hard": "#e0822a", "k": "#6a4c93", "val": "#1a7f37"}
        for n, (key, title, _y) in enumerate(PLOTS):
            p = self.plot_widget.addPlot(row=n // 2, col=n % 2, title=title)
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("bottom", "epoch")
            if key == "k":
                p.setLogMode(y=True)
            self.plots[key] = p
            self.curves[key] = p.plot([], [], pen=pg.mkPen(colors[key], width=2), symbol="o", symbolSize=6,
                                      symbolBrush=colors[key])
        self.plot_host.removeWidget(self.plot_placeholder)
        self.plot_placeholder.hide()
        self.plot_host.addWidget(self.plot_widget, 1)

    def _add_point(self, ev) -> None:
        values = {"loss": ev.loss, "accuracy": ev.pair_accuracy, "hard": ev.hard_pair_score, "k": ev.k,
                  "val": ev.val_map5}
        for key, v in values.items():
            if v is None or v != v:  # no validation split: no point
                continue
            xs, ys = self._points[key]
            xs.append(ev.epoch)
            ys.append(float(v))
        self._redraw()

    def _redraw(self) -> None:
        for key, curve in self.curves.items():
            xs, ys = self._points[key]
            curve.setData(xs, ys)

    def point_counts(self) -> dict[str, int]:
        return {k: len(self._points[k][0]) for k in self._points}

    # ------------------------------------------------------------------ state
    def _update_buttons(self) -> None:
        running = self.is_running()
        have = self.folder is not None and self.store is not None and not self.store.read_only
        self.start_button.setEnabled(have and not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        can_resume = (self.settings is not None and self.outcome is None
                      and Path(self.settings.out + ".resume").exists())
        self.resume_button.setEnabled(have and not running and can_resume)
