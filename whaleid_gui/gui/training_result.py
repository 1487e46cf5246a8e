"""The training panel's result: the new model against the active one on the held-out individuals
(validation MAP@5), the run recorded in the project, and Make active.

A mixin of TrainingPanel (it uses the panel's outcome, folder, engine, store and signals).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from whaleid_gui.application import compare_models, train_model
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

NO_VALIDATION_MATCHES = ("n/a: validation needs individuals with 2+ photos (leave-one-out MAP@5 scores a photo "
                         "only when another photo of its individual is held out with it)")


class TrainingResult:
    """The result box of TrainingPanel (see the module's docstring)."""

    def _build_result_box(self) -> QGroupBox:
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
        return result_box

    def _record_run(self, outcome: train_model.TrainOutcome, comparison: compare_models.Comparison | None = None) -> None:
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

    def compare(self) -> Worker | None:
        if self.outcome is None or self.folder is None:
            return None
        s = self.outcome.settings
        w = Worker(compare_models.compare_models, str(self.folder), self.outcome.weights, self.engine,
                   s.validation_fraction, s.seed, name="compare models")
        w.result.connect(self._on_comparison)
        w.errored.connect(lambda exc: self.compare_label.setText(f"No comparison: {error_text(exc)}. You can still "
                                                                     "make the new model active."))
        w.finished.connect(lambda: self.activate_button.setEnabled(self.outcome is not None))
        self._start_job("compare-models", w)
        return w

    def _on_comparison(self, c: compare_models.Comparison) -> None:
        self.comparison = c
        self.active_caption.setText(f"Active model\n{c.active_label or c.active_id}")
        self.new_caption.setText(f"New model\n{c.new_label or c.new_id}")
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
        self.status_message.emit(f"Model {Path(self.outcome.weights).name} is now active")
