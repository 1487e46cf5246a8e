"""One card per candidate (rank, thumbnail, score, context) and the new-individual threshold line
drawn among them. Scores read on the one scale of every mode (core/score_scale.py): the share of the
catalog's different-whale pairs a candidate beats; the raw score is in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout

from whaleid_gui.application.match_photos import CandidateView
from whaleid_gui.core.score_scale import EXPLANATION, percent, share_words

CARD_THUMB = QSize(132, 62)
# Set once on the widget that holds the cards (match_review.py): a style sheet per card and per
# label, set again at each selection, made building the five cards of a key press cost about
# 15 ms of Qt style work on the GUI thread (issue 15). A card only flips its two properties.
CARDS_STYLE = """
CandidateCard { border: 2px solid #c8c8c8; border-radius: 4px; background: #fafafa; }
CandidateCard[selected="true"] { border-color: #1f6fd1; background: #e9f1fc; }
CandidateCard[rejected="true"] { background: #f3e3e3; }
QLabel#cardThumb { background: #202326; color: #aaa; }
QLabel#cardDetail { color: #555; }
"""


def score_text(score: float) -> str:
    return f"{score:.2f}"


def candidate_score_words(cand: CandidateView) -> str:
    """'beats 97% of different-whale pairs', or the raw score where the catalog has no impostors."""
    return share_words(cand.share) if cand.share is not None else f"score {score_text(cand.score)}"


class CandidateCard(QFrame):
    """One candidate: rank, thumbnail of its best-matching reference photo, score and context."""

    clicked = Signal(int)  # index in the list

    def __init__(self, index: int, cand: CandidateView, blind: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.rejected = False
        self.selected = False
        self._styled: tuple[bool, bool] | None = None  # (selected, rejected) as last drawn
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb = QLabel()
        self.thumb.setFixedSize(CARD_THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setObjectName("cardThumb")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.score_line = QLabel()
        self.score_line.setObjectName("scoreWords")
        self.detail = QLabel()
        self.detail.setObjectName("cardDetail")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.title)
        text.addWidget(self.score_line)
        text.addWidget(self.bar)
        text.addWidget(self.detail)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 3, 4, 3)
        row.addWidget(self.thumb)
        row.addLayout(text, 1)
        self.set_candidate(index, cand, blind)

    def set_candidate(self, index: int, cand: CandidateView, blind: bool = False) -> None:
        """Show another candidate: the review reuses its cards from photo to photo (building five
        new ones was most of the 30 ms it took to draw a photo's stored candidates, issue 15)."""
        self.index = index
        self.candidate = cand
        self.setObjectName(f"candidate{index}")
        self.thumb.setPixmap(QPixmap())
        self.thumb.setToolTip("")
        self.thumb.setText("\u2026")
        shown = cand.share if cand.share is not None else cand.score
        self.bar.setValue(int(max(0.0, min(1.0, shown)) * 1000))
        self.set_blind(blind)
        self.selected = self.rejected = False
        self._style()

    def set_blind(self, blind: bool) -> None:
        c = self.candidate
        who = "individual #" + str(c.rank) if blind else (
            f"{c.code}" + (f" \u2014 {c.name}" if c.name else ""))
        kp = ""
        if c.inliers is not None:  # keypoint re-ranking verified this candidate
            colour = "#1a7f37" if c.inliers >= 6 else "#777"
            kp = f" &nbsp; <span style='color:{colour}'>\u2713 {c.inliers} keypoints</span>"
        self.title.setText(f"<b>{c.rank}.</b> <b>{who}</b>{kp}")
        self.score_line.setText(candidate_score_words(c))
        raw = "fused score" if c.inliers is not None else "embedding score"  # keypoints (and a fin's edge) fused
        self.title.setToolTip(f"{EXPLANATION}\n\nRaw {raw}: {score_text(c.score)}")
        self.score_line.setToolTip(self.title.toolTip())
        if c.inliers is not None:
            self.title.setToolTip(self.title.toolTip() + f"; {c.inliers} keypoint matches verified by geometry "
                                  "with the shown photo (6 or more is convincing)")
        last = c.last_seen[:10] if c.last_seen else "never"
        place = f", {c.last_place}" if c.last_place else ""
        photos = "1 photo" if c.n_photos == 1 else f"{c.n_photos} photos"
        self.detail.setText(f"{photos} \u00b7 last seen {last}{place}")

    def set_thumbnail(self, image: QImage | None, text: str = "") -> None:
        if image is None:
            self.thumb.setText(text or "no photo")
            self.thumb.setToolTip(text)
            return
        self.thumb.setPixmap(QPixmap.fromImage(image).scaled(
            CARD_THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self._style()

    def set_rejected(self, rejected: bool) -> None:
        self.rejected = rejected
        self._style()

    def _style(self) -> None:
        state = (self.selected, self.rejected)
        if state == self._styled:
            return
        self._styled = state
        self.setProperty("selected", self.selected)
        self.setProperty("rejected", self.rejected)
        self.style().unpolish(self)
        self.style().polish(self)
        font = self.title.font()
        if font.strikeOut() != self.rejected:
            font.setStrikeOut(self.rejected)
            self.title.setFont(font)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.index)
        event.accept()


class ThresholdLine(QLabel):
    """The new-individual line, drawn where the threshold falls among the candidates."""

    def __init__(self, threshold: float | None, rank: int | None = None, share: float | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("thresholdLine")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("color:#b02020; font-weight:bold; border-top:2px dashed #b02020; padding-top:1px;")
        self.set_threshold(threshold, rank, share)

    def set_threshold(self, threshold: float | None, rank: int | None = None, share: float | None = None) -> None:
        where = f"{rank}. " if rank else ""
        if threshold is not None and share is not None:  # on the candidates' scale
            self.setText(f"\u2500\u2500 {where}new individual: below {percent(share)} of different-whale "
                         f"pairs \u2500\u2500")
        else:
            t = "not set" if threshold is None else score_text(threshold)
            self.setText(f"\u2500\u2500 {where}new individual (scores below {t}) \u2500\u2500")
        self.setToolTip(EXPLANATION + ("" if threshold is None else f"\n\nRaw threshold: {score_text(threshold)}"))
