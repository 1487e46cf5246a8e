"""The catalog's local-feature vote index (local_votes.py) saved as one file beside the keypoint
cache, so that reopening a project does not read every photo's descriptors again.

Why: building the index at a project's opening read one cache file per catalog photo (3.3 s at
1,000 photos on two cores, and an inverted-file index trains its quantiser on top of that); the
first candidates waited for it (issue 15). One file of every descriptor row (float16: what the
per-photo cache stores, so nothing is lost) or of the serialised inverted-file index is read in a
fraction of that.

The file names each of its photos by the keypoint cache's key (file sha1, box, crop size, method,
mirror: KeypointVerifier.cache_key), so it follows the catalog the way the other caches do: a photo
whose file, box or orientation changed has another key. Opening a catalog that differs from the
file's by a few photos reuses it (the photos gone vote for no one, the photos new are described and
added, as after a confirm: matcher_growth.py); one that differs by more than MAX_CHANGE of its
photos, or a file of another format, is rebuilt. Written whole or not at all (atomic_write).

No Qt (core). faiss is imported for an inverted-file index only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .atomic_write import atomic_write
from .exact_neighbours import ExactNeighbours
from .local_votes import EXACT_LIMIT, NPROBE, LocalVoteIndex

FILE_NAME = "vote_index.npz"
# Part of the file: another vote rule or index layout never reads an older file.
FORMAT = "local-votes-v1"
# Reuse the file while the catalog's photos differ from its own by at most this share (photos gone
# plus photos new, over the file's photos); beyond it the index is built anew on the catalog.
MAX_CHANGE = 0.2


def _format(k: int) -> str:
    return f"{FORMAT}:k{k}:exact{EXACT_LIMIT}:nprobe{NPROBE}"


def save_vote_index(path: str | Path, index: LocalVoteIndex, keys: Sequence[str]) -> None:
    """Write `index` (its photo number n is the photo with cache key keys[n]). A file that cannot be
    written is left out: the index is built again next time."""
    if len(keys) != len(index.photo_group):
        raise ValueError(f"{len(keys)} keys for {len(index.photo_group)} photos of the vote index")
    with index._lock:
        ntotal = int(index.index.ntotal)
        if isinstance(index.index, ExactNeighbours):
            payload: dict[str, np.ndarray] = {"rows": index.index.rows().astype(np.float16)}
        else:
            import faiss

            payload = {"faiss": faiss.serialize_index(index.index)}
    if ntotal != len(index.owner):
        return  # the index grew in a newer copy of this matcher: its rows are not all this catalog's
    try:
        with atomic_write(Path(path), "wb", fsync=False) as fh:  # a cache: no fsync
            arrays: dict[str, np.ndarray] = {"format": np.asarray(_format(index.k)),
                                             "keys": np.asarray(list(keys), dtype=np.str_),
                                             "owner": index.owner.astype(np.int32), "dim": np.asarray(index.index.d, np.int32)}
            savez: Any = np.savez  # its stub takes no **dict of arrays (allow_pickle is a keyword)
            savez(fh, **arrays, **payload)
    except OSError:
        pass


def load_vote_index(path: str | Path, keys: Sequence[str], groups: Sequence[int] | np.ndarray, n_groups: int,
                    k: int) -> tuple[LocalVoteIndex, list[int | None], list[str]] | None:
    """The saved index for a catalog whose photo i has cache key keys[i] and individual groups[i].

    Returns (index, slots, file_keys): slots[i] is photo i's number in the index, None for a photo
    the file does not hold (the caller describes it and adds it: index.add_photo); file_keys are
    the keys of the index's photo numbers; the file's photos that are not in the catalog vote for
    no one. None: no usable file (missing, unreadable, another
    format, or more than MAX_CHANGE of the catalog changed)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["format"]) != _format(k):
                return None
            saved = [str(s) for s in z["keys"]]
            slots, missing = _slots(saved, keys)
            if not saved or (missing + _gone(saved, keys)) > MAX_CHANGE * len(saved):
                return None
            owner = z["owner"].astype(np.int64)
            dim = int(z["dim"])
            rows = z["rows"] if "rows" in z.files else None
            blob = z["faiss"] if "faiss" in z.files else None
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
        return None
    photo_group = np.full(len(saved), -1, dtype=np.int64)
    for i, slot in enumerate(slots):
        if slot is not None:
            photo_group[slot] = int(groups[i])
    index = LocalVoteIndex.restored(rows, blob, dim, owner, photo_group, n_groups, k)
    if index is None:
        return None
    return index, slots, saved


def _slots(saved: Sequence[str], keys: Sequence[str]) -> tuple[list[int | None], int]:
    """Each catalog photo's photo number in the file (a key held twice is matched in turn), and how
    many the file lacks."""
    free: dict[str, list[int]] = {}
    for n, key in enumerate(saved):
        free.setdefault(key, []).append(n)
    slots: list[int | None] = []
    for key in keys:
        numbers = free.get(key)
        slots.append(numbers.pop(0) if numbers else None)
    return slots, sum(s is None for s in slots)


def _gone(saved: Sequence[str], keys: Sequence[str]) -> int:
    """How many of the file's photos the catalog no longer has."""
    from collections import Counter

    return sum((Counter(saved) - Counter(keys)).values())
