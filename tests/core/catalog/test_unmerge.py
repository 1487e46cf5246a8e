"""Undo of a merge: the absorbed individual comes back with exactly its photos and sightings."""

from __future__ import annotations

import pytest

from whaleid_gui.core.catalog.errors import CatalogError


def test_unmerge_restores_the_absorbed_individual(filled):
    store = filled
    a = store.individual_by_code("HW-001")
    b = store.individual_by_code("HW-002")
    ph = store.photos(sort="path")
    # photo 0 is a sighting of both: the merge drops b's duplicate sighting, unmerge writes it again
    store.add_sighting(ph[0].id, b.id, date="2021-02-03", place="Shelf")
    before_a = sorted(p.id for p in store.photos_of(a.id))
    before_b = sorted(p.id for p in store.photos_of(b.id))
    refs_before = sorted((str(p), c) for p, c, _b in store.references())

    store.merge_individuals(a.id, b.id)
    assert store.individual_by_code("HW-002").id == a.id
    assert [i.code for i in store.individuals()] == ["HW-001"]

    back = store.unmerge_individuals(a.id, b.id)
    assert back.code == "HW-002"
    assert sorted(i.code for i in store.individuals()) == ["HW-001", "HW-002"]
    assert sorted(p.id for p in store.photos_of(a.id)) == before_a
    assert sorted(p.id for p in store.photos_of(b.id)) == before_b
    assert sorted((str(p), c) for p, c, _b in store.references()) == refs_before
    restored = [s for s in store.sightings(individual_id=b.id) if s.photo_id == ph[0].id]
    assert restored and restored[0].place == "Shelf"
    assert store.individual_history(b.id)[-1]["event"] == "unmerged"
    assert store.individual_history(a.id)[-1]["event"] == "unmerged"
    assert store.check().ok

    with pytest.raises(CatalogError):  # not merged any more: nothing to undo
        store.unmerge_individuals(a.id, b.id)
