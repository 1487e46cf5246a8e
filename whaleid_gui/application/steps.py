"""Helpers for use cases written as generators of core.progress events."""

from __future__ import annotations

from whaleid_gui.core.progress import Progress, drive, sub

# A use case's progress event is the core's own (done, total, message): one type for both.
Step = Progress
# The one driver of jobs (core.progress): sub inside a use case (``yield from sub(job)``), run for
# the command line (progress events to a callback; returns the result).
run = drive

__all__ = ["Step", "run", "sub"]
