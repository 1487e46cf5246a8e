"""The training panel's form: the project's training data (and the validation share held out)
and the model and schedule of a run; the K schedule is checked as it is typed, and an interrupted
run's settings can be put back in the form.

A mixin of TrainingPanel (it uses the panel's folder, engine and _start_job).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
)

from whaleid_gui.application import engine_process, train_model, train_settings
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker


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


class TrainingForm:
    """The form of TrainingPanel (see the module's docstring)."""

    _data_due = False  # the summary or the device report was asked for while the panel was hidden

    def _build_form(self) -> tuple[QGroupBox, QGroupBox]:
        """The data box and the model-and-schedule box (the panel lays them out)."""
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
        # ArcFace first: on held-out real individuals (benchmarks/RESULTS.md, train_real.py) it lifted
        # MAP@5 on every nyala fold while the Siamese pair loss sat at chance once K reached 1
        self.objective.addItem("ArcFace (cosine): best on real photos", "arcface")
        self.objective.addItem("Siamese head, LAP-mined pairs (the poster's method)", "siamese")
        # short enough for the form's column (a longer label pushed the run buttons past its edge)
        self.fast = QCheckBox("Fast mode: train only the last stage and head")
        self.fast.setToolTip("Freeze the early backbone and cache its features once: the practical choice on a CPU")
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
        self.k_edit.setToolTip("K per epoch (comma list; the last value repeats). The preset is the reference "
                               "schedule (ALGORITHM.md) scaled to the epochs.")
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
        # ArcFace mines no pairs: K means nothing there, so the field is off and says why
        self.k_reset = k_reset
        self.objective.currentIndexChanged.connect(lambda _i: self._k_for_objective())
        self._k_for_objective()
        self.device = QComboBox()
        self.device.setObjectName("device")
        self.device.addItem("Auto (GPU when available)", "auto")
        self.device.addItem("CPU", "cpu")
        self.device.addItem("GPU (CUDA)", "cuda")
        self.device.currentIndexChanged.connect(lambda _i: self.refresh_device())
        self.device_label = QLabel("device: checking\u2026")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setWordWrap(True)
        for combo in (self.branch, self.objective, self.device):
            # sized by the column, not by the longest item (which pushed the form past its edge)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)
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
        return data_box, model_box

    def refresh_summary(self) -> None:
        if self.folder is None:
            return
        if not self.isVisible():  # read when the panel is shown (TrainingPanel.event)
            self._data_due = True
            return
        w = Worker(train_model.training_summary, str(self.folder), self.val_share.value(), 0, name="training data")
        w.result.connect(lambda summary: self.data_label.setText(summary.text()))
        w.errored.connect(lambda exc: self.data_label.setText(f"Cannot read the training data: {error_text(exc)}"))
        self._start_job("training-summary", w)

    def refresh_device(self) -> None:
        if not self.isVisible():  # imports torch: when the panel is shown (TrainingPanel.event)
            self._data_due = True
            return
        self.device_label.setText("device: checking\u2026")
        w = Worker(engine_process.run, train_model.device_report, self.device.currentData(), name="device")
        w.result.connect(self._on_device)
        w.errored.connect(lambda exc: self.device_label.setText(f"device: {error_text(exc)}"))
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

    def _k_for_objective(self) -> None:
        siamese = self.objective.currentData() != "arcface"
        for widget in (self.k_edit, self.k_reset):
            widget.setEnabled(siamese)
        self.k_edit.setPlaceholderText("" if siamese else "not used by ArcFace (no pair mining)")

    def reset_k(self) -> None:
        self.k_edit.setText(k_text(train_model.k_preset(self.epochs.value())))
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

    def show_settings(self, s: train_settings.TrainSettings) -> None:
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

    def _form_settings(self, out: str, resume: bool = False) -> train_settings.TrainSettings:
        ks = parse_k_values(self.k_edit.text())
        return train_settings.TrainSettings(
            out=out, branch=self.branch.currentData(), objective=self.objective.currentData(),
            fast=self.fast.isChecked(), epochs=self.epochs.value(), image_size=self.image_size.value(),
            learning_rate=self.lr.value(), k_values=tuple(ks) if ks else None, device=self.device.currentData(),
            validation_fraction=self.val_share.value(), init_weights=self.engine.weights, resume=resume)
