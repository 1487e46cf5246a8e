"""The model is named by its card's name and date, never by its content hash."""

from __future__ import annotations

from types import SimpleNamespace

from whaleid_gui.application.model_label import model_label
from whaleid_gui.core.model import UNTRAINED_ID, ZERO_SHOT_ID


def model(weights_id: str, created: str = "") -> SimpleNamespace:
    return SimpleNamespace(weights_id=weights_id, card=SimpleNamespace(created=created))


def test_named_models_read_by_name_and_files_by_file_name_and_date():
    assert model_label(model(ZERO_SHOT_ID)) == "General (ImageNet features)"
    assert model_label(model(f"{ZERO_SHOT_ID}@64"), None) == "General (ImageNet features) at 64 px"
    assert model_label(model(UNTRAINED_ID), "untrained") == "Untrained baseline"
    flukes = model("d8c208d70c4d48da@128", "2026-11-28T14:44:14+00:00")
    assert model_label(flukes, "flukes") == "Flukes, 2026-11-28 at 128 px"
    run = model("0123456789abcdef", "2026-12-01T09:00:00+00:00")
    label = model_label(run, "/lab/project/models/run3.pt")
    assert label == "run3.pt, 2026-12-01" and "0123456789abcdef" not in label
