"""Other reviewers, seen from this window: every few seconds one cheap store read (the catalog's
change counter) tells whether anyone changed individuals or decisions, and the views reload; the
same tick keeps this reviewer's claim on the photo under review alive and shows who else has it
open ("Being reviewed by ann since 14:02"), in the status bar.

It runs on the GUI thread on purpose: the poll is one primary-key read (and one small claim write)
on the window's own store connection, which belongs to this thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

POLL_MS = 4000


def claim_text(claim) -> str:
    """'Being reviewed by ann (lab-pc) since 14:02', or '' when nobody else has the photo open."""
    if claim is None:
        return ""
    return f"Being reviewed by {claim.who} ({claim.host}) since {claim.since_hhmm}"


class CatalogPoll(QObject):
    def __init__(self, controller, parent=None, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.controller = controller
        self._followed: dict[str, set[tuple[int, bool]]] = {}  # project -> (decision id, undone) followed
        self.label = QLabel()
        self.label.setObjectName("claimLabel")
        self.label.setStyleSheet("color:#8a4b00; font-weight:bold;")
        self.label.hide()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        # after the controller's own slot: the new photo's claim is made CLAIM_DELAY_MS later, so this
        # hides the last photo's label (claimed_by is None until then) and claim_known shows the new one
        controller.queue.photo_selected.connect(lambda _pid: self.show_claim(controller.session.claimed_by))
        controller.claim_known.connect(self.show_claim)  # claimed after a confirm was recorded

    def poll(self) -> None:
        """One tick: reload what others changed, refresh the claim and its label."""
        if self.controller.store is None:
            self.show_claim(None)
            return
        try:
            refresh = self.controller.session.poll()
        except Exception as exc:  # a busy or unreachable database: say so, try again next tick
            self.controller.status_message.emit(f"Could not look for other reviewers' changes: {exc}")
            return
        if refresh.changed:
            if refresh.photos is None:  # photos were added: the whole queue
                self.controller.refresh_queue()
            elif refresh.photos:
                self.controller.queue.update_photos(refresh.photos)
                self.controller.follow_boxes_moved_elsewhere([p.id for p in refresh.photos])
                self._follow_decisions_elsewhere([p.id for p in refresh.photos])
            self.controller.store_changed.emit()  # the catalog view reloads (now or when shown)
        self.show_claim(refresh.claim)

    def _follow_decisions_elsewhere(self, photo_ids: list[int]) -> None:
        """Another reviewer's confirms (or undos) grew (or shrank) the catalog: the rankings that
        list those individuals are refreshed in the background. Each decision is followed once (the
        store names the last few decisions' photos again at every change) and this reviewer's own
        were followed when made."""
        store, c = self.controller.store, self.controller
        ours = store.user
        done = self._followed.setdefault(str(c.folder), set())
        news = [d for pid in photo_ids for d in store.decisions(pid)
                if d.who != ours and d.decision in ("confirmed", "new_individual") and (d.id, d.undone) not in done]
        done.update((d.id, d.undone) for d in news)
        c.ahead.others_decided({d.individual_code for d in news if d.individual_code},
                               any(d.decision == "new_individual" for d in news))

    def show_claim(self, claim) -> None:
        text = claim_text(claim)
        self.label.setText(text)
        self.label.setVisible(bool(text))
