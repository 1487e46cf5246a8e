"""Other reviewers' confirms, followed from one window (issue 15: a catalog change re-ranks what it
affects): each of bob's confirms and undos is reported once, by the individual it changed; what
was there when ann's window first looked, ann's own decisions and refused ones are not."""

from __future__ import annotations

import pytest
from shared_catalog import shared_catalog

from whaleid_gui.application.others_decisions import OthersDecisions
from whaleid_gui.core.catalog import DecisionConflictError, ProjectStore


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    """ann's and bob's stores on one catalog of four photos, HW-001 and HW-002."""
    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    folder = shared_catalog(tmp_path, db_url, photos=4)
    ann, bob = (ProjectStore.open(folder, user=u, shared=True) for u in ("ann", "bob"))
    yield ann, bob
    ann.close()
    bob.close()


def test_each_of_another_reviewers_confirms_and_undos_is_followed_once(stores):
    ann, bob = stores
    photos = [p.id for p in ann.photos()]
    hw1, hw2 = (ann.individual_by_code(c).id for c in ("HW-001", "HW-002"))
    bob.decide(photos[0], "confirmed", individual_id=hw1)  # before ann's window looked: in its rankings
    follower = OthersDecisions("ann")
    first = follower.look(ann)
    assert not first.codes and not first.new_individual

    confirmed = bob.decide(photos[1], "confirmed", individual_id=hw2)
    ann.decide(photos[2], "confirmed", individual_id=hw1)  # ann's own: followed when she made it
    growth = follower.look(ann)
    assert growth.codes == {"HW-002"} and not growth.new_individual
    assert not follower.look(ann).codes  # the store names the last decisions again: not twice

    version, _ = bob.decision_state(photos[2])
    with pytest.raises(DecisionConflictError):
        bob.decide(photos[2], "confirmed", individual_id=hw2, expected_version=version - 1)
    assert not follower.look(ann).codes  # refused: the catalog did not change

    bob.undo(confirmed.id)  # bob's HW-002 confirm taken back: HW-002 lost a photo
    assert follower.look(ann).codes == {"HW-002"}
    bob.decide(photos[3], "new_individual", new_code="HW-003")
    growth = follower.look(ann)
    assert growth.codes == {"HW-003"} and growth.new_individual
