"""Start the real window (run under Xvfb) and save a screenshot of each main view.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/screenshots.py

Writes ./screenshots/*.png (git-ignored). Uses a fresh demo project (the full-size one: the
small demo's photos are too small for keypoints) in a temporary data folder, temporary
QSettings, and the real engine (input size 128 px so that it runs in seconds on a laptop CPU).
The training panel is shown after a short real run (fast mode, 64 px, 6 epochs).
The catalog's study plots are shown after giving the demo's catalog sightings synthetic dates,
surveys and coordinates (the demo has none). Screenshots are for people to look at, not asserts.
`--no-training` skips the training run; `--plots` takes only the study plots (no matching);
`--encounter` only the same-encounter strip, the Confirm-encounter preview and the heat map.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "screenshots"


def add_study_metadata(store, seed: int = 3) -> None:
    """Synthetic field data for the demo's catalog sightings: a season of 12 surveys (every 4 days
    from 2023-01-10) in a bay near 19.2 N 69.4 W; each individual is seen on a few of them."""
    import random
    from datetime import date, timedelta

    rng = random.Random(seed)
    days = [(date(2023, 1, 10) + timedelta(days=4 * i)).isoformat() for i in range(12)]
    for ind in store.individuals():
        rows = store.sightings(individual_id=ind.id)
        first = rng.randrange(len(days))
        for k, s in enumerate(rows):
            d = first if k == 0 else rng.randrange(first, len(days))
            store.add_sighting(s.photo_id, ind.id, date=f"{days[d]}T{9 + k % 6:02d}:{rng.randrange(60):02d}",
                               survey=f"Survey {d + 1:02d}", place="Samana Bay",
                               lat=round(19.15 + rng.gauss(0, 0.04), 5), lon=round(-69.40 + rng.gauss(0, 0.07), 5))


def study_plots_shot(w, pump, shot) -> None:
    add_study_metadata(w.store)
    w.pages.setCurrentIndex(1)
    w.catalog.refresh()
    w.catalog.right_tabs.setCurrentWidget(w.catalog.study)
    if w.catalog.table.rowCount() > 1:
        w.catalog.table.selectRow(1)
    pump(lambda: w.catalog.study.stats is not None, 30)
    shot("14_catalog_study_plots")
    study = w.catalog.study
    study.map_scope.setCurrentIndex(study.map_scope.findData("selected"))
    study.discovery_by.setCurrentIndex(study.discovery_by.findData("days"))
    shot("15_catalog_study_plots_one_individual")
    study.save_figure("sightings_map", OUT / "15_map_of_one_individual.svg")
    w.catalog.right_tabs.setCurrentIndex(0)


def encounter_shot(w, pump, shot) -> None:
    """The first photo to review whose encounter holds more photos of the same whale: boxes from the
    proposals, then Shift+C's side-by-side preview (the ranking of the siblings included)."""
    from whaleid_gui.application.review_session import encounter_siblings
    from whaleid_gui.core.boxes import BoundingBox

    photos = w.queue.all_photos()
    target = next((p for p in photos if p.status != "done" and encounter_siblings(p, photos)), None)
    if target is None:
        print("no encounter with several photos to show")
        return
    c = w.controller
    for p in [target] + encounter_siblings(target, photos):
        if w.store.box(p.id) is None:
            box = c.session.proposal_for(p.path) or BoundingBox(p.width * 0.1, p.height * 0.15, p.width * 0.9,
                                                                   p.height * 0.8)
            w.store.set_box(p.id, box, source="proposed")
    c.reload_photos()
    c.open_photo(target.id)
    pump(lambda: c.photo_id == target.id and w.editor.has_image(), 30)
    c.show_photo(target.id)
    pump(lambda: bool(w.review.cards), 180)
    pump(seconds=1)
    shot("17_review_encounter_strip")
    c.encounter.start()
    pump(lambda: c.encounter.preview is not None and c.encounter.preview.isVisible(), 300)
    pump(seconds=3)
    shot("18_confirm_encounter_preview", c.encounter.preview)
    c.encounter.preview.reject()
    # the Compare tab's heat map: what drove the embedding score
    w.center.setCurrentIndex(1)
    pump(lambda: w.compare._other_image is not None, 20)
    w.compare.show_heat.setChecked(True)
    pump(lambda: "model saw" in w.compare.query_label.text(), 120)
    shot("19_compare_heat_map")
    w.compare.show_heat.setChecked(False)
    w.center.setCurrentIndex(0)


def main() -> int:
    data = Path(tempfile.mkdtemp(prefix="whaleid-shots-"))
    os.environ["WHALEID_DATA_DIR"] = str(data)
    from PySide6.QtCore import QCoreApplication, QPointF, QSettings
    from PySide6.QtWidgets import QApplication

    from whaleid_gui.gui.app import make_app

    app = make_app()
    QCoreApplication.setOrganizationName("WhaleIDScreenshots")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(data / "settings"))
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.gui.main_window import MainWindow

    OUT.mkdir(exist_ok=True)
    w = MainWindow(EngineConfig(device="cpu", image_size=128))
    w._quiet_errors = True
    w.resize(1366, 768)
    w.move(0, 0)
    w.show()

    def pump(cond=lambda: False, seconds=30.0) -> bool:
        t0 = time.time()
        while time.time() - t0 < seconds:
            app.processEvents()
            if cond():
                return True
            time.sleep(0.01)
        return cond()

    def shot(name: str, widget=None) -> None:
        pump(seconds=0.4)
        (widget or w).grab().save(str(OUT / f"{name}.png"))
        print("saved", OUT / f"{name}.png")

    w.start_demo(small=False)
    pump(lambda: w._job is not None, 5)
    shot("01_first_run_creating_demo")
    pump(lambda: w.store is not None and w.editor.has_image(), 300)
    if "--encounter" in sys.argv:  # only the encounter strip and Shift+C's preview
        encounter_shot(w, pump, shot)
        w.ask = lambda title, text: True
        w.close()
        pump(seconds=0.5)
        QApplication.quit()
        return 0
    if "--plots" in sys.argv:
        study_plots_shot(w, pump, shot)
        w.ask = lambda title, text: True  # stop the box model and matcher still starting up
        w.close()
        pump(seconds=0.5)
        QApplication.quit()
        return 0
    pump(lambda: w.editor.proposal is not None, 60)
    shot("02_queue_photo_with_proposed_box")

    ed = w.editor
    iw, ih = ed.image_size
    ed.set_box(w.editor.proposal or __import__("whaleid_gui.core.boxes", fromlist=["BoundingBox"]).BoundingBox(
        iw * 0.1, ih * 0.15, iw * 0.9, ih * 0.8))
    pump(lambda: bool(w.review.cards), 180)
    pump(seconds=2)
    shot("03_review_candidates")
    # display-only brightness/contrast, the quality flag and comment, the same-encounter strip
    w.adjust.brightness.setValue(30)
    w.adjust.contrast.setValue(20)
    w.review.set_quality("fair")
    w.review.comment_edit.setText("left tip hidden by spray")
    w.review.save_comment()
    pump(lambda: w.review.siblings.count() == 0 or not w.review.siblings.item(0).icon().isNull(), 20)
    shot("13_review_adjust_quality_siblings")
    w.adjust.reset()
    w.review.move_selection(1)
    w.center.setCurrentIndex(1)
    pump(seconds=2)
    w.compare.query.zoom_by(2.0, QPointF(200, 60))
    shot("04_compare_synced_zoom")
    # keypoint evidence: the candidate with the most verified matches, lines on
    cards = w.review.cards
    best = max(range(len(cards)), key=lambda i: cards[i].candidate.inliers or 0)
    w.review.select(best)
    pump(seconds=1.5)
    w.compare.show_keypoints.setChecked(True)
    pump(lambda: w.compare.keypoint_line_count() > 0 or "No geometrically" in w.compare.keypoint_label.text(), 60)
    print("keypoint lines:", w.compare.keypoint_line_count(), "|", w.compare.keypoint_label.text())
    shot("11_compare_keypoint_lines")
    w.compare.show_keypoints.setChecked(False)
    w.review.select(0)
    w.center.setCurrentIndex(0)
    w.controller.begin_new_individual()
    w.review.new_bar.name.setText("Splash")
    shot("05_new_individual_in_place")
    w.review.new_bar.cancel()
    w.controller.confirm()
    pump(lambda: w.editor.has_image(), 20)
    shot("06_after_confirm_next_photo")
    encounter_shot(w, pump, shot)
    w.pages.setCurrentIndex(1)
    pump(seconds=1)
    if w.catalog.table.rowCount():
        w.catalog.table.selectRow(0)
    pump(seconds=1.5)
    shot("07_catalog_photos")
    w.catalog.tabs.setCurrentIndex(1)
    shot("08_catalog_sightings")
    study_plots_shot(w, pump, shot)
    w.pages.setCurrentIndex(0)
    dlg = w.show_shortcuts()
    pump(seconds=0.5)
    shot("09_shortcuts_help", dlg)
    dlg.close()
    # a read-only banner and an unreadable photo message, as they look
    w.banner.setText("Read-only: this project is in use by alice@lab-pc (pid 4242) since 2024-06-01T09:12. "
                     "You can look, but not change anything; close it there to edit here.")
    w.banner.show()
    w.controller._on_photo_error(w.controller.photo_id, f"{w.queue.photo(w.controller.photo_id).path}: "
                                 "image is truncated or corrupt")
    shot("10_read_only_banner_and_unreadable_photo")
    w.banner.hide()
    if "--no-training" in sys.argv:
        w.close()
        pump(seconds=0.5)
        QApplication.quit()
        return 0
    # the training panel after a short real run, with the comparison
    w.pages.setCurrentIndex(2)
    t = w.training
    t.epochs.setValue(6)
    t.image_size.setValue(64)
    t.device.setCurrentIndex(t.device.findData("cpu"))
    pump(lambda: "Training runs on" in t.device_label.text(), 60)
    t.start()
    pump(lambda: t.outcome is not None, 600)
    pump(lambda: t.comparison is not None, 300)
    pump(seconds=1)
    shot("12_training_panel_after_run")
    w.close()
    pump(seconds=0.5)
    QApplication.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
