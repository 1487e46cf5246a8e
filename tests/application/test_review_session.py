"""The review session's rules without Qt: what a decision records, the undo history across box
edits and decisions, which photo comes next, the same encounter. A real project store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.application.match_photos import CandidateView, MatchResult
from whaleid_gui.application.review_session import (
    BoxEdit,
    BoxSaved,
    BoxState,
    Decision,
    DecisionRecorded,
    DecisionUndone,
    ReviewSession,
    encounter_siblings,
    next_photo,
)
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import DecisionError, ProjectStore

BOX = BoundingBox(10, 10, 110, 60)


@pytest.fixture
def store(tmp_path):
    """Three photos and two individuals (HW-001 with a catalog photo)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    s = ProjectStore.create(tmp_path / "project", user="tester")
    rng = np.random.default_rng(0)
    for i in range(3):
        path = photos / f"p{i}.png"
        Image.fromarray(rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)).save(path)
        s.add_photo(path, survey="S1")
    s.create_individual("HW-001")
    s.create_individual("HW-002")
    yield s
    s.close()


def _result(store, photo_id: int) -> MatchResult:
    a, b = store.individual_by_code("HW-001"), store.individual_by_code("HW-002")
    return MatchResult(photo_id, [CandidateView(1, "HW-001", 0.91, a.id), CandidateView(2, "HW-002", 0.40, b.id),
                                  CandidateView(3, "new_whale", 0.30)],
                       0.5, "weights-abc", "cpu", 2, 2, "2024-01-01T00:00", 0.1)


def _session(store) -> tuple[ReviewSession, list]:
    session = ReviewSession()
    heard: list = []
    session.subscribe(heard.append)
    session.open(store)
    return session, heard


def test_decision_records_the_candidate_and_the_ranking_model(store):
    session, heard = _session(store)
    pid = store.photos()[0].id
    session.show(pid)
    session.edit_box(BoxState(BOX))
    result = _result(store, pid)
    session.add_result(result)
    row = session.decide("confirmed", result.candidates[0])
    assert (row.photo_id, row.individual_id, row.score, row.rank, row.weights_id) == (
        pid, result.candidates[0].individual_id, 0.91, 1, "weights-abc")
    assert [p.id for p in store.photos_of(result.candidates[0].individual_id)] == [pid]
    assert heard[-1] == DecisionRecorded(Decision(pid, "confirmed", "HW-001"))
    # a rejection is remembered for this photo (the cards show it struck out) until undone
    session.decide("rejected", result.candidates[1])
    assert session.rejected_for(pid) == {"HW-002"}


def test_undo_goes_back_through_decisions_and_box_edits_in_order(store):
    session, heard = _session(store)
    pid = store.photos()[0].id
    session.show(pid)
    first, moved = BoxState(BOX), BoxState(BoundingBox(20, 10, 110, 60), rotation=180, flip=True)
    session.edit_box(first)
    session.edit_box(moved)
    assert store.box(pid).rotation == 180 and store.box(pid).flip
    session.add_result(_result(store, pid))
    session.decide("rejected", _result(store, pid).candidates[1])
    session.decide("new_individual", None, new_code="HW-777", new_name="Nova")
    assert store.individual_by_code("HW-777") is not None

    assert session.undo() == Decision(pid, "new_individual", "HW-777")
    assert store.individual_by_code("HW-777") is None
    assert heard[-1] == DecisionUndone(Decision(pid, "new_individual", "HW-777"), pid)
    assert session.undo() == Decision(pid, "rejected", "HW-002")
    assert session.rejected_for(pid) == set()
    assert session.undo() == BoxEdit(pid, first, moved)
    assert store.box(pid).box == BOX and store.box(pid).rotation == 0
    assert session.photo_state == first and heard[-1] == BoxSaved(pid, first)
    assert session.undo() == BoxEdit(pid, BoxState(), first)
    assert store.box(pid) is None
    assert session.undo() is None  # nothing left
    # redo brings the undone box edits back, in order
    assert session.redo() == BoxEdit(pid, BoxState(), first)
    assert session.redo() == BoxEdit(pid, first, moved)
    assert store.box(pid).box == moved.box and session.redo() is None


def test_a_new_box_drops_the_ranking_and_a_proposal_is_saved_as_proposed(store):
    photo = store.photos()[1]
    session, _ = _session(store)
    session.proposals[str(Path(photo.path).resolve())] = BOX
    session.show(photo.id)
    session.add_result(_result(store, photo.id))
    session.edit_box(BoxState(BOX))  # the user accepted the box model's proposal
    assert store.box(photo.id).source == "proposed"
    assert photo.id not in session.results  # a new box means a new ranking
    session.edit_box(BoxState(BoundingBox(0, 0, 50, 50)))
    assert store.box(photo.id).source == "manual"


def test_a_failed_undo_keeps_the_entry(store):
    """The store refuses to undo a new individual that has other photos now: undo can be retried."""
    session, _ = _session(store)
    p0, p1 = (p.id for p in store.photos()[:2])
    session.show(p0)
    session.decide("new_individual", None, new_code="HW-500")
    store.add_sighting(p1, store.individual_by_code("HW-500").id)
    with pytest.raises(DecisionError):
        session.undo()
    assert session.last_entry() == Decision(p0, "new_individual", "HW-500")


def test_read_only_and_no_photo_decide_nothing(store):
    session, heard = _session(store)
    assert session.decide("skipped") is None  # no photo under review
    session.read_only = True
    session.show(store.photos()[0].id)
    assert session.decide("skipped") is None and session.edit_box(BoxState(BOX)) is None
    assert heard == [] and store.decisions() == []


def test_next_photo_after_a_decision():
    order, status = [5, 3, 8, 1], {5: "done", 3: "needs_box", 8: "done", 1: "needs_decision"}
    assert next_photo(order, status, 3) == 1  # the next photo that still needs work
    assert next_photo(order, status, 1) == 3  # wrapping round
    assert next_photo(order, {**status, 1: "done", 3: "done"}, 3) is None  # all done: stay
    assert next_photo(order, {k: "done" for k in order}, 5, force=True) == 3  # a skip moves on anyway
    assert next_photo(order, {k: "done" for k in order}, 1, force=True) is None  # ... not past the end


def test_same_encounter_is_same_survey_within_two_hours():
    class P:
        def __init__(self, id, taken_at, survey, folder="/a"):
            self.id, self.taken_at, self.survey, self.path = id, taken_at, survey, Path(folder) / f"{id}.jpg"

    q = P(1, "2024-06-01T10:00:00", "S1")
    rows = [q, P(2, "2024-06-01T11:30:00", "S1"), P(3, "2024-06-01T12:30:00", "S1"),
            P(4, "2024-06-01T09:00:00", "S2"), P(5, None, "S1"), P(6, None, "S1", "/b")]
    assert [p.id for p in encounter_siblings(q, rows)] == [2, 5, 6]  # undated: the explicit survey decides
    # undated photos that only share a folder are not one encounter (issue 15: the demo's 59 photos)
    loose = [P(7, None, None), P(8, None, None), P(9, "2024-06-01T10:00:00", None)]
    assert encounter_siblings(loose[0], loose) == [] and encounter_siblings(loose[2], loose) == []


def test_the_session_needs_no_qt():
    code = ("import sys, whaleid_gui.application.review_session; "
            "sys.exit(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
