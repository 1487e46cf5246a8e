"""What a finished (or stopped) training run says to its user, the same in the panel and the CLI:
which epoch the weights file keeps, and whether training beat the model it started from on the
project's held-out individuals. A run that did not beat it says so plainly: fine-tuning that
does not help must not look like progress."""

from __future__ import annotations

from typing import Sequence


def epoch_line(report) -> str:
    """One epoch's best-so-far and stop note (empty without validation)."""
    if report.val_map5 is None:
        return ""
    text = f"best epoch {report.best_epoch}"
    if report.stopped_early:
        text += (f"; stopped early: validation MAP@5 has not improved for {report.epoch - report.best_epoch} "
                 f"epochs")
    return text


def run_verdict(start: float | None, reports: Sequence) -> str:
    """A sentence on the run: the kept epoch, its validation MAP@5 against the starting model's."""
    if not reports:
        return "No epoch finished: nothing was trained."
    last = reports[-1]
    best = next((r for r in reports if r.epoch == last.best_epoch), None)
    if best is None and last.val_map5 is not None:
        return (f"The weights file holds epoch {last.best_epoch}, the best by validation MAP@5 "
                "(an epoch before this run was resumed).")
    if best is None or best.val_map5 is None:
        return (f"The weights file holds epoch {last.epoch}. No held-out individuals were measured: "
                "compare with the active model before making it active.")
    kept = f"The weights file holds epoch {best.epoch} (validation MAP@5 {best.val_map5:.3f})"
    if start is None:
        return kept + "."
    gain = best.val_map5 - start
    if gain > 1e-9:
        return f"{kept}: better than the weights it started from ({start:.3f}) by {gain:+.3f} on held-out individuals."
    return (f"{kept}: NOT better than the weights it started from ({start:.3f}, {gain:+.3f}) on held-out individuals. "
            "Keep the active model; more confirmed photos per individual may help.")
