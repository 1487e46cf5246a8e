"""Brightness and contrast for looking at dark or hazy photos (display only).

The adjustment is applied to the QImage being shown (box editor, compare views), never to a
file or to what the model sees. ``DisplayAdjustBar`` holds the two small sliders and a Reset
button; none of them takes the focus, so the one-key review shortcuts keep working (the main
window also binds Ctrl+Up/Down and Ctrl+Left/Right to them).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

RANGE = 100  # both sliders run -RANGE..RANGE, 0 = unchanged
KEY_STEP = 10


def is_identity(brightness: int, contrast: int) -> bool:
    return brightness == 0 and contrast == 0


def adjust_image(image: QImage | None, brightness: int, contrast: int) -> QImage | None:
    """A copy of `image` with brightness (-100..100: -150..+150 levels) and contrast (-100..100:
    x0.25..x4 around mid-grey) applied; the image itself when both are 0."""
    if image is None or image.isNull() or is_identity(brightness, contrast):
        return image
    import numpy as np

    factor = 2.0 ** (contrast / 50.0)
    offset = brightness * 1.5
    lut = np.clip((np.arange(256, dtype=np.float32) - 128.0) * factor + 128.0 + offset, 0, 255).astype(np.uint8)
    src = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = src.width(), src.height(), src.bytesPerLine()
    arr = np.frombuffer(src.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)[:, : w * 3]
    out = np.ascontiguousarray(lut[arr])
    return QImage(out.data, w, h, out.strides[0], QImage.Format.Format_RGB888).copy()


class DisplayAdjustBar(QWidget):
    """Two small sliders (brightness, contrast) and Reset; emits changed(brightness, contrast)."""

    changed = Signal(int, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("displayAdjust")
        self.brightness = self._slider("brightnessSlider", "Brightness, display only (Ctrl+Up / Ctrl+Down)")
        self.contrast = self._slider("contrastSlider", "Contrast, display only (Ctrl+Right / Ctrl+Left)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("adjustReset")
        self.reset_button.setToolTip("Back to the photo as it is (Ctrl+0); also reset when paging to another photo")
        self.reset_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reset_button.clicked.connect(self.reset)
        self.value_label = QLabel()
        self.value_label.setObjectName("adjustValues")
        self.value_label.setStyleSheet("color:#555;")
        self.value_label.setMinimumWidth(70)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(4)
        row.addWidget(QLabel("Brightness"))
        row.addWidget(self.brightness)
        row.addWidget(QLabel("Contrast"))
        row.addWidget(self.contrast)
        row.addWidget(self.value_label)
        row.addWidget(self.reset_button)
        row.addStretch(1)
        self._update()

    def _slider(self, name: str, tip: str) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setObjectName(name)
        s.setRange(-RANGE, RANGE)
        s.setSingleStep(KEY_STEP)
        s.setPageStep(KEY_STEP * 2)
        s.setFixedWidth(90)
        s.setToolTip(tip)
        s.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        s.valueChanged.connect(self._update)
        return s

    def values(self) -> tuple[int, int]:
        return self.brightness.value(), self.contrast.value()

    def step_brightness(self, steps: int) -> None:
        self.brightness.setValue(self.brightness.value() + steps * KEY_STEP)

    def step_contrast(self, steps: int) -> None:
        self.contrast.setValue(self.contrast.value() + steps * KEY_STEP)

    def reset(self) -> None:
        if is_identity(*self.values()):
            return
        for s in (self.brightness, self.contrast):
            s.blockSignals(True)
            s.setValue(0)
            s.blockSignals(False)
        self._update()

    def _update(self, *_args) -> None:
        b, c = self.values()
        self.value_label.setText(f"{b:+d} / {c:+d}" if not is_identity(b, c) else "as shot")
        self.reset_button.setEnabled(not is_identity(b, c))
        self.changed.emit(b, c)
