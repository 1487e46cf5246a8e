"""Batch decisions for one encounter, without Qt: which siblings join (their own ranking puts the
chosen individual first), one recorded decision per photo with that photo's own candidate, and one
undo step for all. A real project store."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.application.encounter_batch import confirm_together, missing_rankings, plan_batch
from whaleid_gui.application.match_photos import CandidateView, MatchResult
from whaleid_gui.application.review_session import BoxState, DecisionUndone, EncounterBatch, ReviewSession
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectStore

BOX = BoundingBox(10, 10, 110, 60)


@pytest.fixture
def store(tmp_path):
    """Four survey photos of one encounter, with boxes; individuals HW-001 and HW-002."""
    photos = tmp_path / "photos"
    photos.mkdir()
    s = ProjectStore.create(tmp_path / "project", user="tester")
    rng = np.random.default_rng(0)
    for i in range(4):
        path = photos / f"p{i}.png"
        Image.fromarray(rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)).save(path)
        row = s.add_photo(path, survey="S1")
        s.set_box(row.id, BOX)
    s.create_individual("HW-001")
    s.create_individual("HW-002")
    yield s
    s.close()


def ranking(store, photo_id: int, first: str, score: float) -> MatchResult:
    a, b = store.individual_by_code("HW-001"), store.individual_by_code("HW-002")
    ids = {"HW-001": a.id, "HW-002": b.id}
    other = "HW-002" if first == "HW-001" else "HW-001"
    return MatchResult(photo_id, [CandidateView(1, first, score, ids.get(first)),
                                  CandidateView(2, other, 0.2, ids.get(other)), CandidateView(3, "new_whale", 0.1)],
                       0.15, f"weights-{photo_id}", "cpu", 2, 2, "10:00", 0.1)


def test_siblings_that_rank_the_chosen_individual_first_are_confirmed_together_and_undone_as_one(store):
    session = ReviewSession()
    heard: list = []
    session.subscribe(heard.append)
    session.open(store)
    query, same, other, unmatched = store.photos()
    results = {query.id: ranking(store, query.id, "HW-001", 0.9), same.id: ranking(store, same.id, "HW-001", 0.7),
               other.id: ranking(store, other.id, "HW-002", 0.8)}
    for r in results.values():
        session.add_result(r)
    session.show(query.id)
    chosen = results[query.id].candidates[0]
    siblings = [store.photo(p.id) for p in (same, other, unmatched)]
    assert missing_rankings(siblings, session.results) == [unmatched.id]

    items = plan_batch(store.photo(query.id), chosen, siblings, session.results, session.rejected)
    assert [(i.photo.id, i.included) for i in items] == [(query.id, True), (same.id, True), (other.id, False),
                                                          (unmatched.id, False)]
    assert items[2].why == "ranks HW-002 first" and items[3].why == "not matched yet"
    # a rejection of HW-001 for the sibling keeps it out
    assert not plan_batch(query, chosen, siblings, session.results, {same.id: {"HW-001"}})[1].included

    batch = confirm_together(session, items)
    assert isinstance(batch, EncounterBatch) and len(batch.decisions) == 2
    assert session.photo_id == query.id and session.history == [batch]  # one undo step, the photo stays
    hw1 = store.individual_by_code("HW-001")
    assert sorted(p.id for p in store.photos_of(hw1.id)) == sorted([query.id, same.id])
    # each photo has its own decision: its own candidate's score and rank, the model that ranked it
    rows = {d.photo_id: d for d in store.decisions(include_undone=False)}
    assert (rows[query.id].score, rows[query.id].weights_id) == (pytest.approx(0.9), f"weights-{query.id}")
    assert (rows[same.id].score, rows[same.id].weights_id) == (pytest.approx(0.7), f"weights-{same.id}")
    assert store.photo(same.id).status == "done" and store.photo(other.id).status == "needs_decision"

    undone = session.undo()
    assert undone is batch and session.history == []
    assert store.photos_of(hw1.id) == [] and store.decisions(include_undone=False) == []
    assert [e.photo_id for e in heard if isinstance(e, DecisionUndone)][-2:] == [same.id, query.id]


def test_nothing_to_confirm_records_nothing(store):
    session = ReviewSession()
    session.open(store)
    query = store.photos()[0]
    session.show(query.id)
    session.edit_box(BoxState(BOX))
    chosen = ranking(store, query.id, "HW-001", 0.9).candidates[0]
    assert confirm_together(session, [replace(i, candidate=None) for i in plan_batch(query, chosen, [], {}, {})]) is None
    assert store.decisions() == [] and len(session.history) == 1  # only the box edit
