"""Other reviewers' confirms, seen from this window: which individuals gained (or, undone, lost) a
catalog photo since the last look, so that the rankings listing them are refreshed (issue 15: a
catalog change re-ranks what it affects).

One store read per look. Each decision is reported once: the store's poll names the last few
decisions again (transactions commit out of id order), and what was already recorded when the
project opened was in the catalog the rankings were made against. This reviewer's own decisions
are followed when made (match ahead), so they are skipped here, as are refused ones (they changed
nothing). Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whaleid_gui.application.review_session import UNDO_MARGIN_MIN, minutes_ago
from whaleid_gui.core.catalog.store_decisions import LOOKBACK

CATALOG_KINDS = ("confirmed", "new_individual")  # the decisions that put a photo in the catalog


@dataclass(frozen=True)
class CatalogGrowth:
    codes: frozenset[str]  # individuals that gained or lost a photo
    new_individual: bool  # someone created an individual (rankings with new_whale first may change)


class OthersDecisions:
    def __init__(self, user: str | None) -> None:
        self.user = user
        self._seen: set[tuple[int, bool]] | None = None  # (decision id, undone) already followed
        self._top = 0  # the highest decision id seen

    @property
    def seeded(self) -> bool:
        """The first look was taken (until then the poll looks at every tick)."""
        return self._seen is not None

    def look(self, store: Any) -> CatalogGrowth:
        """What other reviewers changed in the catalog since the last look (nothing at the first)."""
        undone_since = minutes_ago(UNDO_MARGIN_MIN)  # an undo keeps its decision's old id
        rows = store.decisions_since(None if self._seen is None else self._top - LOOKBACK, undone_since)
        keys = {(d.id, d.undone) for d in rows}
        self._top = max([self._top] + [d.id for d in rows])
        if self._seen is None:  # the catalog as it was when the rankings were made
            self._seen = keys
            return CatalogGrowth(frozenset(), False)
        fresh = [d for d in rows if (d.id, d.undone) not in self._seen and d.who != self.user
                 and d.conflict_with is None and d.decision in CATALOG_KINDS]
        self._seen |= keys
        return CatalogGrowth(frozenset(d.individual_code for d in fresh if d.individual_code),
                             any(d.decision == "new_individual" for d in fresh))
