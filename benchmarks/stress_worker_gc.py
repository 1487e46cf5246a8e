"""Reproducer for the worker-thread garbage-collection crash (issue 16), kept as a stress check.

One real MainWindow on a copy of the small demo project lives through the whole run, as in a
long review session. Each iteration runs the background jobs a scientist triggers: a photo
import (thumbnails and box proposals follow in their own workers), a match of the current photo
with a box that changes every time, a catalog export, and every --train-every iterations a
1-epoch training. Each iteration also leaves behind the kinds of garbage that hold Qt objects
in reference cycles: a pyqtgraph plot (its items form cycles by design) and a top-level panel
referenced only by a cycle (what a widget stored in a closure or in its own attribute becomes).

Automatic collection is forced often with gc.set_threshold(--threshold, 2, 2), so it comes
every few hundred allocations in whichever thread allocates, usually a worker: the mechanism of
the crash. Before the fix this dies with "Fatal Python error: Segmentation fault" and
"Garbage-collecting" on a worker's stack; after it, every iteration passes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -X faulthandler benchmarks/stress_worker_gc.py --iterations 200
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python -X faulthandler \
        benchmarks/stress_worker_gc.py --iterations 200 --screenshot /tmp/stress.png    # a real window

Not part of the test suite (it takes minutes; tests/gui/test_gui_thread_gc.py is the quick
check); results go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")


class CyclicPanel:
    """Made on first use (Qt must exist): a top-level widget that only a cycle keeps alive."""

    cls = None

    @classmethod
    def make(cls):
        if cls.cls is None:
            from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

            class Panel(QWidget):
                def __init__(self) -> None:
                    super().__init__()
                    self.myself = self  # the cycle
                    QVBoxLayout(self).addWidget(QLabel("left behind", self))
                    self.startTimer(10_000)

            cls.cls = Panel
        panel = cls.cls()
        panel.show()
        return panel


def leave_cyclic_qt_garbage() -> None:
    import pyqtgraph as pg

    plot = pg.PlotWidget()
    plot.plot([1, 2, 3], [3, 1, 2])
    plot.show()
    plot.close()
    CyclicPanel.make()


def wait_until(app, predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.002)


def build_demo(root: Path) -> Path:
    from whaleid_gui.application.demo_project import create_demo_project
    from whaleid_gui.core.progress import drive

    return Path(drive(create_demo_project(root, small=True)))


def one_iteration(app, w, i: int, photos: list[Path], work: Path, train: bool) -> None:
    from whaleid_gui.core.boxes import BoundingBox

    leave_cyclic_qt_garbage()

    # Import photos (new bytes each time, so they are really added; thumbnails and proposals follow).
    extra = work / f"import{i}"
    extra.mkdir()
    for p in photos:
        data = p.read_bytes()
        (extra / f"{i}_{p.name}").write_bytes(data + i.to_bytes(4, "little"))
    w.import_paths([str(extra)])
    wait_until(app, lambda: not w.pool.running("import-photos"), 60, "the photo import")

    # A match: a new box on the current photo ranks it again in a worker.
    pid = w.controller.photo_id
    width, height = w.editor.image_size
    f = 0.05 + 0.05 * (i % 4)
    w.controller.results.pop(pid, None)
    w.editor.set_box(BoundingBox(width * f, height * f, width * (1 - f), height * (1 - f)))
    wait_until(app, lambda: pid in w.controller.results, 120, "the match")

    # A catalog export.
    out = work / f"catalog{i}.csv"
    w.export_to("catalog", str(out))
    wait_until(app, lambda: out.exists() and not w.pool.running("export"), 60, "the export")
    assert list(csv.DictReader(open(out, encoding="utf-8"))), f"{out} is empty"

    if train:
        panel = w.training
        panel.epochs.setValue(1)
        panel.image_size.setValue(64)
        panel.device.setCurrentIndex(panel.device.findData("cpu"))
        panel.outcome = None
        panel.start(resume=False)
        wait_until(app, lambda: panel.outcome is not None or not panel.is_running(), 300, "the training")
        print(f"  training: {panel.run_label.text()}", flush=True)
    assert w.last_error is None, w.last_error


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--train-every", type=int, default=50, help="a 1-epoch training every N iterations (0: never)")
    ap.add_argument("--threshold", type=int, default=200, help="gc generation-0 threshold (0: Python's own)")
    ap.add_argument("--screenshot", help="save the window as a PNG after the last iteration")
    args = ap.parse_args(argv)

    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.gui.app import make_app
    from whaleid_gui.gui.main_window import MainWindow

    app = make_app([sys.argv[0]])
    if args.threshold:
        gc.set_threshold(args.threshold, 2, 2)
    with tempfile.TemporaryDirectory(prefix="whaleid-gc-stress-") as tmp:
        tmp = Path(tmp)
        os.environ["WHALEID_DATA_DIR"] = str(tmp / "userdata")
        os.environ["WHALEID_CACHE_DIR"] = str(tmp / "cache")
        project = build_demo(tmp / "demo")
        photos = sorted(p for p in (tmp / "demo" / "demo_photos").rglob("*")
                        if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:2]
        w = MainWindow(EngineConfig(device="cpu", image_size=64))
        w._quiet_errors = True
        w.ask = lambda title, text: True
        w.resize(1366, 740)
        w.show()
        assert w.open_project(str(project)), f"could not open {project}"
        wait_until(app, lambda: w.editor.has_image(), 60, "the first photo")
        started = time.monotonic()
        for i in range(args.iterations):
            train = bool(args.train_every) and i % args.train_every == args.train_every - 1
            one_iteration(app, w, i, photos, tmp, train)
            print(f"iteration {i + 1}/{args.iterations} ok{' (with training)' if train else ''}, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        if args.screenshot:
            app.processEvents()
            w.grab().save(args.screenshot)
        w.stop_work(60_000)
        w.close_project()
    print(f"{args.iterations} iterations passed (gc threshold {gc.get_threshold()}, "
          f"automatic collection {'on' if gc.isenabled() else 'off: on the GUI thread'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
