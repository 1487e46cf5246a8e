"""Confirm an encounter together (Shift+C): the photos of the encounter that rank the chosen
individual first, side by side with the catalog photo each matched, confirmed in one step.

The rules (who joins, one decision per photo, one undo step) are application.encounter_batch; this
module ranks the siblings the session has no ranking for yet (one worker), shows the preview and
hands the reviewer's choice back to it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.application import photo_display
from whaleid_gui.application.encounter_batch import (
    BatchItem,
    SiblingRanked,
    confirm_together,
    missing_rankings,
    plan_batch,
    rank_siblings,
)
from whaleid_gui.application.events import Thumbnail
from whaleid_gui.application.review_session import encounter_siblings
from whaleid_gui.gui.box_editor import qimage_from_array
from whaleid_gui.gui.candidate_cards import candidate_score_words
from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

THUMB = QSize(220, 102)


def _caption(photo: Any) -> str:
    when = (photo.taken_at or "no date")[:16].replace("T", " ")
    return f"{photo.path.name} \u00b7 {when}"


class EncounterPreview(QDialog):
    """One row per photo of the encounter: its crop beside the catalog photo it matched best, the
    score in words and a tick (on for every photo that joins); photos left out say why."""

    def __init__(self, code: str, items: list[BatchItem], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("encounterPreview")
        self.setWindowTitle(f"Confirm the encounter as {code}")
        self.code = code
        self.items = items
        self.ticks: dict[int, QCheckBox] = {}
        self.pictures: dict[int, QLabel] = {}  # thumbnail key (2 * row: photo, 2 * row + 1: catalog) -> label
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Photo of this encounter</b>"), 0, 1)
        grid.addWidget(QLabel(f"<b>Best catalog photo of {code}</b>"), 0, 2)
        for row, item in enumerate(items, start=1):
            tick = QCheckBox()
            tick.setChecked(item.included)
            tick.setEnabled(item.included)
            tick.toggled.connect(self._count)
            self.ticks[row - 1] = tick
            grid.addWidget(tick, row, 0)
            for col in (1, 2):
                pic = QLabel("\u2026" if item.included or col == 1 else "")
                pic.setFixedSize(THUMB)
                pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
                pic.setStyleSheet("background:#202326;color:#aaa;")
                self.pictures[2 * (row - 1) + col - 1] = pic
                grid.addWidget(pic, row, col)
            text = QLabel()
            text.setWordWrap(True)
            if item.candidate is not None:
                text.setText(f"{_caption(item.photo)}<br><b>{candidate_score_words(item.candidate)}</b>"
                             + (" \u00b7 the photo under review" if row == 1 else ""))
            else:
                text.setText(f"{_caption(item.photo)}<br><span style='color:#777'>left out: {item.why}</span>")
            grid.addWidget(text, row, 3)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = self.buttons.addButton("Confirm", QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm_button.setObjectName("confirmEncounterButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        note = QLabel("Each photo gets its own recorded decision (its own score and rank); Undo takes "
                      "them all back in one step.")
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(820, min(140 + 112 * len(items), 680))
        self._count()

    def _count(self) -> None:
        n = len(self.chosen())
        self.confirm_button.setText(f"Confirm {n} photo{'s' if n != 1 else ''} as {self.code}")
        self.confirm_button.setEnabled(n > 0)

    def chosen(self) -> list[BatchItem]:
        return [item for row, item in enumerate(self.items) if item.included and self.ticks[row].isChecked()]

    def set_thumbnail(self, key: int, image: QImage | None, text: str = "") -> None:
        pic = self.pictures.get(key)
        if pic is None:
            return
        if image is None:
            pic.setText(text or "no photo")
            return
        pic.setPixmap(QPixmap.fromImage(image).scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation))


class EncounterBatchController(QObject):
    """Shift+C / the strip's button: rank what is missing, preview, confirm together."""

    status_message = Signal(str)

    def __init__(self, controller: Any) -> None:  # the ReviewController (it imports this module)
        super().__init__(controller)
        self.controller = controller
        self.preview: EncounterPreview | None = None

    def start(self) -> None:
        c = self.controller
        cand = c.review.selected()
        if c.store is None or c.read_only or c.photo_id is None or cand is None or cand.is_new:
            c.status_message.emit("Select the candidate the encounter shows first")
            return
        photo = c.store.photo(c.photo_id)
        siblings = [c.store.photo(p.id) for p in encounter_siblings(photo, c.queue.all_photos())]
        if not siblings:
            c.status_message.emit("No other photo of this encounter")
            return
        missing = missing_rankings(siblings, c.session.results)
        if not missing:
            self._show_preview(photo.id, cand)
            return
        pid = photo.id
        w = Worker(rank_siblings, str(c.folder), missing, c.engine, name="encounter ranking")
        w.progress.connect(self._on_progress)
        w.result.connect(lambda _n, p=pid, k=cand: p == c.photo_id and self._show_preview(p, k))
        w.errored.connect(lambda exc: c.status_message.emit(f"Ranking the encounter failed: {error_text(exc)}"))
        c.pool.start("encounter-ranking", w)
        c.status_message.emit(f"Ranking the {len(missing)} other photos of the encounter\u2026")

    def _on_progress(self, event) -> None:
        if isinstance(event, SiblingRanked):
            try:
                self.controller.session.add_result(event.result)
            except Exception as exc:  # kept in the session; the audit trail says why not
                self.controller.status_message.emit(f"Candidates not recorded: {exc}")
            self.controller.status_message.emit(f"{event.message}: {event.done} of {event.total}")

    def _show_preview(self, photo_id: int, cand) -> None:
        c = self.controller
        photo = c.store.photo(photo_id)
        siblings = [c.store.photo(p.id) for p in encounter_siblings(photo, c.queue.all_photos())]
        items = plan_batch(photo, cand, siblings, c.session.results, c.session.rejected)
        dlg = EncounterPreview(cand.code, items, c.review.window())
        self.preview = dlg
        boxes = c.store.current_boxes()
        thumbs = []
        for row, item in enumerate(items):
            b = boxes.get(item.photo.id)
            thumbs.append((2 * row, str(item.photo.path), *photo_display.box_parts(b)))
            cand = item.candidate
            if cand is not None and cand.image is not None:
                thumbs.append((2 * row + 1, str(cand.image), *photo_display.box_parts(cand)))
        w = Worker(photo_display.thumbnails, thumbs, 220, name="encounter thumbs")
        w.progress.connect(lambda ev: isinstance(ev, Thumbnail) and dlg.set_thumbnail(ev.key, qimage_from_array(ev.image)))
        c.pool.start("encounter-thumbs", w)
        dlg.accepted.connect(lambda: self.confirm(dlg.chosen()))
        dlg.open()

    def confirm(self, items: list[BatchItem]) -> None:
        c = self.controller
        c.finish_decisions()  # a confirm still being recorded goes first in the undo history
        try:
            batch = confirm_together(c.session, items)
        except Exception as exc:
            c.refresh_queue()
            c._fail(f"The encounter could not be confirmed: {exc}")
            return
        if batch is None:
            return
        c.queue.update_photos([c.store.photo(d.photo_id) for d in batch.decisions])
        c.status_message.emit(f"Confirmed {len(batch.decisions)} photos as {batch.code} (Ctrl+Z undoes all)")
        c._advance()
