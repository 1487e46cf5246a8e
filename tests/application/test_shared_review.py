"""Two reviewers' sessions on one catalog (issue 13 point 2), without Qt: the second decision on a
photo someone else decided meanwhile is refused and announced with the first one, claims show who
has a photo open, a poll notices others' changes, and undo takes back one's own decision."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shared_catalog import shared_catalog

from whaleid_gui.application.match_photos import CandidateView
from whaleid_gui.application.review_session import DecisionConflicted, ReviewSession
from whaleid_gui.core.catalog import DecisionConflictError, ProjectStore


@pytest.fixture(params=["sqlite", "postgresql"])
def two_reviewers(request, tmp_path):
    """ann's and bob's sessions on one catalog of three photos, HW-001 and HW-002."""
    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    folder = shared_catalog(tmp_path, db_url, photos=3)
    out = []
    for user in ("ann", "bob"):
        session, heard = ReviewSession(), []
        session.subscribe(heard.append)
        session.open(ProjectStore.open(folder, user=user, shared=True))
        out.append((session, heard))
    yield out
    for session, _ in out:
        store = session.store
        session.open(None)  # releases the claims, as closing a project does
        store.close()


def _cand(session, code: str) -> CandidateView:
    return CandidateView(1, code, 0.9, session.store.individual_by_code(code).id)


def test_the_second_reviewer_is_refused_and_shown_the_first_decision(two_reviewers):
    (ann, _), (bob, bob_heard) = two_reviewers
    pid = ann.store.photos()[0].id
    ann.show(pid)
    bob.show(pid)
    assert bob.claimed_by.who == "ann"  # "being reviewed by ann since HH:MM"
    assert ann.poll().claim.who == "bob"  # and ann sees bob at her next poll
    ann.decide("confirmed", _cand(ann, "HW-001"))
    with pytest.raises(DecisionConflictError, match="decided meanwhile by ann"):
        bob.decide("confirmed", _cand(bob, "HW-002"))
    event = bob_heard[-1]
    assert isinstance(event, DecisionConflicted)
    assert (event.error.first.who, event.error.first.individual_code) == ("ann", "HW-001")
    assert bob.history == []  # nothing of bob's to undo: his decision had no effect
    # bob has been shown ann's decision: his next decision is made on it (and it agrees here)
    assert bob.decide("confirmed", _cand(bob, "HW-001")).conflict_with is None
    assert [d.who for d in bob.store.decisions(photo_id=pid)] == ["ann", "bob", "bob"]


def test_a_poll_notices_others_changes_and_undo_takes_back_ones_own(two_reviewers):
    (ann, _), (bob, _) = two_reviewers
    p0, p1, _p2 = (p.id for p in ann.store.photos())
    assert ann.poll().changed is False  # nothing changed since the project was opened
    ann.show(p0)
    ann.decide("confirmed", _cand(ann, "HW-001"))
    bob.show(p1)
    assert ann.poll().changed is False  # bob opening a photo (his claim) is no change to reload for
    bob.decide("rejected", _cand(bob, "HW-002"))
    refresh = ann.poll()
    assert refresh.changed and sorted(p.id for p in refresh.photos) == [p0, p1]  # these rows, not all
    assert ann.poll().changed is False
    undone = ann.undo()
    assert undone.photo_id == p0  # ann's own decision, though bob's is the catalog's latest
    assert [(d.who, d.undone) for d in ann.store.decisions()] == [("ann", True), ("bob", False)]
    bob.undo()
    assert p1 in [p.id for p in ann.poll().photos]  # an undo of bob's is seen too
    new = ann.store.photos()[0].path.with_name("new.png")
    Image.fromarray(np.full((40, 60, 3), 7, dtype=np.uint8)).save(new)
    bob.store.add_photo(new)
    assert ann.poll().photos is None  # photos were added: reload them all
