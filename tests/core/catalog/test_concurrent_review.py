"""Several reviewers on one catalog (issue 13, point 2): the optimistic version check of decisions,
refused decisions kept in the history, "being reviewed by" claims, merges and renames that stay
whole, the change counter an app polls. Every test runs on SQLite (writers take turns) and on a
real PostgreSQL (many writers at once); the multi-process tests use real processes ("spawn")."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest
import review_workers
from sqlalchemy import update

from whaleid_gui.core.catalog import CatalogError, DecisionConflictError, DecisionError, ProjectStore
from whaleid_gui.core.catalog.schema import photo_claims

from test_migrations import V1_SQL  # noqa: E402 (the frozen version-1 DDL)

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path, photos_dir):
    """A project folder with 6 photos and individuals HW-001, HW-002, HW-003 (closed again)."""
    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    folder = tmp_path / "shared"
    with ProjectStore.create(folder, user="admin", db_url=db_url) as s:
        s.import_folder(photos_dir)
        for code in ("HW-001", "HW-002", "HW-003"):
            s.create_individual(code)
    return folder


@pytest.fixture
def ann_bob(catalog):
    """Two reviewers' stores open on the catalog at once."""
    stores = [ProjectStore.open(catalog, user=u, shared=True) for u in ("ann", "bob")]
    yield stores
    for s in stores:
        s.close()


def test_second_decision_on_the_same_version_is_refused_and_both_are_kept(ann_bob):
    ann, bob = ann_bob
    pid = ann.photos(sort="path")[0].id
    v_ann, _ = ann.decision_state(pid)
    v_bob, in_force = bob.decision_state(pid)
    assert v_ann == v_bob == 0 and in_force is None
    first = ann.decide(pid, "confirmed", individual_id=ann.individual_by_code("HW-001").id, expected_version=v_ann)
    with pytest.raises(DecisionConflictError) as caught:
        bob.decide(pid, "confirmed", individual_id=bob.individual_by_code("HW-002").id, expected_version=v_bob)
    err = caught.value
    assert (err.first.id, err.first.who, err.first.individual_code) == (first.id, "ann", "HW-001")
    assert str(err).startswith("img_00.jpg was decided meanwhile by ann at ") and "confirmed HW-001" in str(err)
    history = bob.decisions(photo_id=pid)
    assert [(d.who, d.individual_code, d.undone, d.conflict_with) for d in history] == [
        ("ann", "HW-001", False, None), ("bob", "HW-002", True, first.id)]
    assert [s.individual_id for s in bob.sightings(photo_id=pid)] == [first.individual_id]
    assert bob.conflicts()[0][1].id == first.id
    # bob has now seen ann's decision: a decision on the version he sees now is his to make
    version, in_force = bob.decision_state(pid)
    assert in_force.id == first.id and version == first.photo_version
    with pytest.raises(DecisionError, match="already identified as HW-001"):
        bob.decide(pid, "confirmed", individual_id=bob.individual_by_code("HW-002").id, expected_version=version)
    assert bob.decide(pid, "rejected", individual_id=first.individual_id, expected_version=version).who == "bob"
    with pytest.raises(DecisionError, match="refused"):
        ann.undo(history[1].id)


def test_a_photo_opened_for_review_comes_with_its_current_box_and_version_in_one_read(ann_bob):
    """photo_under_review (what a key press reads): the row, the active box only (replaced boxes
    stay as history), the version a decision goes with; the same as the separate reads."""
    from whaleid_gui.core.boxes import BoundingBox
    from whaleid_gui.core.catalog import NotFoundError

    ann, bob = ann_bob
    pid = ann.photos(sort="path")[0].id
    photo, box, version = bob.photo_under_review(pid)
    assert (photo, box, version) == (bob.photo(pid), None, 0) and photo.status == "needs_box"
    ann.set_box(pid, BoundingBox(1, 2, 30, 20), rotation=180, flip=True, author="ann")
    ann.set_box(pid, BoundingBox(5, 6, 40, 30), source="proposed")
    photo, box, version = bob.photo_under_review(pid)
    assert box == bob.box(pid) and box.box == BoundingBox(5, 6, 40, 30) and box.source == "proposed"
    assert photo.status == "needs_decision" and len(bob.boxes_of(pid)) == 2
    ann.decide(pid, "confirmed", individual_id=ann.individual_by_code("HW-001").id, expected_version=0)
    photo, box, version = bob.photo_under_review(pid)
    assert photo.status == "done" and version == bob.decision_state(pid)[0] == 1
    ann.delete_box(pid)
    assert bob.photo_under_review(pid)[1] is None
    with pytest.raises(NotFoundError):
        bob.photo_under_review(10_000)


def test_agreeing_and_skipping_are_no_conflicts(ann_bob):
    ann, bob = ann_bob
    pid = ann.photos(sort="path")[1].id
    hw1 = ann.individual_by_code("HW-001").id
    ann.decide(pid, "skipped", expected_version=0)
    ann.decide(pid, "confirmed", individual_id=hw1, expected_version=0)  # a skip moves no version
    same = bob.decide(pid, "confirmed", individual_id=hw1, expected_version=0)  # says the same: agreement
    assert not same.undone and same.conflict_with is None
    assert bob.decide(pid, "skipped", expected_version=0).conflict_with is None


def test_an_undo_in_between_is_a_conflict_too(ann_bob):
    ann, bob = ann_bob
    pid = ann.photos(sort="path")[2].id
    d = ann.decide(pid, "new_individual", new_code="HW-050", expected_version=0)
    seen, _ = bob.decision_state(pid)
    ann.undo(d.id)
    with pytest.raises(DecisionConflictError, match=r"new individual HW-050 \(since undone\)"):
        bob.decide(pid, "rejected", individual_id=bob.individual_by_code("HW-001").id, expected_version=seen)
    # a reviewer's undo takes back their own last decision, not another reviewer's
    other = bob.decide(pid, "skipped")
    assert ann.undo_last(who="ann") is None and bob.undo_last(who="bob").id == other.id


def test_renames_and_merges_refuse_what_someone_else_changed_first(ann_bob):
    ann, bob = ann_bob
    hw1, hw2 = ann.individual_by_code("HW-001"), ann.individual_by_code("HW-002")
    with pytest.raises(CatalogError, match="'HW-002' is already used in this project; nothing was changed"):
        ann.rename_individual(hw1.id, code="HW-002")
    bob.rename_individual(hw1.id, code="HW-101", expected_code="HW-001")
    with pytest.raises(CatalogError, match="HW-001 was renamed to HW-101 by someone else"):
        ann.rename_individual(hw1.id, code="HW-201", expected_code="HW-001")
    ann.merge_individuals(hw1.id, hw2.id)
    with pytest.raises(CatalogError, match="already merged"):
        bob.merge_individuals(hw2.id, hw1.id)
    assert [i.code for i in bob.individuals()] == ["HW-003", "HW-101"]


def test_claims_say_who_has_a_photo_open_and_go_stale(ann_bob):
    ann, bob = ann_bob
    p0, p1 = (p.id for p in ann.photos(sort="path")[:2])
    assert ann.claim_photo(p0) is None
    claim = bob.claim_photo(p0)
    assert (claim.who, claim.photo_id) == ("ann", p0) and len(claim.since_hhmm) == 5
    assert ann.claim_of(p0).who == "bob"  # both see each other: a hint, not a lock
    ann.claim_photo(p1)  # ann moved on: her claim on p0 goes
    assert bob.claim_of(p0) is None and bob.claim_of(p1).who == "ann"
    with ann._tx() as conn:  # ann's app died 10 minutes ago
        conn.execute(update(photo_claims).values(refreshed_at="2000-01-01T00:00:00+00:00"))
    assert bob.claim_of(p1) is None
    ann.claim_photo(p1)
    ann.release_claims()
    assert bob.claim_of(p1) is None


def test_a_claim_does_not_wait_for_the_disk_and_a_decision_still_does(ann_bob):
    """A claim is a hint refreshed at every poll: committed without the disk sync that keeps a
    decision through a power cut (each claim's fsync stalled the review's GUI thread, issue 15)."""
    from sqlalchemy import event

    ann, _bob = ann_bob
    p0, p1 = (p.id for p in ann.photos(sort="path")[:2])
    conn = ann.connection
    said: list[str] = []
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.set_trace_callback(said.append)
    else:
        event.listen(conn, "before_cursor_execute", lambda *a: said.append(a[2]))
    ann.claim_photo(p0)
    relaxed = [s for s in said if "synchronous" in s]
    assert relaxed and ("NORMAL" in relaxed[0] or "synchronous_commit = off" in relaxed[0])
    said.clear()
    ann.decide(p1, "skipped")
    assert not [s for s in said if "synchronous" in s]
    if conn.dialect.name == "sqlite":  # the connection is back to FULL for whatever comes next
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        conn.rollback()


def test_a_claim_that_cannot_relax_the_sync_loses_nothing_after_it(ann_bob):
    """SQLite refuses to change the sync level inside a transaction: the claim fails with the
    store's error and the next writes are committed, durably, as before."""
    ann, bob = ann_bob
    if ann.connection.dialect.name != "sqlite":
        pytest.skip("SQLite's sync level only")
    p0 = ann.photos(sort="path")[0].id
    ann.connection.exec_driver_sql("SELECT 1")  # a transaction some other code left open
    with pytest.raises(CatalogError):
        ann.claim_photo(p0)
    ann.connection.rollback()
    ann.create_individual("HW-900")
    assert bob.individual_by_code("HW-900") is not None  # committed: another connection sees it
    assert ann.connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    ann.connection.rollback()


def test_the_change_counter_moves_with_every_write_of_anyone(ann_bob):
    ann, bob = ann_bob
    before = ann.change_count()
    bob.rename_individual(bob.individual_by_code("HW-003").id, name="Tripod")
    after_rename = ann.change_count()
    bob.decide(bob.photos(sort="path")[3].id, "skipped")
    assert before < after_rename < ann.change_count()
    ann.individuals()  # reads move nothing
    assert ann.change_count() == bob.change_count()


def _run(target, jobs):
    """One spawned process per job (its args, then the shared barrier and result queue); their
    reports, sorted by user."""
    barrier, results = SPAWN.Barrier(len(jobs)), SPAWN.Queue()
    procs = [SPAWN.Process(target=target, args=(*job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    errors = [r for r in out if r[1][0] == "error"]
    assert not errors, errors
    return sorted(out)


def test_processes_at_once_one_wins_a_shared_photo_and_nothing_is_lost(catalog):
    """Three reviewer processes confirm one photo as three different individuals at the same
    moment, then each works through a queue of its own."""
    with ProjectStore.open(catalog, user="admin", shared=True) as s:
        shared, *rest = (p.id for p in s.photos(sort="path"))
    codes = ("HW-001", "HW-002", "HW-003")
    out = _run(review_workers.review, [(str(catalog), f"r{i}", shared, codes[i], rest[i::3]) for i in range(3)])
    winners = [r for r in out if r[1][0] == "won"]
    losers = [r for r in out if r[1][0] == "conflict"]
    assert len(winners) == 1 and len(losers) == 2
    won_id = winners[0][2][0]
    assert all(r[1][1:3] == (winners[0][0], won_id) for r in losers)  # each loser is shown the winner
    committed = sorted(d for r in out for d in r[2])
    with ProjectStore.open(catalog, user="admin", shared=True) as s:
        in_force = s.decisions(include_undone=False)
        assert sorted(d.id for d in in_force) == committed  # nothing lost, nothing extra
        assert sorted(d.photo_id for d in in_force) == sorted([shared, *rest])
        refused = [d for d in s.decisions(photo_id=shared) if d.undone]
        assert sorted(d.id for d in refused) == sorted(r[1][3] for r in losers)  # both kept in the audit
        assert {d.conflict_with for d in refused} == {won_id}
        assert len(s.sightings(photo_id=shared)) == 1
        new_codes = [d.individual_code for d in in_force if d.decision == "new_individual"]
        assert len(new_codes) == 3 == len(set(new_codes))  # the same suggested code is never given twice


def test_opposite_merges_and_renames_to_one_code_at_once_one_is_applied(catalog):
    out = _run(review_workers.merge_after_barrier,
               [(str(catalog), "ann", "HW-001", "HW-002", "HW-003"), (str(catalog), "bob", "HW-002", "HW-001", "HW-001")])
    merges = sorted(r[1][0] for r in out)
    assert merges[0] == "merged" and merges[1].startswith("refused: individual HW-00") and "already merged" in merges[1]
    renames = sorted(r[1][1] for r in out)
    assert renames == ["refused: individual code 'HW-X' is already used in this project; nothing was changed", "renamed"]
    with ProjectStore.open(catalog, user="admin", shared=True) as s:
        assert len(s.individuals()) == 2  # HW-X and the other: one absorbed its twin, one renamed


def test_a_version_2_project_upgrades_to_version_checked_decisions(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    con = sqlite3.connect(folder / "project.sqlite")  # what version 2 wrote: v1's DDL + the v1->v2 step
    con.executescript(V1_SQL.read_text())
    con.executescript("""
        ALTER TABLE photos ADD COLUMN quality VARCHAR(16); ALTER TABLE photos ADD COLUMN comment TEXT;
        UPDATE meta SET value = '2' WHERE key = 'schema_version';
        INSERT INTO photos (id, path, sha1, width, height, imported_at) VALUES (1, '/x.jpg', 'abc', 48, 32, '2015');
        INSERT INTO decisions (photo_id, decision, who, at) VALUES (1, 'skipped', 'old', '2015');
    """)
    con.commit()
    con.close()
    with ProjectStore.open(folder, user="bob") as s:
        assert s.schema_version == 4 and s.decision_state(1)[0] == 0
        assert [(d.decision, d.who, d.photo_version) for d in s.decisions()] == [("skipped", "old", None)]
        s.decide(1, "new_individual", expected_version=0)
        with pytest.raises(DecisionConflictError):
            s.decide(1, "new_individual", expected_version=0)
        assert s.change_count() > 0
    assert (folder / "project.v2-backup.sqlite").exists()
