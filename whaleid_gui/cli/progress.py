"""What the commands write on stderr besides their results: warnings, and the progress of long jobs.

Progress is fed core Progress events. In a terminal each phase gets a tqdm bar; in a log (stderr
not a terminal: a pipe, a file, a CI job) plain lines instead, e.g. "reference features 120/400",
at most one per tenth of a phase plus its last, so a log shows that work goes on without
carriage-return noise; a phase that starts with nothing done yet is announced by its message, and a
slow phase writes a line at least every HEARTBEAT_SECONDS while it advances (a tenth of caching
features for a few thousand photos takes minutes: the log must not look stalled).
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable, TextIO

from ..core.progress import Progress

LINES_PER_PHASE = 10
HEARTBEAT_SECONDS = 30.0


def warn(message: str) -> None:
    """One line on stderr: a skipped file, a note; the command goes on."""
    print(f"whaleid: {message}", file=sys.stderr)


class ProgressPrinter:
    """Callable on Progress events; use as a context manager (closing ends the last phase)."""

    def __init__(self, interactive: bool | None = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.stream = stream
        self.clock = clock
        self.interactive = self._stream().isatty() if interactive is None else interactive
        self.bar = None
        self.phase: str | None = None
        self.last: Progress | None = None
        self.printed: Progress | None = None  # the last event written as a plain line
        self.step = 0  # tenths of the phase already written
        self.started = self.written_at = clock()

    def _stream(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr  # sys.stderr as it is now (tests swap it)

    def __call__(self, event: Progress) -> None:
        # One phase per kind of work: numbers (file names, epochs) do not start a new one.
        phase = re.sub(r"\d+", "#", event.message.split(":")[0])
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.started = self.written_at = self.clock()
        if self.interactive:
            self._draw(event)
        else:
            self._line(event)
        self.last = event

    def _draw(self, event: Progress) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=event.total, desc=event.message, file=self._stream(), leave=False,
                            dynamic_ncols=True)
        self.bar.total = event.total
        self.bar.set_description_str(event.message, refresh=False)
        self.bar.n = event.done
        self.bar.refresh()

    def _line(self, event: Progress) -> None:
        if self.last is None and (event.done == 0 or event.total <= 1):
            print(event.message, file=self._stream(), flush=True)  # a phase announced before its work
            self.written_at = self.clock()
            return
        if self.last is not None and event.done < self.last.done:  # the phase starts over (next epoch)
            self.step = 0
        if event.total <= 1:
            return
        step = event.done * LINES_PER_PHASE // event.total
        finished = event.done >= event.total
        advanced = self.printed is None or event.done > self.printed.done
        slow = advanced and self.clock() - self.written_at >= HEARTBEAT_SECONDS
        if step > self.step or slow or (finished and event != self.printed):
            self.step = max(step, self.step)
            self._write(event, self.clock() - self.started if finished else None)

    def _write(self, event: Progress, took: float | None = None) -> None:
        tail = f" ({took:.1f} s)" if took is not None else ""
        print(f"{event.message} {event.done}/{event.total}{tail}", file=self._stream(), flush=True)
        self.printed = event
        self.written_at = self.clock()

    def close(self) -> None:
        """End the phase: remove its bar, or write its last line (with the time it took) in a log."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif (not self.interactive and self.last is not None and self.last.total > 1 and self.last.done > 0
              and self.printed != self.last):
            self._write(self.last, self.clock() - self.started)
        self.phase = self.last = self.printed = None  # the next event starts a phase (and its clock)
        self.step = 0

    def __enter__(self) -> "ProgressPrinter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
