"""Progress events of long core jobs. Long jobs are generators that yield Progress and finally a
Finished carrying the result, so a GUI worker or a CLI progress bar can report progress and stop
cleanly at the next yield."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterator

from .errors import WhaleIDError


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    message: str = ""


@dataclass(frozen=True)
class Finished:
    value: Any


class Cancelled(WhaleIDError):
    """The user stopped a long job; nothing half-done was recorded."""


def sub(job: Any) -> Generator[Any, None, Any]:
    """``yield from sub(job)``: passes a job's events on and returns its result, the value of its
    Finished event (core jobs) or its return value (use cases). Closing it closes the job (its
    finally blocks, e.g. a store connection, run now, in this thread). The one reading of the
    job protocol: drive, the application's use cases and the GUI's workers all go through it."""
    if not hasattr(job, "__next__"):
        return job  # a plain return value (not a generator)
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            if isinstance(event, Finished):
                return event.value
            yield event
    finally:
        close = getattr(job, "close", None)
        if close is not None:
            close()


def drive(job: Iterator[Any] | Any, on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None, on_event: Callable[[Any], None] | None = None) -> Any:
    """Run a job to its end and return its result (see sub).

    on_progress gets its Progress events, on_event every event. should_stop() is asked before each
    step; when it says so the job is closed and Cancelled raised.
    """
    events = sub(job)
    try:
        while True:
            if should_stop is not None and should_stop():
                raise Cancelled("cancelled by the user")
            try:
                event = next(events)
            except StopIteration as stop:
                return stop.value
            if on_event is not None:
                on_event(event)
            if on_progress is not None and isinstance(event, Progress):
                on_progress(event)
    finally:
        events.close()
