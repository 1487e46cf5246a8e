"""Helpers for use cases written as generators of core.progress events."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from whaleid_gui.core.progress import Finished, Progress

# A use case's progress event is the core's own (done, total, message): one type for both.
Step = Progress


def sub(job) -> Iterator[Any]:
    """``yield from`` for core jobs: passes their progress on, returns their Finished value."""
    if not hasattr(job, "__next__"):
        return job  # a plain return value (not a generator)
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if isinstance(event, Finished):
            job.close()
            return event.value
        yield event


def run(job, progress: Callable[[Progress], None] | None = None) -> Any:
    """Run a use case to its end (command line): progress events go to progress; returns its result."""
    gen = sub(job)
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if progress is not None and isinstance(event, Progress):
            progress(event)
