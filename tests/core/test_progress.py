"""The one job driver: Finished values and return values are results; a stop closes the job."""

from __future__ import annotations

import pytest

from whaleid_gui.core.progress import Cancelled, Finished, Progress, drive, sub


def _core_job(closed: list):
    try:
        yield Progress(0, 2, "a")
        yield Progress(1, 2, "b")
        yield Finished("core result")
        yield Progress(2, 2, "never reached")
    finally:
        closed.append(True)


def _use_case(closed: list):
    value = yield from sub(_core_job(closed))
    yield ("thumb", 1, "not a Progress")
    return f"use case got {value}"


def test_drive_returns_a_finished_value_or_a_return_value_and_closes_the_job():
    closed: list = []
    seen: list = []
    assert drive(_core_job(closed), seen.append) == "core result"
    assert [e.message for e in seen] == ["a", "b"] and closed == [True]
    events: list = []
    assert drive(_use_case(closed), on_progress=seen.append, on_event=events.append) == "use case got core result"
    assert events[-1] == ("thumb", 1, "not a Progress") and len(events) == 3 and closed == [True, True]


def test_a_stop_closes_the_job_before_its_next_step():
    closed: list = []
    seen: list = []
    with pytest.raises(Cancelled):
        drive(_use_case(closed), on_event=seen.append, should_stop=lambda: len(seen) == 1)
    assert len(seen) == 1 and closed == [True]  # the inner job's finally ran, in this call
