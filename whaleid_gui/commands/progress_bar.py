"""A tqdm progress bar on stderr fed by core Progress events (one bar per phase message)."""

from __future__ import annotations

import sys

from ..core.progress import Progress


class ProgressBar:
    def __init__(self, disable: bool | None = None):
        self.bar = None
        self.phase = None
        self.disable = (not sys.stderr.isatty()) if disable is None else disable

    def __call__(self, event: Progress) -> None:
        from tqdm import tqdm

        phase = event.message.split(":")[0]
        if self.bar is None or phase != self.phase:
            self.close()
            self.phase = phase
            # Not a terminal (CI, logs): tqdm still prints, but only every few seconds.
            self.bar = tqdm(total=event.total, desc=event.message, file=sys.stderr, leave=False,
                            mininterval=0.5 if not self.disable else 5.0, dynamic_ncols=True)
        self.bar.total = event.total
        self.bar.set_description_str(event.message, refresh=False)
        self.bar.n = event.done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
