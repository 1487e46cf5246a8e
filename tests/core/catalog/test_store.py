"""Store API: photos, boxes, individuals, sightings, decisions, undo, merge, references."""

from __future__ import annotations

import pytest

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import (
    CatalogError,
    DecisionError,
    NotFoundError,
    ProjectExistsError,
    ProjectNotFoundError,
    ProjectStore,
)


def test_create_open_settings(tmp_path):
    with ProjectStore.create(tmp_path / "p", user="ann") as s:
        assert s.schema_version == 4
        assert s.settings["created_by"] == "ann"
        s.update_settings(theme="dark")
    with pytest.raises(ProjectExistsError):
        ProjectStore.create(tmp_path / "p")
    with pytest.raises(ProjectNotFoundError, match="not a WhaleID project"):
        ProjectStore.open(tmp_path / "nowhere")
    with ProjectStore.open(tmp_path / "p") as s:
        assert s.settings["theme"] == "dark"
        assert s.pragma("PRAGMA journal_mode")[0][0] == "wal"
        assert s.pragma("PRAGMA foreign_keys")[0][0] == 1


def test_unreadable_settings_are_not_overwritten(tmp_path):
    with ProjectStore.create(tmp_path / "p") as s:
        s.update_settings(weights="models/a.pt", rerank="none")
        path = s.folder / "settings.json"
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: len(text) // 2], encoding="utf-8")  # e.g. a hand edit gone wrong
        assert s.settings == {"format": 1}  # reading falls back to the defaults
        with pytest.raises(CatalogError, match="settings.json"):
            s.update_settings(rerank="keypoints")
        assert path.read_text(encoding="utf-8") == text[: len(text) // 2]  # nothing lost


def test_photo_status_and_queue(filled):
    ph = filled.photos(sort="path")
    assert [p.status for p in ph] == ["done", "done", "done", "needs_decision", "needs_decision", "needs_box"]
    assert [p.id for p in filled.queue()] == [ph[3].id, ph[4].id]
    assert filled.count_photos("needs_box") == 1
    assert filled.photo(ph[0].id).width == 48
    with pytest.raises(NotFoundError):
        filled.photo(999)
    with pytest.raises(CatalogError):
        filled.photos(status="bogus")


def test_photos_by_id_reads_any_number_of_ids_in_chunks(filled, monkeypatch):
    from whaleid_gui.core.catalog import store_base

    monkeypatch.setattr(store_base, "ID_CHUNK", 4)  # six photos: two queries
    every = filled.photos(sort="path")
    wanted = [p.id for p in every] + [10_000]  # an id that is gone is left out
    got = filled.photos_by_id(wanted)
    assert sorted(p.id for p in got) == sorted(p.id for p in every)
    assert {p.id: p.status for p in got} == {p.id: p.status for p in every}
    assert filled.photos_by_id([]) == []


def test_current_boxes_of_some_photos_only(filled, monkeypatch):
    from whaleid_gui.core.catalog import store_base

    monkeypatch.setattr(store_base, "ID_CHUNK", 2)
    ph = filled.photos(sort="path")  # boxes on photos 1-5, none on 6
    every = filled.current_boxes()
    some = filled.current_boxes([ph[0].id, ph[3].id, ph[4].id, ph[5].id, 10_000])
    assert sorted(some) == sorted([ph[0].id, ph[3].id, ph[4].id])
    assert all(some[i] == every[i] for i in some)
    assert filled.current_boxes([]) == {}


def test_quality_and_comment(filled):
    p = filled.photos()[0]
    assert filled.set_quality(p.id, "poor").quality == "poor"
    assert filled.set_comment(p.id, "glare").comment == "glare"
    assert filled.set_quality(p.id, None).quality is None
    with pytest.raises(CatalogError, match="unknown quality"):
        filled.set_quality(p.id, "awful")


def test_boxes_history_clip_and_delete(filled):
    p = filled.photos(status="needs_box")[0]
    assert filled.box(p.id) is None
    b1 = filled.set_box(p.id, BoundingBox(-5, 1, 30, 20), source="proposed")
    assert b1.box.x0 == 0 and b1.source == "proposed" and b1.author == "tester"
    b2 = filled.set_box(p.id, BoundingBox(1, 1, 10, 10), rotation=180, flip=True)
    assert filled.box(p.id) == b2 and b2.rotation == 180 and b2.flip
    assert [b.id for b in filled.boxes_of(p.id)] == [b1.id, b2.id]
    filled.delete_box(p.id)
    assert filled.box(p.id) is None
    with pytest.raises(CatalogError):
        filled.set_box(p.id, BoundingBox(100, 100, 200, 200))
    with pytest.raises(CatalogError):
        filled.set_box(p.id, BoundingBox(1, 1, 5, 5), rotation=90)


def test_individual_stats_rename_notes_codes(filled):
    a = filled.individual_by_code("HW-001")
    assert (a.n_photos, a.first_seen, a.last_seen, a.last_place) == (2, "2019-07-01", "2020-08-02", "Cape")
    assert filled.next_free_code() == "HW-003"
    r = filled.rename_individual(a.id, code="HW-010", name="Alpha2")
    assert (r.code, r.name) == ("HW-010", "Alpha2")
    filled.set_notes(a.id, "left notch")
    events = [e["event"] for e in filled.individual_history(a.id)]
    assert events == ["created", "renamed", "notes"]
    assert filled.next_free_code() == "HW-011"
    with pytest.raises(CatalogError, match="already used"):
        filled.create_individual("HW-002")
    with pytest.raises(CatalogError, match="reserved"):
        filled.create_individual("new_whale")


def test_merge_keeps_history(filled):
    a = filled.individual_by_code("HW-001")
    b = filled.individual_by_code("HW-002")
    merged = filled.merge_individuals(a.id, b.id)
    assert merged.n_photos == 3 and merged.first_seen == "2018-01-05"
    assert [i.code for i in filled.individuals()] == ["HW-001"]
    assert [i.code for i in filled.individuals(include_merged=True)] == ["HW-001", "HW-002"]
    assert filled.individual_by_code("HW-002").id == a.id  # old code leads to the survivor
    assert filled.individual_history(b.id)[-1]["event"] == "merged_into"
    assert filled.next_free_code() == "HW-003"  # merged code stays reserved
    assert filled.check().ok


def test_decisions_confirm_new_reject_skip_and_undo(filled):
    q1, q2 = filled.queue()
    filled.record_candidates(q1.id, [("HW-001", 0.9, 1), ("new_whale", 0.6, 2), ("HW-002", 0.2, 3)], "w-1")
    assert filled.candidates(q1.id) == [("HW-001", 0.9, 1), ("new_whale", 0.6, 2), ("HW-002", 0.2, 3)]
    a = filled.individual_by_code("HW-001")
    rej = filled.decide(q1.id, "rejected", individual_id=filled.individual_by_code("HW-002").id)
    assert (rej.score, rej.rank, rej.weights_id) == (0.2, 3, "w-1")
    conf = filled.decide(q1.id, "confirmed", individual_id=a.id)
    assert (conf.score, conf.rank, conf.who) == (0.9, 1, "tester")
    assert filled.photo(q1.id).status == "done"
    assert filled.individual(a.id).n_photos == 3
    with pytest.raises(DecisionError, match="already identified"):
        filled.decide(q1.id, "new_individual")
    new = filled.decide(q2.id, "new_individual", new_name="Zed")
    assert new.individual_code == "HW-003"
    assert filled.individual_by_code("HW-003").name == "Zed"
    filled.decide(q2.id, "skipped")
    # undo in reverse order, effects included
    assert filled.undo_last().decision == "skipped"
    undone = filled.undo_last()
    assert undone.decision == "new_individual" and undone.undone and undone.individual_code == "HW-003"
    assert filled.individual_by_code("HW-003") is None
    assert filled.photo(q2.id).status == "needs_decision"
    assert filled.undo_last().id == conf.id
    assert filled.photo(q1.id).status == "needs_decision"
    assert filled.individual(a.id).n_photos == 2
    assert [d.undone for d in filled.decisions()] == [False, True, True, True]
    assert filled.undo_last().id == rej.id
    assert filled.undo_last() is None
    with pytest.raises(DecisionError, match="already undone"):
        filled.undo(rej.id)
    assert filled.check().ok


def test_undo_of_new_individual_blocked_when_it_has_other_photos(filled):
    q1, q2 = filled.queue()
    d1 = filled.decide(q1.id, "new_individual")
    ind = filled.individual_by_code(d1.individual_code)
    filled.decide(q2.id, "confirmed", individual_id=ind.id)
    with pytest.raises(DecisionError, match="other photos"):
        filled.undo(d1.id)


def test_decision_validation(filled):
    q = filled.queue()[0]
    with pytest.raises(CatalogError, match="unknown decision"):
        filled.decide(q.id, "maybe")
    with pytest.raises(DecisionError):
        filled.decide(q.id, "confirmed")
    with pytest.raises(NotFoundError):
        filled.record_candidates(q.id, [("HW-999", 0.5, 1)])
    assert filled.decisions() == []


def test_references(filled):
    refs = filled.references()
    assert [(p.name, code) for p, code, _b in refs] == [
        ("img_00.jpg", "HW-001"), ("img_01.jpg", "HW-001"), ("img_02.jpg", "HW-002")
    ]
    assert refs[0][2] == BoundingBox(2, 2, 40, 30)


def test_oriented_references_carry_each_boxs_rotation_and_mirror(filled):
    ph = filled.photos(sort="path")
    filled.set_box(ph[1].id, BoundingBox(3, 3, 41, 31), rotation=180, flip=True)
    filled.delete_box(ph[2].id)  # identified, no box any more
    refs = filled.oriented_references()
    assert [(p.name, code, box, rot, flip) for p, code, box, rot, flip in refs] == [
        ("img_00.jpg", "HW-001", BoundingBox(2, 2, 40, 30), 0, False),
        ("img_01.jpg", "HW-001", BoundingBox(3, 3, 41, 31), 180, True),
        ("img_02.jpg", "HW-002", None, 0, False),
    ]
    assert filled.references() == [r[:3] for r in refs]


def test_model_runs(store):
    rid = store.add_model_run("w-1", "training", {"photos": 10}, {"map5": 0.5})
    assert store.model_runs()[0].id == rid and store.model_runs()[0].metrics == {"map5": 0.5}


def test_check_reports_missing_files(filled):
    p = filled.photos()[0]
    p.path.unlink()
    report = filled.check()
    assert not report.ok and report.missing_files == [str(p.path)]


def test_only_the_last_store_of_the_process_folds_the_wal_when_it_closes(tmp_path):
    """A confirm's worker opens and closes a store of its own while the window's stays open: its
    close folded the WAL (a checkpoint with an fsync) at every confirm. The last close still does."""
    from whaleid_gui.core.catalog.db import DB_NAME

    outer = ProjectStore.create(tmp_path / "p")
    wal = tmp_path / "p" / (DB_NAME + "-wal")
    try:
        inner = ProjectStore.open(tmp_path / "p")
        inner.create_individual("HW-001")  # a write: it goes to the WAL
        inner.close()
        assert wal.exists() and wal.stat().st_size > 0  # not folded: the window's store holds the project
        assert [i.code for i in outer.individuals()] == ["HW-001"]
        # another program reading the file keeps SQLite from removing the WAL at the last close,
        # so only the store's own checkpoint can empty it
        import sqlite3

        reader = sqlite3.connect(f"file:{tmp_path / 'p' / DB_NAME}?mode=ro", uri=True)
        reader.execute("SELECT count(*) FROM individuals").fetchone()
    finally:
        outer.close()
    try:
        assert wal.exists() and wal.stat().st_size == 0  # the last store folds it: one self-contained file
    finally:
        reader.close()
    reopened = ProjectStore.open(tmp_path / "p", read_only=True)
    try:
        assert [i.code for i in reopened.individuals()] == ["HW-001"]
    finally:
        reopened.close()
