"""Progress on stderr fed by core Progress events: a tqdm bar per phase in a terminal; in a log
(stderr not a terminal) one line per finished phase instead of carriage-return noise."""

from __future__ import annotations

import re
import sys
import time

from ..core.progress import Progress


class ProgressBar:
    def __init__(self, interactive: bool | None = None):
        self.bar = None
        self.phase: str | None = None
        self.last: Progress | None = None
        self.started = time.perf_counter()
        self.interactive = sys.stderr.isatty() if interactive is None else interactive

    def __call__(self, event: Progress) -> None:
        # One bar per kind of work: numbers (file names, epochs) do not start a new phase.
        phase = re.sub(r"\d+", "#", event.message.split(":")[0])
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.started = time.perf_counter()
        self.last = event
        if not self.interactive:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=event.total, desc=event.message, file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.total = event.total
        self.bar.set_description_str(event.message, refresh=False)
        self.bar.n = event.done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif not self.interactive and self.last is not None and self.last.total > 1:
            took = time.perf_counter() - self.started
            print(f"  {self.last.message}: {self.last.done}/{self.last.total} ({took:.1f} s)", file=sys.stderr)
        self.last = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
