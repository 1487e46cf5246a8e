"""Which GUI-thread calls fill the review flow's stalls: bench_review_flow.py's review run in this
process with the main handlers of the opening and of a key press wrapped, each timed in wall time
and in the GUI thread's own CPU time (user and system apart), with its voluntary context switches (a wait for the GIL or a
lock is one), the window's paints and the GUI thread's garbage collections. For every heartbeat gap
over LATE ms it prints the calls inside it, nested. Used for issue 15 (RESULTS_gui.md, "2026-12-04
afternoon"): it found the claim in the opening's gap and the review's slow window.

    LATE=40 N=20 .venv/bin/python benchmarks/review_flow_calls.py /tmp/whaleid-flow/catalog-1000

The folder is one that bench_review_flow.py prepared (it holds project/). Linux only (/proc).
"""
import functools, gc, os, resource, sys, threading, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE)); sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import bench_review_flow as B  # noqa: E402

LATE = float(os.environ.get("LATE", "40"))
GUI = threading.get_ident()
log: list[tuple[float, float, str, int]] = []  # (start, end, what, depth)
depth = [0]


def switches() -> int:
    with open(f"/proc/self/task/{threading.get_native_id()}/status") as fh:
        return int(fh.read().split("\nvoluntary_ctxt_switches:")[1].split()[0])


def wrap(cls, name: str) -> None:
    f = getattr(cls, name)

    @functools.wraps(f)
    def timed(*a, **k):
        if threading.get_ident() != GUI:
            return f(*a, **k)
        t0, r0, s0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_THREAD), switches()
        depth[0] += 1
        try:
            return f(*a, **k)
        finally:
            depth[0] -= 1
            r1, waits = resource.getrusage(resource.RUSAGE_THREAD), switches() - s0
            user, sys_ = 1000 * (r1.ru_utime - r0.ru_utime), 1000 * (r1.ru_stime - r0.ru_stime)
            # user against system time says whether a slow call ran slowly itself or in the kernel
            log.append((t0, time.perf_counter(), f"{cls.__name__}.{name} [cpu {user + sys_:.1f} ms: user {user:.1f}, "
                        f"system {sys_:.1f}; {waits} waits, {r1.ru_nivcsw - r0.ru_nivcsw} preempted, "
                        f"{r1.ru_minflt - r0.ru_minflt} faults]", depth[0]))
    setattr(cls, name, timed)


def on_gc(phase: str, info: dict, _start: dict = {}) -> None:
    if threading.get_ident() != GUI:
        return
    if phase == "start":
        _start["t"] = time.perf_counter()
    else:
        log.append((_start.pop("t", time.perf_counter()), time.perf_counter(), f"GC gen{info['generation']}", depth[0]))


def main() -> int:
    from PySide6.QtCore import QEvent, Qt, QTimer
    from PySide6.QtTest import QTest

    from whaleid_gui.gui.app import make_app

    app = make_app()
    import whaleid_gui.gui.decision_worker as DW
    import whaleid_gui.gui.match_ahead as MA
    import whaleid_gui.gui.match_review as MR
    import whaleid_gui.gui.photo_queue as PQ
    import whaleid_gui.gui.queue_pictures as QP
    import whaleid_gui.gui.review_controller as RC
    import whaleid_gui.gui.window_projects as WP
    from whaleid_gui.application.review_session import ReviewSession
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.gui.main_window import MainWindow

    for cls, names in [
        (WP.WindowProjects, ["open_project", "_load_engine_info", "_remember"]),
        (RC.ReviewController, ["set_store", "reload_photos", "refresh_queue", "show_photo", "_on_photo_loaded",
                               "_on_query_crop", "_on_match_result", "_show_stored_candidates", "_show_siblings",
                               "_show_review_for", "confirm", "_advance"]),
        (PQ.PhotoQueue, ["set_photos", "_rebuild", "announce_current", "update_photos"]),
        (QP.QueuePictures, ["load_thumbnails", "load_rest"]),
        (MR.MatchReviewPanel, ["set_result", "set_query", "clear", "set_siblings"]),
        (DW.BackgroundDecisions, ["claim_if_due", "_settle", "prepare", "start"]),
        (MA.MatchAhead, ["_on_event"]),
        (ReviewSession, ["request", "show"]),
        (ProjectStore, ["photos", "photo_under_review", "photos_by_id", "claim_photo"]),
    ]:
        for n in names:
            wrap(cls, n)
    gc.callbacks.append(on_gc)

    class TimedWindow(MainWindow):
        def event(self, e):
            if e.type() != QEvent.Type.UpdateRequest:
                return super().event(e)
            t0 = time.perf_counter()
            try:
                return super().event(e)
            finally:
                log.append((t0, time.perf_counter(), "window paint", 0))

    gaps: list[tuple[str, float, float]] = []

    class Meter(B.GapMeter):
        def _tick(self) -> None:
            now, prev = time.perf_counter(), getattr(self, "_prev", None)
            if prev is not None and (now - prev) * 1000 > LATE:
                gaps.append((self.phase, prev, now))
            self._prev = now
            super()._tick()

    w = B.bench_window(app, TimedWindow)
    c = w.controller
    project = B.review_copy(Path(sys.argv[1]))
    meter = Meter()
    meter.start()

    def shown() -> bool:
        return bool(w.review.cards) and w.review.result is not None and w.review.result.photo_id == c.photo_id

    meter.set_phase("open + first match")
    QTimer.singleShot(0, lambda: w.start(str(project)))
    B.pump(app, shown, 600)
    plan = c.ahead.plan
    meter.set_phase("queue catching up")
    B.pump(app, lambda: not plan.pending() and len(c.results) >= len(plan._order), 3600)
    meter.set_phase("review")
    for _ in range(int(os.environ.get("N", "20"))):
        B.pump(app, lambda: False, 1.5)
        QTest.keyClick(w.editor, Qt.Key.Key_C)
        B.pump(app, shown, 120)
        app.processEvents()
        B.pump(app, lambda: not c.decisions.busy(), 60)
    print({phase: round(v["max_stall_ms"]) for phase, v in meter.summary().items()})
    for phase, a, b in gaps:
        print(f"--- {phase}: gap {1000 * (b - a):.0f} ms (from t={a:.3f} s, the monotonic clock)")
        for t0, t1, what, d in sorted(log):
            if t1 > a and t0 < b and (t1 - t0) * 1000 >= 1.0:
                print(f"   {'  ' * d}{what} {1000 * (t1 - t0):.1f} ms (at +{1000 * (t0 - a):.0f})")
    w.pool.shutdown(60000)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
