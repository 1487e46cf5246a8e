"""The background match queue of the review screen: one worker thread that matches the photos
with a box and no decision, in review order, before the reviewer opens them.

The rules (what to match next, when a ranking is stale or dropped) are the Qt-free
application.match_ahead.MatchPlan; this object runs its job in a workers.Worker (one QThread, as
every job: see workers.py), feeds the plan from the review session and the queue, and hands each
ranking to the review controller as if the reviewer had asked for it. The controller shows a
photo's stored ranking at once; one that is being refreshed is marked "refreshing".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from whaleid_gui.application.match_ahead import (
    AheadFailed,
    AheadProgress,
    MatchPlan,
    Precomputed,
    listed_codes,
    match_ahead_job,
    review_order,
)
from whaleid_gui.application.review_session import BoxSaved, DecisionRecorded, DecisionUndone, SessionEvent
from whaleid_gui.workers import Worker

KIND = "match ahead"  # the pool's kind and the worker's name (a quiet job: stopped without asking)
REFRESHING = "Refreshing against the updated catalog\u2026 (these candidates were ranked before the last confirm)"


class MatchAhead(QObject):
    def __init__(self, controller: Any) -> None:  # the ReviewController (it imports this module)
        super().__init__(controller)
        self.controller = controller
        self.plan = MatchPlan()
        self.worker: Worker | None = None
        self._order_timer = QTimer(self)
        self._order_timer.setSingleShot(True)
        self._order_timer.setInterval(0)  # after the queue's rows took the decision's new status
        self._order_timer.timeout.connect(self.refresh_order)
        controller.session.subscribe(self._on_session_event)
        controller.queue.photo_selected.connect(self._on_photo_selected)

    # ------------------------------------------------------------------ life
    def restart(self) -> None:
        """A project opened (or closed: stop): a new plan and a new worker."""
        self.stop()
        self.plan = MatchPlan()
        c = self.controller
        if c.store is None or c.folder is None:
            return
        self.plan.engine = c.engine
        w = Worker(match_ahead_job, str(c.folder), self.plan, record=not c.read_only, name=KIND)
        w.progress.connect(self._on_event)
        w.errored.connect(lambda exc: c.status_message.emit(f"Background matching stopped: {exc}"))
        self.worker = c.pool.start(KIND, w)
        self._order_timer.start()

    def stop(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
        self.worker = None

    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    # ------------------------------------------------------------------ what the controller asks
    def request(self, photo_id: int, fresh: bool = False) -> bool:
        """The reviewer needs this photo's ranking now: it goes first (after the photo being matched).
        fresh (Match again): a ranking already on its way is dropped and the photo matched anew;
        else one on its way is what the reviewer waits for (dropping it at a project's opening
        cost the first candidates a second). False when the queue is not running (the controller
        matches it itself)."""
        if not self.running() or not self.plan.expects(photo_id):
            return False  # (not in the queue's order: a decided photo, matched by a job of its own)
        self.plan.set_engine(self.controller.engine)
        if fresh or self.plan.has_ranking(photo_id):
            # asked again for a ranking the plan counts as delivered: the controller let it go
            # (the catalog changed: results cleared), so it is computed anew
            self.plan.invalidate(photo_id)
        else:
            self.plan.retry(photo_id)
        self.plan.set_current(photo_id)
        self.plan.hold_off(0.0)  # the reviewer waits for this one: no pause
        self._order_timer.start()
        return True

    def catalog_edited(self, codes: set[str] | None) -> None:
        """A catalog-page edit touched these individuals (None: it cannot say which): the rankings
        that list one of them go at once (a merged-away individual must not stay on a card to
        click) and the queue ranks those photos again in review order; the photo on screen asks
        for its new ranking now, so its old cards give way to "Matching"."""
        c = self.controller
        gone = [pid for pid, r in c.results.items() if codes is None or codes & listed_codes(r)]
        for pid in gone:
            del c.results[pid]
        if codes is None:
            self.plan.rank_everything_again()
        else:
            self.plan.catalog_edited(gone)  # a ranking on its way is dropped too
        if c.photo_id in gone:
            c.start_matching()
        self._order_timer.start()

    def others_decided(self, codes: set[str], new_individual: bool) -> None:
        """Another reviewer confirmed (or undid) photos of these individuals: the rankings that list
        one of them are refreshed in the background, as after this reviewer's own confirm."""
        if codes or new_individual:
            self.plan.catalog_changed(codes, self.controller.session.results, new_individual=new_individual)
            self.mark_if_stale(self.controller.photo_id)

    def mark_if_stale(self, photo_id: int) -> None:
        if self.plan.is_stale(photo_id) and photo_id == self.controller.photo_id:
            self.controller.review.set_message(REFRESHING)

    def refresh_order(self) -> None:
        q = self.controller.queue
        rows = q.all_photos()
        status = {p.id: p.status for p in rows}
        visible = q.visible_ids()
        shown = set(visible)
        self.plan.set_engine(self.controller.engine)
        self.plan.set_order(review_order(list(visible) + [p.id for p in rows if p.id not in shown], status))

    def queue_changed(self) -> None:
        """The queue's rows were replaced (a list read, maybe in a worker): the order follows."""
        self._order_timer.start()

    def will_show(self, photo_id: int | None) -> None:
        """This photo's ranking goes first: the photo on screen, or at a project's opening the one
        the queue announces at the next event-loop turn, before the worker picks its first job
        (else the first candidates waited for another photo's ranking, a second on two cores)."""
        self.plan.set_current(photo_id if photo_id is not None and photo_id >= 0 else None)

    # ------------------------------------------------------------------ events
    def _on_photo_selected(self, photo_id: int) -> None:
        if self.plan.has_ranking(photo_id):  # drawn now from its stored ranking: keep the GIL free
            self.plan.hold_off()
        self.will_show(photo_id)

    def _on_session_event(self, event: SessionEvent) -> None:
        if isinstance(event, BoxSaved):
            self.plan.invalidate(event.photo_id)
        elif isinstance(event, (DecisionRecorded, DecisionUndone)):
            d = event.decision
            if d.kind in ("confirmed", "new_individual") and d.code:
                # the catalog gained (or, undone, lost) a photo of d.code: rankings listing it are stale
                self.plan.catalog_changed({d.code}, self.controller.session.results,
                                          new_individual=d.kind == "new_individual")
            self.plan.forget(d.photo_id)
            self.plan.hold_off()  # the next photo is being drawn
        self._order_timer.start()

    def _on_event(self, event) -> None:
        c = self.controller
        if isinstance(event, (Precomputed, AheadFailed)):
            c.ranking_arrived()
        if isinstance(event, Precomputed):
            verdict = self.plan.deliver(event.claim, event.result)
            if verdict == "dropped":
                return
            if event.recorded and event.result.photo_id != c.photo_id:
                c.session.add_result(event.result, recorded=True)  # no store write on this thread
                if c.pixels.is_next(event.result.photo_id):  # ranked after its pixels were loaded ahead
                    c.pixels.also_ahead(event.result.photo_id)
            else:  # shown now (and recorded here only if the queue could not)
                c._on_match_result(event.result, recorded=event.recorded)
            if verdict == "stale":
                self.mark_if_stale(event.result.photo_id)
        elif isinstance(event, AheadProgress):
            pid = event.photo_id
            if pid == c.photo_id and pid not in c.results:  # a ranking on screen is not replaced by a bar
                c._on_match_progress(pid, event.event)
        elif isinstance(event, AheadFailed):
            if event.claim.photo_id == c.photo_id:
                c._on_match_error(event.claim.photo_id, event.reason)
