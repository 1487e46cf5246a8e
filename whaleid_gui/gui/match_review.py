"""The review panel: the query crop beside the five best candidates, and the decision buttons.

Renders a ``MatchResult``; asks for decisions through signals (the review controller writes
them to the store). Buttons never take the focus, so the one-key shortcuts keep working. The
cards live in candidate_cards.py, the photo's quality, comment and same-encounter strip in
photo_notes.py, the larger side-by-side view in compare_panel.py.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from whaleid_gui.application.match_photos import CandidateView, MatchResult
from whaleid_gui.gui.buttons import no_focus_button
from whaleid_gui.gui.candidate_cards import CARDS_STYLE, CandidateCard, ThresholdLine
from whaleid_gui.gui.new_individual_bar import NewIndividualBar
from whaleid_gui.gui.photo_notes import PhotoNotes


PREMADE_CARDS = 5  # the review's default top-5


class MatchReviewPanel(PhotoNotes, QWidget):
    confirm_requested = Signal(object)  # CandidateView
    reject_requested = Signal(object)  # CandidateView
    new_requested = Signal(str, str)  # code, name
    new_individual_wanted = Signal()  # the window fetches the next free code, then start_new()
    skip_requested = Signal()
    undo_requested = Signal()
    cancel_requested = Signal()
    rematch_requested = Signal()
    candidate_selected = Signal(object)  # CandidateView (None when there is none)
    candidate_clicked = Signal(int)  # a card clicked by the user: the window opens the compare view
    quality_changed = Signal(int, object)  # photo id, "good" | "fair" | "poor" | "unusable" | None
    comment_changed = Signal(int, str)  # photo id, comment ("" clears it)
    sibling_clicked = Signal(int)  # photo id of a sibling photo of the same encounter
    encounter_requested = Signal()  # confirm the encounter's photos together (gui/encounter_batch.py)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("matchReview")
        self.result: MatchResult | None = None
        self.cards: list[CandidateCard] = []
        self._selected = -1
        self._blind = False
        self._read_only = False

        self.query_view = QLabel()
        self.query_view.setObjectName("queryCrop")
        self.query_view.setFixedHeight(100)
        self.query_view.setMinimumWidth(200)
        self.query_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.query_view.setStyleSheet("background:#202326;color:#ccc;")
        self.query_caption = QLabel()
        self.query_caption.setObjectName("queryCaption")
        self.query_caption.setWordWrap(True)
        self.scope = QLabel()
        self.scope.setObjectName("searchScope")
        self.scope.setWordWrap(True)
        self.scope.setStyleSheet("color:#555;")

        self.progress = QProgressBar()
        self.progress.setObjectName("matchProgress")
        self.progress.setTextVisible(True)
        self.cancel_button = no_focus_button("Cancel", "Stop matching", "cancelMatch")
        self.cancel_button.clicked.connect(self.cancel_requested)
        prog_row = QHBoxLayout()
        prog_row.setContentsMargins(0, 0, 0, 0)
        prog_row.addWidget(self.progress, 1)
        prog_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(prog_row)
        self.progress_box.hide()

        self.message = QLabel()
        self.message.setObjectName("reviewMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = no_focus_button("Try again", "Run the matching again", "retryMatch")
        self.retry_button.clicked.connect(self.rematch_requested)
        self.retry_button.hide()

        self.cards_box = QVBoxLayout()
        self._card_pool: list[CandidateCard] = []  # every card made so far, reused photo after photo
        self._threshold_line: ThresholdLine | None = None
        self.cards_box.setSpacing(3)
        cards_widget = QWidget()
        cards_widget.setStyleSheet(CARDS_STYLE)
        cards_widget.setLayout(self.cards_box)
        self.cards_box.setContentsMargins(0, 0, 0, 0)
        # the cards of a five-candidate ranking made now, not when the first ranking arrives
        for i in range(PREMADE_CARDS):
            card = self._card(i, CandidateView(i + 1, "", 0.0))
            card.setParent(cards_widget)
            card.hide()

        self.confirm_button = no_focus_button("Confirm  [C]", "This is the selected individual (C or Enter)", "confirmButton")
        self.reject_button = no_focus_button("Reject  [X]", "Not this candidate (X)", "rejectButton")
        self.new_button = no_focus_button("New individual  [N]", "None of them: a new individual (N)", "newButton")
        self.skip_button = no_focus_button("Skip  [S]", "Decide later (S)", "skipButton")
        self.undo_button = no_focus_button("Undo", "Undo the last decision or box edit (Ctrl+Z)", "undoButton")
        self.confirm_button.setStyleSheet("font-weight:bold;")
        self.confirm_button.clicked.connect(self.confirm)
        self.reject_button.clicked.connect(self.reject)
        self.new_button.clicked.connect(self.new_individual_wanted)
        self.skip_button.clicked.connect(self.skip_requested)
        self.undo_button.clicked.connect(self.undo_requested)
        buttons = QGridLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.confirm_button, 0, 0)
        buttons.addWidget(self.reject_button, 0, 1)
        buttons.addWidget(self.new_button, 1, 0)
        buttons.addWidget(self.skip_button, 1, 1)
        buttons.addWidget(self.undo_button, 0, 2, 2, 1)
        self.new_bar = NewIndividualBar()
        self.new_bar.accepted.connect(self.new_requested)

        self.encounter_button = no_focus_button(
            "Confirm encounter\u2026", "Confirm the photos of this encounter that rank the selected individual "
            "first, after a side-by-side preview (Shift+C); Undo takes them all back", "confirmEncounter")
        self.encounter_button.clicked.connect(self.encounter_requested)
        self.encounter_button.hide()
        meta_row = self._build_photo_notes()

        self.blind_box = QCheckBox("Blind (hide IDs)")
        self.blind_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.blind_box.toggled.connect(self.set_blind)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Match review</b>"))
        head.addStretch(1)
        head.addWidget(self.blind_box)
        layout.addLayout(head)
        layout.addWidget(self.query_view)
        layout.addWidget(self.query_caption)
        layout.addLayout(meta_row)
        sibling_row = QHBoxLayout()
        sibling_row.setContentsMargins(0, 0, 0, 0)
        sibling_row.addWidget(self.siblings_label, 1)
        sibling_row.addWidget(self.encounter_button)
        layout.addLayout(sibling_row)
        layout.addWidget(self.siblings)
        layout.addWidget(self.scope)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.message)
        layout.addWidget(self.retry_button)
        layout.addWidget(cards_widget)
        layout.addStretch(1)
        layout.addWidget(self.new_bar)
        layout.addLayout(buttons)
        self.setMinimumWidth(360)
        self.clear("Select a photo in the queue.")

    # ------------------------------------------------------------------ state
    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._update_buttons()
        self._set_meta_enabled(self._meta_photo is not None)

    def clear(self, message: str = "") -> None:
        self.result = None
        self._clear_cards()
        self.progress_box.hide()
        self.retry_button.hide()
        self.new_bar.hide()
        self.scope.clear()
        self.set_message(message)
        self._update_buttons()

    def set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color:#b02020; font-weight:bold;" if error else "color:#333;")
        self.message.setVisible(bool(text))

    def set_query(self, image: QImage | None, caption: str, text: str = "") -> None:
        if image is None:
            self.query_view.setPixmap(QPixmap())
            self.query_view.setText(text or "no box yet")
        else:
            self.query_view.setPixmap(QPixmap.fromImage(image).scaled(
                self.query_view.width() or 300, self.query_view.height(),
                Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.query_caption.setText(caption)

    def set_matching(self, done: int = 0, total: int = 0, text: str = "Matching\u2026") -> None:
        self._clear_cards()
        self.retry_button.hide()
        self.set_message("")
        # set while hidden: QProgressBar.setValue repaints at once (10 ms at the opening), show() paints once later
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done if total else 0)
        self.progress.setFormat(text + (" %p%" if total else ""))
        self.progress_box.show()
        self._update_buttons()

    def set_error(self, reason: str) -> None:
        self.progress_box.hide()
        self._clear_cards()
        self.set_message(f"Matching failed: {reason}", error=True)
        self.retry_button.show()
        self._update_buttons()

    def set_result(self, result: MatchResult, rejected: set[str] = frozenset()) -> None:
        self.progress_box.hide()
        self.retry_button.hide()
        self.set_message("")
        self.result = result
        self._clear_cards()
        thr = result.threshold
        line_done = False
        idx = 0
        for cand in result.candidates:
            if cand.is_new:
                self._add_threshold_line(thr, cand.rank, result.threshold_share)
                line_done = True
                continue
            if thr is not None and not line_done and cand.score < thr:
                self._add_threshold_line(thr, None, result.threshold_share)
                line_done = True
            card = self._card(idx, cand)
            card.set_rejected(cand.code in rejected)
            self.cards_box.addWidget(card)
            card.show()
            self.cards.append(card)
            idx += 1
        if thr is not None and not line_done:
            self._add_threshold_line(thr, None, result.threshold_share)
        self.scope.setText(
            f"Model {result.model_label or result.weights_id} on {result.device} \u00b7 {result.catalog_photos} catalog photos of "
            f"{result.catalog_individuals} individuals \u00b7 ran {result.ran_at} ({result.seconds:.1f} s)"
            + (f"\n{result.rerank_note}" if result.rerank_note else ""))
        first = next((c.index for c in self.cards if not c.rejected), 0 if self.cards else -1)
        self.select(first)
        self._update_buttons()

    def set_candidate_thumbnail(self, index: int, image: QImage | None, text: str = "") -> None:
        if 0 <= index < len(self.cards):
            self.cards[index].set_thumbnail(image, text)

    def mark_rejected(self, code: str, rejected: bool = True) -> None:
        for card in self.cards:
            if card.candidate.code == code:
                card.set_rejected(rejected)

    def set_blind(self, blind: bool) -> None:
        self._blind = blind
        for c in self.cards:
            c.set_blind(blind)

    # ------------------------------------------------------------------ selection
    def selected(self) -> CandidateView | None:
        if 0 <= self._selected < len(self.cards):
            return self.cards[self._selected].candidate
        return None

    def select(self, index: int) -> None:
        if not self.cards:
            self._selected = -1
            self.candidate_selected.emit(None)
            self._update_buttons()
            return
        index = min(max(index, 0), len(self.cards) - 1)
        self._selected = index
        for c in self.cards:
            c.set_selected(c.index == index)
        self.candidate_selected.emit(self.cards[index].candidate)
        self._update_buttons()

    def move_selection(self, delta: int) -> None:
        if self.cards:
            self.select((self._selected + delta) % len(self.cards))

    def select_next_open(self) -> None:
        """After a rejection: the next candidate not yet rejected."""
        for step in range(1, len(self.cards) + 1):
            i = (self._selected + step) % len(self.cards)
            if not self.cards[i].rejected:
                self.select(i)
                return

    # ------------------------------------------------------------------ actions
    def confirm(self) -> None:
        cand = self.selected()
        if cand is not None and not self._read_only:
            self.confirm_requested.emit(cand)

    def reject(self) -> None:
        cand = self.selected()
        if cand is not None and not self._read_only:
            self.reject_requested.emit(cand)

    def start_new(self, code: str) -> None:
        if not self._read_only:
            self.new_bar.start(code)

    def _clear_cards(self) -> None:
        """Out of the list, kept for the next photo (set_result reuses them)."""
        while self.cards_box.count():
            w = self.cards_box.takeAt(0).widget()
            if w is not None:
                w.hide()
        self.cards = []
        self._selected = -1

    def _card(self, index: int, cand) -> CandidateCard:
        if index < len(self._card_pool):
            card = self._card_pool[index]
            card.set_candidate(index, cand, self._blind)
            return card
        card = CandidateCard(index, cand, self._blind)
        card.clicked.connect(self.select)
        card.clicked.connect(self.candidate_clicked)
        self._card_pool.append(card)
        return card

    def _add_threshold_line(self, threshold, rank, share) -> None:
        if self._threshold_line is None:
            self._threshold_line = ThresholdLine(threshold, rank, share)
        else:
            self._threshold_line.set_threshold(threshold, rank, share)
        self.cards_box.addWidget(self._threshold_line)
        self._threshold_line.show()

    def set_siblings(self, photos: list[tuple[int, str, str]], what: str = "") -> None:
        super().set_siblings(photos, what)
        self.encounter_button.setVisible(bool(photos))

    def _update_buttons(self) -> None:
        has = self.selected() is not None and not self._read_only
        self.encounter_button.setEnabled(has and not self.selected().is_new)
        self.confirm_button.setEnabled(has)
        self.reject_button.setEnabled(has)
        self.new_button.setEnabled(not self._read_only)
        self.skip_button.setEnabled(not self._read_only)
        self.undo_button.setEnabled(not self._read_only)


