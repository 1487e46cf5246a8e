"""Opening another project leaves nothing of the last one on the Compare tab or the Training page:
photo numbers start at 1 in every project, so what stays there reads as the new project's."""

from __future__ import annotations

import shutil
import time

MATCH_TIMEOUT = 180_000


def _second_project(demo_template, tmp_path):
    dst = tmp_path / "other" / "project"
    shutil.copytree(demo_template / "project", dst, ignore=shutil.ignore_patterns("project.lock", "cache"))
    return dst


def test_the_compare_tab_forgets_the_last_projects_candidate_and_its_photos(qtbot, window, demo_project,
                                                                            demo_template, tmp_path):
    other = _second_project(demo_template, tmp_path)
    assert window.open_project(str(demo_project))
    review, compare = window.review, window.compare
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=30_000)
    window.editor.accept_proposal()
    qtbot.waitUntil(lambda: len(review.cards) >= 2, timeout=MATCH_TIMEOUT)
    window.center.setCurrentIndex(1)  # the Compare tab
    review.select(0)
    qtbot.waitUntil(lambda: compare.strip.count() > 0 and compare._other_image is not None, timeout=20_000)

    assert window.open_project(str(other))
    # the last project's candidate, its individual's photos (whose numbers a click would browse in
    # this project) and its query are gone before this project ranks anything
    assert compare.strip.count() == 0 and compare._other_image is None
    assert compare.other_label.text() == "Candidate" and window.controller.candidates._target is None
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=30_000)
    assert compare.strip.count() == 0 and compare._other_image is None
    assert window.last_error is None


def _run_until_cancelled(folder, settings):
    """A stand-in for the training job: a starting point, one saved epoch, then steps until cancelled."""
    from whaleid_gui.core.training_events import EpochProgress, EpochReport, StartingPoint

    yield StartingPoint(0.4)
    yield EpochReport(1, 3, 0.9, 0.6, 0.5, 10.0, 1e-4, 0.45, 1.0, 0.0, settings.out, best_epoch=1)
    while True:
        yield EpochProgress(1, 10, "epoch 2", epoch=2)
        time.sleep(0.02)


def test_the_training_page_forgets_the_last_projects_run(qtbot, window, demo_project, demo_template, tmp_path,
                                                         monkeypatch):
    from whaleid_gui.application import train_model

    monkeypatch.setattr(train_model, "train_project", _run_until_cancelled)
    other = _second_project(demo_template, tmp_path)
    assert window.open_project(str(demo_project))
    panel = window.training
    window.pages.setCurrentIndex(2)
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.point_counts()["loss"] == 1 and panel.progress.value() > 0, timeout=20_000)
    assert panel.point_counts()["val"] == 2 and panel.time_label.text()

    assert window.open_project(str(other))  # the run is stopped (the window asks first) and forgotten
    assert not panel.is_running() and panel.worker is None
    assert panel.reports == [] and panel.start_val is None
    assert all(n == 0 for n in panel.point_counts().values())
    assert len(panel.curves["loss"].getData()[0] or []) == 0
    assert panel.progress.value() == 0 and panel.progress.format() == "" and panel.time_label.text() == ""
    assert "Cancelled" not in panel.run_label.text() and not panel.resume_button.isEnabled()
    assert panel.start_button.isEnabled()

    # a run started here plots its own epochs only
    assert panel.start() is not None
    qtbot.waitUntil(lambda: panel.point_counts()["loss"] == 1, timeout=20_000)
    assert list(panel.curves["val"].getData()[0]) == [0, 1]
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=20_000)
    assert window.last_error is None
