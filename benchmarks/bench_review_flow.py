"""The reviewer's real flow, timed (issue 15): open a project, wait for the first candidates,
let the background match queue catch up, then review photos one key press at a time.

    .venv/bin/python benchmarks/bench_review_flow.py                   # catalogs of 100 and 1,000
    .venv/bin/python benchmarks/bench_review_flow.py --sizes 100 1000 10000 --review 20

Default settings of a new project: the general model (imagenet) at its own input size, keypoint
re-ranking on, threshold auto. The catalog is synthetic flukes (core/synthetic.py: 4 photos of
each individual, 640x427 JPEG), imported with their boxes; the survey photos to review are other
photos of catalogued whales (one each) and of whales not in the catalog (1 in 5), their boxes
accepted (source "proposed"), so the queue can match them all. --survey-side 6000 enlarges the
survey photos to a 24 MP field camera's frame (their own catalog folder, catalog-N-survey6000):
what the box editor, the query crop and the queue's features then cost.

Per catalog size, two steps in separate processes:
1. prepare (once; the folder is reused): render, import, and one full preparation of the matcher
   (features, keypoints, the fusion fit: what a project has after its first use); timed.
2. review, in a fresh process (as after a restart): MainWindow opens the project (offscreen) from
   its event loop, once its first paint is done, as the app does; a 5 ms QTimer on the GUI thread
   measures the event loop's lateness throughout, the opening's own work included. Timed: opening
   to the first photo's candidates on screen; until the queue has ranked every survey photo;
   then for each of N photos, after a pause (the reviewer looking, --think), the C key
   (confirm the top candidate) to the next photo's candidates on screen, and how many of those
   were being refreshed (a confirm made them stale) when shown.

Writes benchmarks/RESULTS_gui.md's "Review flow" section (replacing an older one) and prints JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PERIOD_MS = 5
PHOTOS_PER_INDIVIDUAL = 4
SECTION = "## Review flow (benchmarks/bench_review_flow.py)"


# ------------------------------------------------------------------------------ 1. prepare
def prepare(folder: Path, n_catalog: int, n_survey: int, survey_side: int = 640) -> dict:
    from whaleid_gui.application.imports import import_catalog_into
    from whaleid_gui.application.match_photos import oriented_refs, prepared_matcher
    from whaleid_gui.application.project_engine import EngineConfig, project_engine
    from whaleid_gui.core.boxes import BoundingBox
    from whaleid_gui.core.catalog.import_boxes import import_boxes
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.progress import drive
    from whaleid_gui.core.synthetic import _Job, _render_jobs, generate_catalog

    out: dict = {}
    project = folder / "project"
    if not (folder / "ready").exists():
        t = time.perf_counter()
        photos = folder / "photos"
        generate_catalog(photos, n_individuals=n_catalog // PHOTOS_PER_INDIVIDUAL,
                         photos_per_individual=(PHOTOS_PER_INDIVIDUAL, PHOTOS_PER_INDIVIDUAL), seed=0)
        # survey: other photos (photo stream 2) of catalogued whales, and 1 in 5 of whales not in it
        known = n_survey - n_survey // 5
        jobs = [_Job(f"survey_{i:04d}.jpg", "?", 1 + (i * 7) % (n_catalog // PHOTOS_PER_INDIVIDUAL), 2, 0)
                for i in range(known)]
        jobs += [_Job(f"survey_{known + i:04d}.jpg", "?", 100_000 + i, 2, 0) for i in range(n_survey - known)]
        survey = _render_jobs(photos / "survey", jobs, (640, 427), 0, 90, None)
        scale = survey_side / 640  # a field camera's frame: the same picture, enlarged
        if scale != 1:
            from PIL import Image

            for row in survey:
                path = photos / "survey" / row.image
                Image.open(path).resize((survey_side, round(427 * scale)), Image.Resampling.BICUBIC).save(path, quality=92)
        out["render_s"] = time.perf_counter() - t
        t = time.perf_counter()
        store = ProjectStore.create(project)
        try:
            drive(import_catalog_into(store, photos / "catalog.csv"))
            import_boxes(store, photos / "boxes.csv")
            for row in survey:
                p = store.add_photo(photos / "survey" / row.image, survey="Bench survey")
                b = row.box
                store.set_box(p.id, BoundingBox(b.x0 * scale, b.y0 * scale, b.x1 * scale, b.y1 * scale),
                              source="proposed")
        finally:
            store.close()
        out["import_s"] = time.perf_counter() - t
        (folder / "ready").write_text("1")
    store = ProjectStore.open(project, read_only=True)
    try:
        engine, _ = project_engine(store.settings, project, EngineConfig(device="cpu"))
        refs = oriented_refs(store)
    finally:
        store.close()
    t = time.perf_counter()
    drive(prepared_matcher(project, engine, refs))
    seconds = time.perf_counter() - t  # features, keypoints and the fit: computed the first time, read after
    first = folder / "first_preparation.json"
    if first.exists():  # the catalog was made by an earlier run: this was a reopening's preparation
        out.update(json.loads(first.read_text()), reopen_prepare_s=seconds)
    else:
        out["prepare_s"] = seconds
        out["load_at_first_preparation"] = os.getloadavg()[0]
        first.write_text(json.dumps(out))
    out["engine"] = {"weights": engine.weights, "rerank": engine.rerank, "image_size": engine.image_size}
    out["references"] = len(refs)
    return out


# ------------------------------------------------------------------------------ 2. review
class GapMeter:
    """Lateness of a 5 ms timer on the GUI thread, with the phase each gap fell in."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(PERIOD_MS)
        self.timer.timeout.connect(self._tick)
        self.phase = "start"
        self.gaps: dict[str, list[float]] = {}
        self._last: float | None = None

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self._last is not None:
            self.gaps.setdefault(self.phase, []).append(now - self._last)
        self._last = now

    def start(self) -> None:
        self.clock.start()
        self._last = 0.0  # the first tick's gap counts too (the opening's work may come before it)
        self.timer.start()

    def set_phase(self, phase: str) -> None:
        self.phase = phase

    def summary(self) -> dict:
        out = {}
        for phase, g in self.gaps.items():
            g = sorted(g)
            out[phase] = {"max_stall_ms": max(0.0, g[-1] - PERIOD_MS), "p99_gap_ms": g[int(0.99 * (len(g) - 1))],
                          "ticks": len(g)}
        return out


def pump(app, cond, seconds: float) -> bool:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.001)
    return cond()


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else float("nan")


def bench_window(app, window_class):
    """The app's window, shown and painted once before any project opens (as the user sees it);
    errors said in the status bar only, every question answered yes."""
    from PySide6.QtCore import QCoreApplication

    from whaleid_gui.application.project_engine import EngineConfig

    QCoreApplication.setOrganizationName("WhaleIDBenchFlow")
    w = window_class(EngineConfig(device="cpu"))
    w._quiet_errors = True
    w.ask = lambda title, text: True
    w.resize(1366, 740)
    w.show()
    app.processEvents()
    return w


def review(project: Path, n_review: int, think_s: float) -> dict:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from whaleid_gui.gui.app import make_app

    app = make_app()  # before the window's modules are imported, as gui/app.py run_app does
    from whaleid_gui.gui.main_window import MainWindow

    w = bench_window(app, MainWindow)
    meter = GapMeter()
    meter.start()
    c = w.controller

    def shown() -> bool:
        return bool(w.review.cards) and w.review.result is not None and w.review.result.photo_id == c.photo_id

    out: dict = {}
    meter.set_phase("open + first match")
    t = time.perf_counter()
    # as the app does once its window is shown (gui/app.py run_app): inside the event loop, so that
    # the opening's own work on the GUI thread counts as the stall it is
    QTimer.singleShot(0, lambda: w.start(str(project)))
    ok = pump(app, shown, 600)
    out["first_match_s"] = time.perf_counter() - t if ok else None
    plan = c.ahead.plan
    meter.set_phase("queue catching up")
    t = time.perf_counter()
    ok = pump(app, lambda: not plan.pending() and len(c.results) >= len(plan._order), 3600)
    out["catch_up_s"] = time.perf_counter() - t if ok else None
    out["survey_photos"] = len(plan._order)
    meter.set_phase("review")
    latencies, refreshing, waited, unrecorded = [], 0, 0, 0
    for _ in range(n_review):
        pump(app, lambda: False, think_s)  # the reviewer looks at the candidates
        if not shown():
            break
        before = c.photo_id
        w.activateWindow()
        t = time.perf_counter()
        QTest.keyClick(w.editor, Qt.Key.Key_C)
        if c.photo_id == before:
            break  # nothing left to review
        precomputed = c.photo_id in c.results  # its stored ranking is drawn at the next turn
        if not pump(app, shown, 120):
            break
        app.processEvents()  # one paint of the new cards
        latencies.append((time.perf_counter() - t) * 1000)
        waited += not precomputed
        # the confirm is recorded in a worker; once it is, the rankings it affects are stale (waited
        # for with the event loop running: finish_decisions() would block it, which is no stall of the app's)
        if not pump(app, lambda: not c.decisions.busy(), 60):
            unrecorded += 1  # a confirm not recorded within a minute: reported, not hidden
        refreshing += plan.is_stale(c.photo_id)
    meter.set_phase("after review")
    pump(app, lambda: not plan.pending(), 300)
    out.update({
        "reviewed": len(latencies), "key_to_candidates_ms": {
            "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
            "max": max(latencies) if latencies else None},
        "shown_while_refreshing": refreshing, "not_precomputed": waited, "unrecorded_after_60_s": unrecorded,
        "stalls": meter.summary(),
        "catalog_photos": c.results[next(iter(c.results))].catalog_photos if c.results else None,
    })
    w.pool.shutdown(60000)
    w.close()
    return out


# ------------------------------------------------------------------------------ orchestration
def review_copy(folder: Path) -> Path:
    """A fresh copy of the prepared project: every run reviews the same photos against the same catalog."""
    import shutil

    work = folder / "review-project"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder / "project", work, ignore=shutil.ignore_patterns("project.lock"))
    return work


def child(args) -> int:
    folder = Path(args.folder)
    if args.step == "prepare":
        result = prepare(folder, args.size, args.survey, args.survey_side)
    else:
        result = review(review_copy(folder), args.review, args.think)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_child(step: str, folder: Path, size: int, a) -> dict:
    cmd = [sys.executable, __file__, "--child", step, "--folder", str(folder), "--sizes", str(size),
           "--survey", str(a.survey), "--review", str(a.review), "--think", str(a.think),
           "--survey-side", str(a.survey_side)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=4 * 3600)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"{step} {size} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT "):])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--survey", type=int, default=30, help="survey photos to review (boxes accepted)")
    p.add_argument("--review", type=int, default=20, help="photos reviewed with one key each")
    p.add_argument("--think", type=float, default=1.5, help="seconds the reviewer looks before the key")
    p.add_argument("--survey-side", type=int, default=640,
                   help="survey photos' width in pixels (6000: a 24 MP field camera's frame, enlarged)")
    p.add_argument("--dir", default=os.environ.get("WHALEID_BENCH_DIR", str(Path(tempfile.gettempdir()) / "whaleid-flow")))
    p.add_argument("--child", choices=["prepare", "review"])
    p.add_argument("--folder")
    a = p.parse_args()
    if a.child:
        a.step, a.size = a.child, a.sizes[0]
        return child(a)
    runs = []
    for size in a.sizes:
        folder = Path(a.dir) / (f"catalog-{size}" + (f"-survey{a.survey_side}" if a.survey_side != 640 else ""))
        folder.mkdir(parents=True, exist_ok=True)
        load0 = os.getloadavg()
        prep = run_child("prepare", folder, size, a)
        print(f"{size}: prepared {json.dumps(prep)}", flush=True)
        load1 = os.getloadavg()
        rev = run_child("review", folder, size, a)
        load2 = os.getloadavg()
        print(f"{size}: reviewed {json.dumps(rev)}", flush=True)
        runs.append({"size": size, "prepare": prep, "review": rev, "load": [load0, load1, load2]})
    write_results(runs, a)
    return 0


def write_results(runs: list[dict], a) -> None:
    cmd = "QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_review_flow.py " + \
          f"--sizes {' '.join(str(r['size']) for r in runs)} --survey {a.survey} --review {a.review} --think {a.think}" + \
          (f" --survey-side {a.survey_side}" if a.survey_side != 640 else "")
    lines = [
        SECTION, "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, Qt `offscreen`, no GPU, "
        "shared with other jobs (load averages below: 1-minute values at the start of preparation, review, end).",
        f"Command: `{cmd}`.",
        "",
        "Default settings (model imagenet at its own size, keypoint re-ranking on, threshold auto). Catalog: "
        "synthetic flukes (core/synthetic.py), 4 photos per individual, with their boxes; survey photos: one "
        "other photo of catalogued whales, 1 in 5 of whales not in the catalog, boxes accepted. The review "
        "confirms the top candidate with C after a pause of "
        f"{a.think:g} s per photo (the reviewer looking).",
        "",
        "| catalog photos | first preparation (s) | preparation when reopened (s) | first candidates after opening (s) | queue caught up (s) "
        "| key -> next candidates p50 / p95 / max (ms) | shown while refreshing | not ready | longest stall (ms, phase) "
        "| load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        rv, pr = r["review"], r["prepare"]
        k = rv["key_to_candidates_ms"]
        worst = max(rv["stalls"].items(), key=lambda kv: kv[1]["max_stall_ms"])
        lines.append(
            f"| {r['size']} | {pr['prepare_s']:.0f} | {pr.get('reopen_prepare_s', float('nan')):.1f} "
            f"| {rv['first_match_s']:.1f} | {rv['catch_up_s']:.1f} "
            f"| {k['p50']:.0f} / {k['p95']:.0f} / {k['max']:.0f} ({rv['reviewed']} photos) "
            f"| {rv['shown_while_refreshing']} | {rv['not_precomputed']} "
            f"| {worst[1]['max_stall_ms']:.0f} ({worst[0]}) | {' / '.join(f'{x[0]:.1f}' for x in r['load'])} |")
    lines += ["", "Longest event-loop stall per phase (ms; p99 gap between 5 ms ticks in brackets):", ""]
    for r in runs:
        parts = [f"{ph} {s['max_stall_ms']:.0f} ({s['p99_gap_ms']:.0f})" for ph, s in r["review"]["stalls"].items()]
        lines.append(f"- {r['size']} photos: " + "; ".join(parts))
    lines.append("")
    path = ROOT / "benchmarks" / "RESULTS_gui.md"
    text = path.read_text(encoding="utf-8")
    head = text.split(SECTION)[0].rstrip() + "\n\n"
    tail = ""
    if SECTION in text:  # keep what follows the old section (a later "## " heading)
        rest = text.split(SECTION, 1)[1]
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
    path.write_text(head + "\n".join(lines) + ("\n" + tail if tail else ""), encoding="utf-8")
    print("wrote", path)


if __name__ == "__main__":
    raise SystemExit(main())
