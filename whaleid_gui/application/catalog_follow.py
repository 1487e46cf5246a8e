"""The prepared matcher follows small catalog changes instead of being prepared again.

A confirm adds one reference photo, an undo takes one away, a new box on a catalog photo swaps
one: prepared_matcher (match_photos.py) asks here for the matcher of the new catalog built from
the one it kept (core/matcher_growth.py), and prepares anew only when the catalog changed a lot
(an import) or the kept matcher cannot follow.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Generator, Sequence

from whaleid_gui.core.features import ImageItem
from whaleid_gui.core.matcher_growth import grown

MAX_FOLLOWED = 50  # more changes than this at once (an import): prepare the matcher anew


def signature_of(refs: Sequence[tuple]) -> tuple:
    """refs (path, code, box, rotation, flip) as comparable values."""
    return tuple((str(p), c, b.key() if b is not None else None, r, f) for p, c, b, r, f in refs)


def followed(matcher: Any, old_signature: tuple, refs: Sequence[tuple]) -> Generator[Any, None, Any]:
    """Job: the matcher for `refs` grown from `matcher` (prepared on old_signature), or None when
    it should be prepared anew."""
    new_signature = signature_of(refs)
    old, new = Counter(old_signature), Counter(new_signature)
    gone, came = old - new, new - old
    if sum(gone.values()) + sum(came.values()) > MAX_FOLLOWED:
        return None
    removed = [(p, b, r, f, c) for (p, c, b, r, f), n in gone.items() for _ in range(n)]
    added = []
    for ref, sig in zip(refs, new_signature):
        if came[sig] > 0:
            came[sig] -= 1
            p, c, b, r, f = ref
            added.append((ImageItem(Path(p), b, rotation=r, flip=f), c))
    try:
        return (yield from grown(matcher, added, removed))
    except (StopIteration, ValueError, RuntimeError):  # not in the kept matcher, or it was not ready
        return None
