"""The training panel offers Resume for a run interrupted before runs saved their settings (the
worker then reads the run's own state: tests/application/test_recover_run.py)."""

from __future__ import annotations

from pathlib import Path


def test_an_old_interrupted_run_can_be_resumed_from_the_panel(qtbot, window, demo_project, monkeypatch):
    from whaleid_gui.application import train_model

    models = Path(demo_project) / "models"
    models.mkdir(parents=True, exist_ok=True)
    out = models / "20200101-000000.pt"
    out.with_name(out.name + ".resume").write_bytes(b"state")  # no .settings.json beside it
    assert window.open_project(str(demo_project))
    panel = window.training
    assert panel.settings is not None and panel.settings.out == str(out)
    assert panel.resume_button.isEnabled() and "started before runs saved their settings" in panel.run_label.text()

    seen = []

    def fake_train(folder, s):
        seen.append(s)
        raise RuntimeError("not training in this test")

    monkeypatch.setattr(train_model, "train_project", fake_train)
    assert panel.start(resume=True) is not None
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=10_000)
    assert len(seen) == 1 and seen[0].resume and seen[0].out == str(out)
