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

from whaleid_gui.application.others_decisions import OthersDecisions

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
        self._others: tuple[object, OthersDecisions] | None = None  # (store, its follower)
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
        store = self.controller.store
        if self._others is None or self._others[0] is not store:
            self._others = (store, OthersDecisions(store.user))
        follower = self._others[1]
        try:
            refresh = self.controller.session.poll()
            if refresh.changed:
                if refresh.photos is None:  # photos were added: the whole queue
                    self.controller.refresh_queue()
                elif refresh.photos:
                    self.controller.queue.update_photos(refresh.photos)
                    self.controller.follow_boxes_moved_elsewhere([p.id for p in refresh.photos])
        except Exception as exc:  # a busy or unreachable database: say so, try again next tick
            self.controller.status_message.emit(f"Could not look for other reviewers' changes: {exc}")
            return
        if refresh.changed:
            self.controller.store_changed.emit()  # the catalog view reloads (now or when shown)
        self.show_claim(refresh.claim)
        if refresh.changed or not follower.seeded:  # its first look: what is there now
            try:
                growth = follower.look(store)
            except Exception as exc:  # tried again at the next change (its marks did not move)
                self.controller.status_message.emit(f"Could not read other reviewers' decisions: {exc}")
                return
            # their confirms grew the catalog: the rankings listing those individuals are refreshed
            self.controller.ahead.others_decided(set(growth.codes), growth.new_individual)

    def show_claim(self, claim) -> None:
        text = claim_text(claim)
        self.label.setText(text)
        self.label.setVisible(bool(text))
