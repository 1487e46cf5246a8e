"""A run interrupted before runs kept their settings file resumes with what its own saved state and
weights say, not with the form as it is now (issue 15: such runs could not be resumed)."""

from __future__ import annotations

from whaleid_gui.application.train_model import csv_training_data, train_model
from whaleid_gui.application.train_settings import TrainSettings, read_train_settings, settings_path
from whaleid_gui.core.progress import drive
from whaleid_gui.core.training import EpochReport, state_path


def test_a_run_without_its_settings_file_resumes_with_its_own_settings(small_demo, tmp_path):
    data, missing = csv_training_data(small_demo.train_csv, small_demo.boxes_csv)
    assert not missing
    out = tmp_path / "models" / "old-run.pt"
    started = TrainSettings(out=str(out), branch="reference", fast=False, epochs=2, image_size=64, learning_rate=1e-4,
                            k_values=(10.0, 1.0), device="cpu", validation_fraction=0.0, seed=3, batch_size=8)
    job = train_model(started, lambda: data, "test")
    for event in job:  # run the first epoch, then stop as a crash would
        if isinstance(event, EpochReport):
            break
    job.close()
    assert state_path(out).exists() and out.exists()
    settings_path(out).unlink()  # as a run from before settings were saved

    form = TrainSettings(out=str(out), branch="efficientnet-lite0", fast=True, epochs=9, image_size=128,
                         learning_rate=5e-3, device="cpu", validation_fraction=0.3, seed=0, resume=True)
    outcome = drive(train_model(form, lambda: data, "test"))
    s = outcome.settings
    assert (s.branch, s.fast, s.epochs, s.image_size, s.learning_rate, s.k_values, s.seed, s.batch_size) == (
        "reference", False, 2, 64, 1e-4, (10.0, 1.0), 3, 8)
    assert [r.epoch for r in outcome.reports] == [2]  # it continued after the saved epoch
    assert read_train_settings(out) == TrainSettings(**{**s.__dict__, "resume": False})  # kept for next time
