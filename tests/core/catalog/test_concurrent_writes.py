"""Two connections of one app writing the same project (a background job and the window)."""

from __future__ import annotations

import threading

from whaleid_gui.core.catalog import ProjectStore


def test_a_transaction_that_reads_then_writes_waits_for_the_other_writer(store):
    # The background import reads (dedupe), then writes; meanwhile the window records a decision.
    # With a deferred BEGIN the import's write failed at once with "busy", whatever the timeout.
    other = ProjectStore.open(store.folder, user="reviewer")
    try:
        read_done = threading.Event()
        errors: list[BaseException] = []

        def window_writes() -> None:
            read_done.wait(10)
            try:
                other.create_individual("HW-900", name="from the window")
            except BaseException as exc:  # noqa: BLE001 - reported to the test thread
                errors.append(exc)

        t = threading.Thread(target=window_writes)
        t.start()
        with store._tx():
            before = len(store.individuals())
            read_done.set()
            t.join(0.5)  # the window's write waits for this transaction instead of slipping in
            store.create_individual("HW-100", name="from the import")
        t.join(20)
        assert not errors, errors
        codes = sorted(i.code for i in store.individuals())
        assert before == 0 and codes == ["HW-100", "HW-900"]
    finally:
        other.close()
