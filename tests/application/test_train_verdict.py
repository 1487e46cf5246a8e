"""The sentence a finished run ends with (panel and CLI): the kept epoch and whether it beat the
weights it started from; a run that did not is told so plainly."""

from __future__ import annotations

from whaleid_gui.application.train_verdict import run_verdict
from whaleid_gui.core.training_events import EpochReport


def report(epoch: int, val: float | None, best: int) -> EpochReport:
    return EpochReport(epoch, 6, 1.0, 0.5, float("nan"), 1000.0, 1e-4, val, 1.0, 0.0, "w.pt", best_epoch=best)


def test_a_better_run_names_the_kept_epoch_and_the_gain():
    text = run_verdict(0.618, [report(1, 0.55, 1), report(2, 0.65, 2), report(3, 0.60, 2)])
    assert "holds epoch 2 (validation MAP@5 0.650)" in text
    assert "better than the weights it started from (0.618) by +0.032" in text and "NOT" not in text


def test_a_run_that_never_beat_its_start_says_so_and_advises_keeping_the_active_model():
    text = run_verdict(0.70, [report(1, 0.65, 1), report(2, 0.60, 1)])
    assert "NOT better than the weights it started from (0.700, -0.050)" in text
    assert "Keep the active model" in text


def test_without_validation_or_epochs_it_does_not_claim_a_gain():
    assert "nothing was trained" in run_verdict(0.5, [])
    text = run_verdict(None, [report(1, None, 1)])
    assert "No held-out individuals were measured" in text and "better" not in text
