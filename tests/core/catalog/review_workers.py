"""What a reviewer's process does in the concurrency tests: open the shared catalog, look at photos,
decide. Run in child processes started with multiprocessing's "spawn" (a fresh interpreter each,
as separate apps or CLI runs are), so this module imports nothing but the store."""

from __future__ import annotations


def open_store(folder: str, user: str):
    from whaleid_gui.core.catalog import ProjectStore

    return ProjectStore.open(folder, user=user, shared=True)


def review(folder: str, user: str, shared_photo: int, code: str, own_photos: list[int], barrier, results) -> None:
    """Look at the shared photo (its version), wait until every reviewer has looked, confirm it as
    `code`; then work through `own_photos` (a queue nobody else works on): the first is a new
    individual with the next free code (the reviewers suggest the same code at the same moment),
    the others reject HW-001. Reports (user, what happened on the shared photo, the ids of the
    decisions the store committed)."""
    from whaleid_gui.core.catalog import DecisionConflictError

    try:
        with open_store(folder, user) as store:
            version, _ = store.decision_state(shared_photo)
            target, hw1 = store.individual_by_code(code), store.individual_by_code("HW-001")
            barrier.wait(60)
            committed = []
            try:
                committed.append(store.decide(shared_photo, "confirmed", individual_id=target.id,
                                              expected_version=version).id)
                outcome: tuple = ("won",)
            except DecisionConflictError as err:
                outcome = ("conflict", err.first.who, err.first.id, err.refused.id)
            for n, pid in enumerate(own_photos):
                version, _ = store.decision_state(pid)
                kind, ind = ("new_individual", None) if n == 0 else ("rejected", hw1.id)
                committed.append(store.decide(pid, kind, individual_id=ind, expected_version=version).id)
            results.put((user, outcome, committed))
    except BaseException as err:  # noqa: BLE001 - the test process reports it
        results.put((user, ("error", repr(err)), []))


def merge_after_barrier(folder: str, user: str, keep: str, absorb: str, rename: str, barrier, results) -> None:
    """Merge `absorb` into `keep` at the moment the other reviewer merges them the other way round;
    then, again at the same moment as the other, give the individual `rename` names the code HW-X.
    Reports (user, (merge outcome, rename outcome), [])."""
    from whaleid_gui.core.catalog import CatalogError

    try:
        with open_store(folder, user) as store:
            k, a = store.individual_by_code(keep), store.individual_by_code(absorb)
            barrier.wait(60)
            try:
                store.merge_individuals(k.id, a.id)
                merged = "merged"
            except CatalogError as err:
                merged = f"refused: {err}"
            target = store.individual_by_code(rename)
            barrier.wait(60)
            try:
                store.rename_individual(target.id, code="HW-X")
                renamed = "renamed"
            except CatalogError as err:
                renamed = f"refused: {err}"
            results.put((user, (merged, renamed), []))
    except BaseException as err:  # noqa: BLE001
        results.put((user, ("error", repr(err)), []))
