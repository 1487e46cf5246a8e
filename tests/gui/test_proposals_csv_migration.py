"""Proposed boxes live in the catalog (schema 4): a project from before, with proposed_boxes.csv
beside its database, gets them moved in when it opens for writing, and they show as before."""

from __future__ import annotations

import csv
from pathlib import Path

from whaleid_gui.application import box_proposals
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectStore


def test_an_old_projects_proposal_file_moves_into_the_catalog(qtbot, window, demo_project, monkeypatch):
    monkeypatch.setattr(box_proposals, "box_model_available", lambda: False)  # only the file's proposals
    with ProjectStore.open(demo_project, read_only=True) as s:
        unboxed = s.photos(status="needs_box")
    wanted = {str(Path(p.path).resolve()): BoundingBox(5, 6, 50 + p.id, 40) for p in unboxed}
    with open(demo_project / box_proposals.PROPOSALS_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(box_proposals.FIELDS)
        writer.writerow(["/gone/photo.jpg", 1, 2, 3, 4, "old-model"])  # a photo no longer in the project
        for path, b in wanted.items():
            writer.writerow([path, b.x0, b.y0, b.x1, b.y1, "old-model"])
    assert window.open_project(str(demo_project))
    kept = window.store.proposals()
    assert {p.id: b for p, (b, _m) in zip(unboxed, [kept[p.id] for p in unboxed])} == \
        {p.id: wanted[str(Path(p.path).resolve())] for p in unboxed}
    assert {m for _b, m in kept.values()} == {"old-model"}
    assert not (demo_project / box_proposals.PROPOSALS_CSV).exists()
    assert (demo_project / (box_proposals.PROPOSALS_CSV + ".migrated")).exists()
    assert window.controller.proposals == wanted  # shown dashed as before
    assert {p.id for p in window.store.photos(status="needs_box")} == {p.id for p in unboxed}  # not boxes
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=20_000)
