"""The main window's status bar: the open project, the model and box model, and one long job at a
time with its progress and a Cancel button; stopping all work before a project closes or the app
quits, with the window still painting.

A mixin of MainWindow (it uses the window's worker pool and show_error).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QEventLoop, Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from whaleid_gui.gui.error_text import error_text
from whaleid_gui.workers import Worker

# Jobs that only show something (thumbnails, a photo, the model's name): stopped without asking.
QUIET_JOBS = frozenset({"thumbnails", "catalog thumbs", "candidate thumbs", "individual photos", "engine", "photo",
                        "query", "candidate crop", "keypoints", "training data", "device", "study plots",
                        "match ahead",  # the background match queue: its work is redone on reopening
                        "queue list",  # a large project's photo list being read: read again on reopening
                        "encounter ranking", "encounter thumbs", "heat map",  # the encounter preview, Compare's map
                        "decision",  # a confirm being recorded: closing waits for it (finish_decisions)
                        "next photo"})  # the photo after the one shown, loaded ahead


class WindowStatus:
    """Status bar and running work of MainWindow (see the module's docstring)."""

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.job_label = QLabel()
        self.job_bar = QProgressBar()
        self.job_bar.setMaximumWidth(180)
        self.job_bar.setMaximumHeight(16)
        self.job_cancel = QPushButton("Cancel")
        self.job_cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.job_cancel.clicked.connect(self._cancel_job)
        for w in (self.job_label, self.job_bar, self.job_cancel):
            w.hide()
            sb.addPermanentWidget(w)
        self.project_label = QLabel("No project")
        self.engine_label = QLabel("Model: not loaded yet \u00b7 device: ?")
        self.engine_label.setObjectName("engineLabel")
        self.box_label = QLabel("")
        self.box_label.setObjectName("boxModelLabel")
        sb.addPermanentWidget(self.project_label)
        sb.addPermanentWidget(self.box_label)
        sb.addPermanentWidget(self.engine_label)
        self._job: Worker | None = None

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # ------------------------------------------------------------------ jobs in the status bar
    def _start_job(self, kind: str, worker: Worker) -> Worker:
        return self.pool.start(kind, worker)

    def run_job(self, kind: str, label: str, fn, *args, on_result=None) -> Worker:
        """A long job shown in the status bar with progress and Cancel; failure -> its reason."""
        w = Worker(fn, *args, name=kind)
        w.label = label  # named in the status bar if a newer job of this kind cancels it
        self._job = w
        self.job_label.setText(label)
        self.job_bar.setRange(0, 0)
        for x in (self.job_label, self.job_bar, self.job_cancel):
            x.show()

        def progress(ev):
            if self._job is not w:  # the status bar shows the newest job
                return
            total = getattr(ev, "total", 0)
            if total:
                self.job_bar.setRange(0, total)
                self.job_bar.setValue(getattr(ev, "done", 0))
            msg = getattr(ev, "message", "")
            if msg:
                self.job_label.setText(f"{label}: {msg}")

        def done():
            if self._job is w:
                for x in (self.job_label, self.job_bar, self.job_cancel):
                    x.hide()
                self._job = None

        w.progress.connect(progress)
        if on_result is not None:
            w.result.connect(on_result)
        w.errored.connect(lambda exc: self.show_error(f"{label} failed: {error_text(exc)}"))
        w.finished.connect(done)
        return self.pool.start(kind, w)

    def _on_superseded(self, kind: str, old: Worker) -> None:
        label = getattr(old, "label", "")
        if label:  # a status-bar job; view jobs (thumbnails, matching) are replaced without a word
            self.say(f"{label}: cancelled because a newer one started")

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.say("Cancelling\u2026")

    def running_work(self, all_jobs: bool = False) -> list[str]:
        """Names of the running jobs worth asking about (all of them with all_jobs)."""
        return sorted({w.name for w in self.pool.running() if all_jobs or w.name not in QUIET_JOBS})

    def stop_work(self, msecs: int) -> bool:
        """Cancel every job and wait up to msecs for them to end, with the window still painting and
        saying so (never a silent freeze). False if a job is still running after the wait."""
        from PySide6.QtWidgets import QApplication

        stopped = self._stop_jobs(msecs)
        # What the jobs sent just before they ended is still queued. Delivered now, while their
        # project is open: after a switch it would land on the next project, whose photos and
        # individuals have the same numbers (a box proposal or a ranking recorded on the wrong
        # photo). A handler may start a job: stopped again, a few rounds at most.
        for _round in range(3):
            if not stopped:
                break
            QApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
            if not self.pool.running():
                break
            stopped = self._stop_jobs(msecs)
        return stopped

    def _stop_jobs(self, msecs: int) -> bool:
        from PySide6.QtWidgets import QApplication

        if not self.pool.running():
            return self.pool.shutdown(msecs)
        self.say("Stopping background work\u2026")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return self.pool.shutdown(msecs, keep_alive=lambda: QApplication.processEvents(
                QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents))
        finally:
            QApplication.restoreOverrideCursor()
