"""The training panel: fine-tune the model on the project's own catalog, watch it learn, compare
it with the active model on the held-out individuals, then make it active.

Training runs in a worker (train_model.train_project); Pause holds the worker between two steps,
Cancel stops it after the current step (the last finished epoch stays on disk), Resume continues
from the run's .resume file. This file holds the run control; the form is in training_form.py,
the plots in training_plots.py, the comparison and activation in training_result.py.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

from whaleid_gui.application import compare_models, train_model, train_settings
from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.application.train_verdict import epoch_line, run_verdict
from whaleid_gui.core.torch_preload import start_preload
from whaleid_gui.core.training_events import EpochProgress, EpochReport, StartingPoint
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.gui.training_form import TrainingForm
from whaleid_gui.gui.training_plots import TrainingPlots
from whaleid_gui.gui.training_result import TrainingResult
from whaleid_gui.workers import Worker


def _fmt_seconds(s: float) -> str:
    s = int(max(s, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class TrainingPanel(TrainingForm, TrainingPlots, TrainingResult, QWidget):
    status_message = Signal(str)
    activate_requested = Signal(str)  # weights path: the window stores it and re-runs matching
    run_finished = Signal(object)  # train_model.TrainOutcome

    def __init__(self, start_job, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._start_job = start_job
        self.store = None
        self.folder: Path | None = None
        self.engine = EngineConfig()
        self.worker: Worker | None = None
        self.settings: train_settings.TrainSettings | None = None  # of the current / last run
        self.outcome: train_model.TrainOutcome | None = None
        self.comparison: compare_models.Comparison | None = None
        self.reports: list = []
        self.start_val: float | None = None  # validation MAP@5 before training (StartingPoint)
        self._k_edited = False
        self._t0 = 0.0
        self._paused_at = 0.0
        self._paused_total = 0.0
        self._fraction = 0.0

        data_box, model_box = self._build_form()

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

        result_box = self._build_result_box()

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

        self._build_plot_host()
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
    def set_project(self, store, folder: Path | None, engine: EngineConfig) -> None:
        self.store, self.folder, self.engine = store, folder, engine
        self.outcome = self.comparison = None
        self.settings = None
        self._forget_run()
        self._recovered_run: str | None = None
        self.settings = self._interrupted_run()
        if self.settings is not None and self._recovered_run is not None:
            self.run_label.setText(f"Interrupted run {Path(self.settings.out).name} started before runs saved their "
                                   "settings: Resume continues it with what its saved state says (epochs, "
                                   "learning rate, K, input size); the device comes from the form.")
        elif self.settings is not None:
            self.show_settings(self.settings)
            self.run_label.setText(f"Interrupted run {Path(self.settings.out).name}: Resume continues it with the "
                                   "settings it started with (shown above).")
        self.activate_button.setEnabled(False)
        self.active_score.setText("\u2013")
        self.new_score.setText("\u2013")
        self.compare_label.clear()
        self._update_buttons()
        self._data_due = False  # what an earlier project asked for while hidden is not due any more
        if store is not None:
            self.data_label.setText("Reading the project's training data\u2026")  # not the last project's
            # now if the panel is shown, else when it is (training_form.py): the summary reads every
            # photo and both jobs import torch, competing with the first photo's match (issue 15)
            self.refresh_summary()
            self.refresh_device()

    def _forget_run(self) -> None:
        """Clear what the page shows of the last project's run: its curves, progress, time and epoch
        reports. Left, they read as this project's run, and a resume here appended its epochs to them."""
        if not self.is_running():  # the window stopped it before the switch; its late signals are in
            self.worker = None
        self.reports = []
        self.start_val = None
        for k in self._points:
            self._points[k] = ([], [])
        self._redraw()
        self._fraction = 0.0
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.time_label.clear()
        self.run_label.clear()

    def _refresh_data_if_shown(self) -> None:
        if self._data_due and self.isVisible():
            self._data_due = False
            self.refresh_summary()
            self.refresh_device()

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Show:
            # Training runs in this process (the review's matching does not): its torch libraries
            # start loading now, without the GIL, so that pressing Train does not freeze the window
            # for their dlopen (0.3-0.45 s, core/torch_preload.py).
            start_preload()
            self._refresh_data_if_shown()
        return super().event(e)

    def set_engine(self, engine: EngineConfig) -> None:
        self.engine = engine

    def _interrupted_run(self) -> train_settings.TrainSettings | None:
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
            return train_settings.read_train_settings(out)
        except OSError:  # a run from before settings were saved: its .resume state says the rest
            try:
                settings = self._form_settings(out)
            except ValueError as exc:
                why = f"its settings were not saved and the form's are not valid ({exc})"
            else:
                self._recovered_run = out
                return settings
        except ValueError as exc:
            why = str(exc)
        self.run_label.setText(f"Run {Path(out).name} was interrupted, but it cannot be resumed: {why}. "
                               "Start a new run.")
        return None

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
                settings = train_settings.TrainSettings(**{**self.settings.__dict__, "resume": True})
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
            self.start_val = None
            for k in self._points:
                self._points[k] = ([], [])
        self.ensure_plots()
        self.title_plots()
        self._redraw()
        self._t0 = time.monotonic()
        self._paused_total = 0.0
        self._fraction = 0.0
        self.progress.setValue(0)
        self.progress.setFormat("starting\u2026")
        self.time_label.setText("")
        self.run_label.setText(("Resuming " if resume else "Training ") + f"\u2192 {Path(settings.out).name}")
        w = Worker(train_model.train_project, str(self.folder), settings, name="training")
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
        if isinstance(ev, EpochReport):
            self.reports.append(ev)
            self._add_point(ev)
            self._set_fraction(ev.epoch / max(ev.epochs, 1), f"epoch {ev.epoch}/{ev.epochs}")
            val = "" if ev.val_map5 is None else f", val MAP@5 {ev.val_map5:.3f}"
            note = epoch_line(ev)
            self.run_label.setText(f"Epoch {ev.epoch}/{ev.epochs}: loss {ev.loss:.4f}, accuracy "
                                   f"{ev.pair_accuracy:.3f}{val} ({ev.seconds:.1f} s)" + (f"; {note}" if note else ""))
            return
        if isinstance(ev, StartingPoint):
            self.start_val = ev.val_map5
            self._add_start_point(ev.val_map5)
            self.run_label.setText(f"Validation MAP@5 before training: {ev.val_map5:.3f} (the line training must beat)")
            return
        msg = getattr(ev, "message", "") or ""
        if isinstance(ev, EpochProgress) and ev.total:
            epochs = self.settings.epochs if self.settings else 1
            self._set_fraction((ev.epoch - 1 + ev.done / ev.total) / epochs, msg)
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

    def _on_finished(self, outcome: train_model.TrainOutcome) -> None:
        self.outcome = outcome
        self.progress.setValue(1000)
        self.progress.setFormat("done")
        self.time_label.setText(f"Finished in {_fmt_seconds(time.monotonic() - self._t0 - self._paused_total)}")
        self.run_label.setText(f"New weights {Path(outcome.weights).name} saved to {outcome.weights} (model card "
                               f"{Path(outcome.card).name}). {run_verdict(self.start_val, self.reports)} "
                               "Comparing with the active model\u2026")
        self._record_run(outcome)
        # the status bar said "Training started" until the next message (seen on the screenshots)
        self.status_message.emit(f"Training finished: new weights {Path(outcome.weights).name}")
        self.run_finished.emit(outcome)
        self.compare()

    def _on_error(self, exc: BaseException) -> None:
        reason = error_text(exc)
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
