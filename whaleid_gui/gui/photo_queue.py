"""The photo queue: survey photos needing a box, needing a decision, done.

Filter by status and survey, sort by date, name or status; thumbnails arrive from a worker;
next/previous by keyboard (the main window owns the shortcuts). Holds only PhotoRows.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from whaleid_gui.application.review_session import next_pending

STATUS_LABEL = {"needs_box": "needs a box", "needs_decision": "needs a decision", "done": "done"}
STATUS_MARK = {"needs_box": "\u25a1", "needs_decision": "\u25a3", "done": "\u2713"}
STATUS_ORDER = {"needs_box": 0, "needs_decision": 1, "done": 2}
TODO = "todo"  # needs a box or a decision
FILTERS = [("To review", TODO), ("All photos", None), ("Needs a box", "needs_box"),
           ("Needs a decision", "needs_decision"), ("Done", "done")]
SORTS = [("Date", "date"), ("File name", "name"), ("Status", "status")]
THUMB = QSize(96, 54)


EDIT_LOG = 500  # edits kept for a list being read (hundreds of ms: a few edits at most)

class PhotoQueue(QWidget):
    photo_selected = Signal(int)  # photo id (or -1 when the list is empty)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("photoQueue")
        self._photos: list = []
        self.edits = 0  # update_photos calls so far; the rows of the last EDIT_LOG are kept:
        self._edit_log: list[tuple[int, list]] = []  # a list read meanwhile gets them laid over it
        self.awaiting_list = False  # the list is being read (queue_reader.py): edits wait for it
        self._thumbs: dict[int, QPixmap] = {}
        self._errors: dict[int, str] = {}
        self._items: dict[int, QListWidgetItem] = {}
        self._order: list[int] = []  # the ids of the list's items, top to bottom
        self._shown: int | None = None  # the photo id last announced by photo_selected

        self.status_filter = QComboBox()
        for label, value in FILTERS:
            self.status_filter.addItem(label, value)
        self.survey_filter = QComboBox()
        self.survey_filter.addItem("All surveys", None)
        self.sort_box = QComboBox()
        for label, value in SORTS:
            self.sort_box.addItem(label, value)
        for combo in (self.status_filter, self.survey_filter, self.sort_box):
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            combo.currentIndexChanged.connect(self._rebuild)

        self.hide_unusable = QCheckBox("Hide unusable")
        self.hide_unusable.setObjectName("hideUnusable")
        self.hide_unusable.setToolTip("Hide photos flagged unusable (the photo being reviewed stays until you "
                                      "move on)")
        self.hide_unusable.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide_unusable.toggled.connect(self._rebuild)

        self.list = QListWidget()
        self.list.setObjectName("photoList")
        self.list.setIconSize(THUMB)
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the review shortcuts
        self.list.currentItemChanged.connect(self._on_current)

        self.counts = QLabel()
        self.counts.setObjectName("queueCounts")
        self.counts.setWordWrap(True)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.status_filter, 3)
        top.addWidget(self.sort_box, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        title = QLabel("<b>Photo queue</b>")
        layout.addWidget(title)
        layout.addLayout(top)
        survey_row = QHBoxLayout()
        survey_row.setContentsMargins(0, 0, 0, 0)
        survey_row.addWidget(self.survey_filter, 1)
        survey_row.addWidget(self.hide_unusable)
        layout.addLayout(survey_row)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.counts)
        self.setMinimumWidth(200)

    # ------------------------------------------------------------------ data
    def set_photos(self, photos: list, keep: int | None = None, announce: bool = True) -> None:
        """Replace the rows (after any store change); keeps the current photo if still listed.
        announce=False: the current photo is not announced now; announce_current() does it later
        (a project's opening draws its list in one event-loop turn and its first photo in the next)."""
        current = keep if keep is not None else self.current_id()
        self.awaiting_list = False
        self._photos = list(photos)
        surveys = sorted({p.survey for p in self._photos if p.survey})
        chosen = self.survey_filter.currentData()
        self.survey_filter.blockSignals(True)
        self.survey_filter.clear()
        self.survey_filter.addItem("All surveys", None)
        for s in surveys:
            self.survey_filter.addItem(s, s)
        idx = self.survey_filter.findData(chosen)
        self.survey_filter.setCurrentIndex(max(idx, 0))
        self.survey_filter.blockSignals(False)
        self._rebuild(select=current, announce=announce)

    def edits_since(self, edits: int) -> dict:
        """The newest row of each photo edited after the edits-th update_photos (by photo id)."""
        newer: dict = {}
        for n, rows in self._edit_log:
            if n > edits:
                newer.update((r.id, r) for r in rows)
        return newer

    def update_photos(self, rows: list) -> None:
        """Replace some rows after an edit (no store query of the whole project: stays fast
        with thousands of photos), then re-filter in memory."""
        self.edits += 1  # a list read before this edit is out of date (queue_reader.py)
        self._edit_log.append((self.edits, list(rows)))
        del self._edit_log[:-EDIT_LOG]
        if self.awaiting_list:  # not a partial queue of the edited rows: they join the list read
            return
        new = {r.id: r for r in rows}
        changed = dict(new)
        self._photos = [new.pop(p.id, p) for p in self._photos] + list(new.values())
        order = [p.id for p in self._sorted()]
        shown = set(order)
        if [pid for pid in self._order if pid in shown] != order:  # rows added or moved: draw anew
            self._rebuild(select=self.current_id())
            return
        # The rows stay in their order, some may leave (a decision under the "To review" filter):
        # their items are redrawn or taken out in place; rebuilding 1,000 items took tens of ms of
        # the key press that shows the next photo (benchmarks/bench_review_flow.py).
        select = self.current_id()
        self.list.blockSignals(True)
        for pid in self._order:
            if pid not in shown:
                self.list.takeItem(self.list.row(self._items.pop(pid)))
        self._order = order
        for pid, row in changed.items():
            item = self._items.get(pid)
            if item is not None:
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
                self._decorate(item, row)
        self._select_after_update(select)

    def _select_after_update(self, select: int | None, announce: bool = True) -> None:
        """Keep `select` current if it is still listed (else the first row), then announce a change
        (announce=False: the caller has announce_current() do it later)."""
        if select is not None and select in self._items:
            self.list.setCurrentItem(self._items[select])
        elif self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._update_counts()
        # Tell the window only when the photo changed: a refresh after an edit must not reload.
        if announce:
            self._emit_if_changed(self.current_id())

    def announce_current(self) -> None:
        """Announce the current photo if it was not yet (set_photos(announce=False))."""
        self._emit_if_changed(self.current_id())

    def set_status_filter(self, status: str | None) -> None:
        self.status_filter.setCurrentIndex(max(self.status_filter.findData(status), 0))

    def visible_ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def photo(self, photo_id: int):
        for p in self._photos:
            if p.id == photo_id:
                return p
        return None

    def all_photos(self) -> list:
        """Every row the queue holds, shown or filtered out."""
        return list(self._photos)

    def thumbnail(self, photo_id: int) -> QPixmap | None:
        return self._thumbs.get(photo_id)

    def reveal(self, photo_id: int) -> bool:
        """Select a photo; if a filter hides it, clear the filters first."""
        if self.select(photo_id):
            return True
        if self.photo(photo_id) is None:
            return False
        for w in (self.status_filter, self.survey_filter, self.hide_unusable):
            w.blockSignals(True)
        self.set_status_filter(None)
        self.survey_filter.setCurrentIndex(0)
        self.hide_unusable.setChecked(False)
        for w in (self.status_filter, self.survey_filter, self.hide_unusable):
            w.blockSignals(False)
        self._rebuild(select=photo_id)
        return self.current_id() == photo_id

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def set_thumbnail(self, photo_id: int, image: QImage) -> None:
        pm = QPixmap.fromImage(image).scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
        self._thumbs[photo_id] = pm
        item = self._items.get(photo_id)
        if item is not None:
            item.setIcon(QIcon(pm))
            if self._errors.pop(photo_id, None) is not None:  # readable again (the file replaced)
                self._decorate(item, self.photo(photo_id))

    def forget_pictures(self) -> None:
        """Another project: its photo numbers start again at 1, so the last project's thumbnails
        and unreadable marks must not be shown on this one's photos of the same number."""
        self._thumbs.clear()
        self._errors.clear()

    def drop_thumbnail(self, photo_id: int) -> None:
        self._thumbs.pop(photo_id, None)

    def has_thumbnail(self, photo_id: int) -> bool:
        return photo_id in self._thumbs

    def mark_error(self, photo_id: int, reason: str) -> None:
        """An unreadable photo: shown in red with the reason; the queue goes on."""
        self._errors[photo_id] = reason
        item = self._items.get(photo_id)
        if item is not None:
            self._decorate(item, self.photo(photo_id))

    def select(self, photo_id: int) -> bool:
        item = self._items.get(photo_id)
        if item is None:
            return False
        self.list.setCurrentItem(item)
        return True

    def step(self, delta: int) -> bool:
        """Next (+1) or previous (-1) photo in the shown order."""
        n = self.list.count()
        if n == 0:
            return False
        row = self.list.currentRow()
        new = min(max(row + delta, 0), n - 1) if row >= 0 else 0
        if new == row:
            return False
        self.list.setCurrentRow(new)
        return True

    def next_pending(self, after: int | None) -> int | None:
        """The next photo (after `after` in the shown order) that still needs work."""
        return next_pending(self.visible_ids(), {p.id: p.status for p in self._photos}, after)

    # ------------------------------------------------------------------ view
    def _sorted(self) -> list:
        status = self.status_filter.currentData()
        survey = self.survey_filter.currentData()
        hide = self.hide_unusable.isChecked()
        rows = [p for p in self._photos
                if (status is None or p.status == status or (status == TODO and p.status != "done"))
                and (survey is None or p.survey == survey)
                and not (hide and p.quality == "unusable" and p.id != self._shown)]
        how = self.sort_box.currentData()
        if how == "name":
            rows.sort(key=lambda p: (p.path.name.lower(), p.id))
        elif how == "status":
            rows.sort(key=lambda p: (STATUS_ORDER.get(p.status, 9), p.taken_at or "", p.id))
        else:
            rows.sort(key=lambda p: (p.taken_at or "9999", p.path.name.lower(), p.id))
        return rows

    def _rebuild(self, *_args, select: int | None = None, announce: bool = True) -> None:
        if select is None:
            select = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        self._items.clear()
        rows = self._sorted()
        self._order = [p.id for p in rows]
        for p in rows:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self._decorate(item, p)
            self.list.addItem(item)
            self._items[p.id] = item
        self._select_after_update(select, announce)

    def _decorate(self, item: QListWidgetItem, p) -> None:
        if p is None:
            return
        date = (p.taken_at or "")[:10] or "no date"
        err = self._errors.get(p.id)
        status = "unreadable" if err else STATUS_LABEL.get(p.status, p.status)
        quality = f"{p.quality} \u00b7 " if getattr(p, "quality", None) else ""  # first: the line is elided
        item.setText(f"{STATUS_MARK.get(p.status, '')} {p.path.name}\n{quality}{date} \u00b7 {status}")
        comment = getattr(p, "comment", None)
        item.setToolTip(err or f"{p.path}\n{p.survey or ''}" + (f"\n{comment}" if comment else ""))
        if err:
            item.setForeground(QColor("#d03030"))
        elif p.status == "done" or getattr(p, "quality", None) == "unusable":
            item.setForeground(QColor("#6a6a6a"))
        pm = self._thumbs.get(p.id)
        if pm is not None:
            item.setIcon(QIcon(pm))

    def _update_counts(self) -> None:
        n = len(self._photos)
        done = sum(p.status == "done" for p in self._photos)
        need_box = sum(p.status == "needs_box" for p in self._photos)
        need_dec = sum(p.status == "needs_decision" for p in self._photos)
        row = self.list.currentRow()
        pos = f"Photo {row + 1} of {self.list.count()}" if row >= 0 else f"{self.list.count()} shown"
        self.counts.setText(f"{pos}<br>{done} of {n} reviewed \u00b7 {need_box} need a box "
                            f"\u00b7 {need_dec} need a decision")

    def _on_current(self, current, _previous) -> None:
        self._update_counts()
        if current is not None:
            self._emit_if_changed(current.data(Qt.ItemDataRole.UserRole))

    def _emit_if_changed(self, photo_id: int | None) -> None:
        pid = -1 if photo_id is None else photo_id
        if pid != self._shown:
            self._shown = pid
            self.photo_selected.emit(pid)

    def reset_shown(self) -> None:
        """Forget which photo was announced (a new project: announce again)."""
        self._shown = None
