"""The training panel driven as a scientist would: start a short run on the demo project, watch
the plots fill, cancel (the app stays usable), resume, read the comparison, make the new weights
active and get rankings computed with them. Real engine at 64 px, fast mode, 4 epochs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

TRAIN_TIMEOUT = 180_000


def test_train_cancel_resume_compare_activate(qtbot, window, demo_project):
    assert window.open_project(str(demo_project))
    store = window.store
    panel = window.training
    window.pages.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "confirmed photos" in panel.data_label.text(), timeout=60_000)
    qtbot.waitUntil(lambda: "Training runs on" in panel.device_label.text(), timeout=60_000)
    assert "CPU" in panel.device_label.text()  # no GPU on the test machine: says so, and why
    assert "individuals" in panel.data_label.text() and "validation" in panel.data_label.text()
    # ArcFace is the default (measured on real photos); this run checks the Siamese pair plots
    assert panel.objective.currentData() == "arcface" and not panel.k_edit.isEnabled()
    panel.objective.setCurrentIndex(panel.objective.findData("siamese"))
    panel.epochs.setValue(4)
    assert len(panel.k_edit.text().split(",")) == 4  # the preset follows the epochs
    panel.image_size.setValue(64)
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    panel.val_share.setValue(0.3)
    assert panel.fast.isChecked()

    # Start; the plots receive points; cancel after the first epoch.
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.is_running() and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: panel.point_counts()["loss"] >= 1, timeout=TRAIN_TIMEOUT)
    assert "pyqtgraph" in type(panel.curves["loss"]).__module__
    assert len(panel.curves["loss"].getData()[0]) >= 1 and panel.point_counts()["k"] >= 1
    assert panel.progress.value() > 0 and "left" in panel.time_label.text()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.resume_button.isEnabled(), timeout=60_000)
    assert panel.outcome is None and not panel.is_running() and "Cancelled" in panel.run_label.text()
    done = panel.point_counts()["loss"]
    assert 1 <= done < 4
    # The app stays usable: the review page works and the store answers.
    window.pages.setCurrentIndex(0)
    assert window.queue.step(1) or True
    assert store.photos() and window.last_error is None

    # Resume continues from the last finished epoch: the plots go on to epoch 4.
    window.pages.setCurrentIndex(2)
    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.outcome is not None, timeout=TRAIN_TIMEOUT)
    xs = list(panel.curves["loss"].getData()[0])
    assert xs == [1, 2, 3, 4]
    # validation MAP@5 starts at epoch 0 (the model before training: the line to beat), once
    # although the run was resumed; pair accuracy is plotted against K too
    assert list(panel.curves["val"].getData()[0]) == [0, 1, 2, 3, 4]
    assert panel.point_counts()["acc_k"] == 4
    vals = [r.val_map5 for r in panel.reports]
    assert panel.reports[-1].best_epoch == 1 + vals.index(max(vals))  # the first of equal bests
    assert f"holds epoch {panel.reports[-1].best_epoch}" in panel.run_label.text()  # the verdict is on screen
    assert window.statusBar().currentMessage().startswith(
        f"Training finished: new weights {Path(panel.outcome.weights).name}")  # not "Training started"
    weights = Path(panel.outcome.weights)
    assert weights.exists() and weights.parent == Path(demo_project) / "models"
    assert weights.with_suffix(".card.json").exists()
    assert any(r.weights_id == panel.outcome.weights_id for r in store.model_runs())

    # The comparison on the validation split shows both numbers before activation.
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=TRAIN_TIMEOUT)
    qtbot.waitUntil(lambda: panel.activate_button.isEnabled(), timeout=10_000)
    for label in (panel.active_score, panel.new_score):
        assert 0.0 <= float(label.text()) <= 1.0
    assert panel.comparison.new_id == panel.outcome.weights_id != panel.comparison.active_id
    # the comparison names both models as a person does (file and date), never by the hash
    assert weights.name in panel.new_caption.text() and panel.outcome.weights_id not in panel.new_caption.text()
    assert panel.comparison.active_id not in panel.active_caption.text()

    # A boxed photo with a ranking by the old model...
    window.pages.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    pid = window.controller.photo_id
    qtbot.waitUntil(lambda: window.editor.proposal is not None, timeout=20_000)
    window.editor.accept_proposal()
    qtbot.waitUntil(lambda: pid in window.controller.results, timeout=120_000)
    old_id = window.controller.results[pid].weights_id
    assert old_id != panel.outcome.weights_id

    # ... Make active: stored in the project settings, matching runs again with the new weights.
    window.pages.setCurrentIndex(2)
    qtbot.mouseClick(panel.activate_button, Qt.MouseButton.LeftButton)
    assert store.settings["weights"] == str(weights.relative_to(demo_project))
    assert window.engine.weights == str(weights)
    qtbot.waitUntil(lambda: pid in window.controller.results
                    and window.controller.results[pid].weights_id == panel.outcome.weights_id, timeout=120_000)
    assert store.candidates_weights_id(pid) == panel.outcome.weights_id
    # the status bar names the model by its file and its card's date, never by the hash
    qtbot.waitUntil(lambda: weights.name in window.engine_label.text(), timeout=60_000)
    assert panel.outcome.weights_id not in window.engine_label.text()
    assert window.last_error is None


def _interrupted(project: Path, name: str = "20200101-000000.pt") -> Path:
    models = Path(project) / "models"
    models.mkdir(parents=True, exist_ok=True)
    out = models / name
    out.with_name(out.name + ".resume").write_bytes(b"state")
    return out


def test_resume_uses_the_settings_the_run_started_with(qtbot, window, demo_project, monkeypatch):
    """Resume reads <out>.settings.json (written by the job), not the form as it is now; the form
    shows the interrupted run's values."""
    from dataclasses import replace

    from whaleid_gui.application import train_model, train_settings

    out = _interrupted(demo_project)
    started = train_settings.TrainSettings(out=str(out), branch="reference", objective="arcface", fast=False,
                                           epochs=3, image_size=96, learning_rate=1e-4, k_values=(50.0, 5.0),
                                           device="cpu", validation_fraction=0.35, seed=7)
    train_settings.write_train_settings(started, train_settings.train_config(started))
    panel = window.training
    panel.epochs.setValue(9)
    panel.image_size.setValue(320)
    panel.k_edit.setText("abc")
    assert window.open_project(str(demo_project))
    assert panel.settings == started
    assert panel.epochs.value() == 3 and panel.image_size.value() == 96
    assert panel.branch.currentData() == "reference" and panel.objective.currentData() == "arcface"
    assert not panel.fast.isChecked() and abs(panel.val_share.value() - 0.35) < 1e-9
    assert panel.k_edit.text() == "50, 5" and panel.k_error.isHidden()
    assert panel.resume_button.isEnabled() and "Resume continues" in panel.run_label.text()

    seen = []

    def fake_train(folder, s):
        seen.append(s)
        raise RuntimeError("not training in this test")

    monkeypatch.setattr(train_model, "train_project", fake_train)
    panel.epochs.setValue(12)  # edits after opening do not change what Resume continues
    w = panel.start(resume=True)
    assert w is not None
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=10_000)
    assert seen == [replace(started, resume=True)]


def test_unparsable_k_does_not_break_open_project(qtbot, window, demo_project):
    _interrupted(demo_project)  # a run from before settings were saved: no .settings.json
    panel = window.training
    panel.k_edit.setText("1000, abc")
    assert window.open_project(str(demo_project))
    assert window.store is not None and window.last_error is None
    assert not panel.k_error.isHidden() and "'abc' is not a number" in panel.k_error.text()
    assert panel.settings is None and not panel.resume_button.isEnabled()
    assert "cannot be resumed" in panel.run_label.text()
    assert panel.start() is None and not panel.is_running()
    panel.reset_k()
    assert panel.k_error.isHidden()


def test_the_panel_reads_its_data_when_first_shown_not_while_the_first_photo_is_matched(qtbot, window, demo_project):
    assert window.pages.currentIndex() != 2
    assert window.open_project(str(demo_project))
    panel = window.training
    # the summary reads every photo and both jobs import torch: not while the reviewer waits
    assert not window.pool.running("training-summary") and not window.pool.running("training-device")
    assert "confirmed photos" not in panel.data_label.text()
    window.pages.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "confirmed photos" in panel.data_label.text(), timeout=60_000)
    qtbot.waitUntil(lambda: "Training runs on" in panel.device_label.text(), timeout=60_000)
    window.pages.setCurrentIndex(0)
    assert window.open_project(str(demo_project))  # reopened while hidden: read again at the next showing
    assert not window.pool.running("training-summary")
    window.pages.setCurrentIndex(2)
    assert window.pool.running("training-summary") and window.pool.running("training-device")


def test_train_job_writes_its_settings_at_start(demo_project):
    import json

    from whaleid_gui.application import train_model, train_settings

    out = Path(demo_project) / "models" / "run.pt"
    s = train_settings.TrainSettings(out=str(out), epochs=2, image_size=64, k_values=(10.0, 1.0), device="cpu",
                                     validation_fraction=0.3, seed=5, branch="reference")
    gen = train_model.train_project(str(demo_project), s)
    next(gen)  # the first step: the settings are on disk before any training
    gen.close()
    assert train_settings.read_train_settings(out) == s
    saved = json.loads(train_settings.settings_path(out).read_text())
    assert saved["train_config"]["seed"] == 5 and saved["train_config"]["epochs"] == 2
    assert saved["train_config"]["weight_decay"] > 0  # reference branch
    # a resumed run keeps the file it started with
    resumed = train_settings.TrainSettings(out=str(out), epochs=8, resume=True)
    gen = train_model.train_project(str(demo_project), resumed)
    next(gen)
    gen.close()
    assert train_settings.read_train_settings(out).epochs == 2


def test_comparison_without_scorable_validation_photos_says_na(qtbot):
    from whaleid_gui.application import compare_models
    from whaleid_gui.gui.training_panel import TrainingPanel

    panel = TrainingPanel(lambda kind, w: w.start())
    qtbot.addWidget(panel)
    nan = float("nan")
    panel._on_comparison(compare_models.Comparison("old", nan, "new", nan, 3, 3))
    assert panel.active_score.text() == "n/a" and panel.new_score.text() == "n/a"
    assert "nan" not in panel.compare_label.text().lower()
    assert panel.compare_label.text().startswith("n/a: validation needs individuals with 2+ photos")
    panel._on_comparison(compare_models.Comparison("old", 0.5, "new", 0.75, 6, 3))
    assert panel.new_score.text() == "0.750" and "better" in panel.compare_label.text()


def test_arcface_runs_plot_no_mining_and_say_so(qtbot, window):
    """ArcFace mines no pairs: its K and hard-pair plots stay empty and their titles say why."""
    from whaleid_gui.application.train_settings import TrainSettings
    from whaleid_gui.core.training_events import EpochReport

    panel = window.training
    panel.objective.setCurrentIndex(panel.objective.findData("arcface"))
    assert not panel.k_edit.isEnabled()  # K means nothing without pair mining
    panel.objective.setCurrentIndex(panel.objective.findData("siamese"))
    assert panel.k_edit.isEnabled()
    panel.settings = TrainSettings(out="x.pt", objective="arcface")
    panel.ensure_plots()
    panel.title_plots()
    panel._add_point(EpochReport(1, 3, 9.5, 0.2, float("nan"), 1000.0, 1e-4, 0.4, 1.0, 0.0, "x.pt", best_epoch=1))
    counts = panel.point_counts()
    assert counts["loss"] == counts["accuracy"] == counts["val"] == 1
    assert counts["k"] == counts["hard"] == counts["acc_k"] == 0
    assert "Siamese only" in panel.plots["k"].titleLabel.text
    assert panel.shown_plots() == ["loss", "accuracy", "val"]  # no empty mining axes on screen
    assert "photos classified" in panel.plots["accuracy"].titleLabel.text
    panel.settings = TrainSettings(out="x.pt", objective="siamese")
    panel.title_plots()
    assert "Siamese only" not in panel.plots["k"].titleLabel.text
    assert panel.shown_plots() == ["loss", "accuracy", "hard", "k", "val", "acc_k"]


def test_form_fits_its_column(qtbot, window):
    """The form's column has no horizontal scroll bar: every row (the longest combo item included)
    must fit it, or the run buttons and the progress bar are cut at its edge."""
    from PySide6.QtWidgets import QScrollArea

    window.resize(1366, 768)
    window.show()
    window.pages.setCurrentIndex(2)
    scroll = window.training.findChild(QScrollArea)
    button = window.training.resume_button

    def fits() -> bool:  # checked once the layout has settled (the scroll bar may come and go)
        right = button.mapTo(scroll.viewport(), button.rect().topRight()).x()
        return scroll.widget().minimumSizeHint().width() <= scroll.viewport().width() and right < scroll.viewport().width()

    qtbot.waitUntil(fits, timeout=3000)


def test_epoch_axes_tick_whole_epochs_only(qtbot, window):
    """A short run's epoch axis is labelled 0, 1, 2, ... not 0.5, 1.5 (pyqtgraph's own spacing)."""
    from whaleid_gui.application.train_settings import TrainSettings
    from whaleid_gui.core.training_events import EpochReport

    panel = window.training
    panel.settings = TrainSettings(out="x.pt", objective="arcface")
    panel.ensure_plots()
    panel.title_plots()
    panel._add_start_point(0.6)
    for e in (1, 2, 3):
        panel._add_point(EpochReport(e, 3, 1.0, 0.5, float("nan"), 1000.0, 1e-4, 0.6 + e / 100, 1.0, 0.0, "x.pt",
                                     best_epoch=e))
    axis = panel.plots["val"].getAxis("bottom")
    ticks = [v for _spacing, values in axis.tickValues(-0.2, 3.2, 600) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)
    assert {0, 1, 2, 3} <= set(ticks)
