"""Progress events of long core jobs. Long jobs are generators that yield Progress and finally a
Finished carrying the result, so a GUI worker or a CLI progress bar can report progress and stop
cleanly at the next yield."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

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


def drive(job: Iterator, on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> Any:
    """Run a job to its end and return its Finished value; raises Cancelled when should_stop() says so."""
    for event in job:
        if isinstance(event, Finished):
            return event.value
        if on_progress is not None and isinstance(event, Progress):
            on_progress(event)
        if should_stop is not None and should_stop():
            close = getattr(job, "close", None)
            if close:
                close()
            raise Cancelled("cancelled by the user")
    raise WhaleIDError("internal error: a job ended without a result")
