"""The trailing-edge evidence of a keypoint matcher's catalog (the "fin edges" profile): each
catalog photo's edge (core/trailing_edge.py), the catalog's impostor scale for it, and a query's
share per individual on that scale, which the matcher fuses with the others by the larger share.

Edges are kept per photo (path, box, orientation), not per row, so a matcher grown or shrunk by a
confirm or an undo (matcher_growth.py, a shallow copy) shares them and only describes a photo it
has not seen. They are cached on disk beside the keypoints, keyed by the file's content.

No Qt here (core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import trailing_edge as te
from .atomic_write import atomic_write
from .errors import ImageError
from .impostor_fusion import share_among
from .progress import Progress

EDGE_FIT_PHOTOS = 300  # the impostor scale is measured on at most this many photos (each against all)
EDGE_CANDIDATES = 5  # individuals the edges rank first are verified even when nothing else brought them


def _item_key(item: Any) -> tuple:
    return (str(item.path), None if item.box is None else item.box.key(), int(getattr(item, "rotation", 0)),
            bool(item.flip))


class EdgeEvidence:
    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = Path(cache_dir) / "edges" if cache_dir else None
        self._edges: dict[tuple, np.ndarray | None] = {}
        self.impostors = np.zeros(0)  # sorted best edge similarity of catalog photos against other individuals
        self._best_impostor: dict[int, float] = {}  # photo row -> its best against the whole catalog
        self._stacked: tuple[list, int, np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ descriptors
    def describe(self, item: Any) -> np.ndarray | None:
        """The photo's edge (None: no fin edge found, or the photo cannot be read: no evidence)."""
        key = _item_key(item)
        if key in self._edges:
            return self._edges[key]
        edge = self._load_or_compute(item)
        self._edges[key] = edge
        return edge

    def _cache_file(self, item: Any) -> Path | None:
        if self.cache_dir is None:
            return None
        from .photo_files import file_sha1

        key = te.edge_cache_key(file_sha1(item.path), item.box, bool(item.flip), int(getattr(item, "rotation", 0)))
        return self.cache_dir / f"{key}.npy"

    def _load_or_compute(self, item: Any) -> np.ndarray | None:
        try:
            path = self._cache_file(item)
            if path is not None and path.exists():
                try:
                    edge = np.load(path, allow_pickle=False)
                    if edge.ndim == 2 and edge.shape[1] == len(te.SCALES) and edge.shape[0] in (0, te.POINTS):
                        return edge if edge.size else None  # an empty array: no edge was found
                except Exception:  # noqa: BLE001 - a cut or damaged cache file: described again below
                    pass
            edge = te.photo_edge(item.path, item.box, item.flip, int(getattr(item, "rotation", 0)))
        except (ImageError, OSError, ValueError):
            return None  # the embedding side reports unreadable photos; here it is just no evidence
        if path is not None:
            try:  # whole or not at all: a process killed while writing leaves no half file
                with atomic_write(path, "wb", make_parents=True, fsync=False) as fh:
                    np.save(fh, edge if edge is not None else np.zeros((0, len(te.SCALES))))
            except OSError:
                pass  # a cache: described again next time
        return edge

    def describe_job(self, items: Sequence[Any]):
        for n, item in enumerate(items):
            self.describe(item)
            if n % 8 == 0 or n + 1 == len(items):
                yield Progress(n + 1, len(items), "fin edges")

    def stacked(self, items: list) -> tuple[np.ndarray, np.ndarray]:
        """(edges (N, POINTS, scales), has-edge (N,)) of items, rebuilt when the list changed. Read
        into a local once: a grown matcher shares this object with the one it was grown from, and
        both may rank at the same time (matcher_growth.py)."""
        cached = self._stacked
        if cached is None or cached[0] is not items or cached[1] != len(items):
            edges, have = te.stack([self.describe(it) for it in items])
            cached = (items, len(items), edges, have)
            self._stacked = cached
        return cached[2], cached[3]

    # ------------------------------------------------------------------ calibration and query
    def fit_job(self, items: list, ids: Sequence[str], rng: np.random.Generator):
        """Job: the impostor scale, each sampled photo's best edge against the other individuals'
        photos of the WHOLE catalog, as a query's edge is compared with every photo (the best of
        more comparisons is higher: a scale measured within a sample would read every catalog's
        impostors as near 1)."""
        _edges, have = self.stacked(items)
        pool = np.flatnonzero(have)
        if len(pool) > EDGE_FIT_PHOTOS:
            pool = np.sort(rng.choice(pool, EDGE_FIT_PHOTOS, replace=False))
        self._best_impostor = {}
        yield from self._measure(items, ids, pool)
        best = np.array([self._best_impostor[int(i)] for i in pool])
        self.impostors = np.sort(best[np.isfinite(best)])

    def _measure(self, items: list, ids: Sequence[str], rows: np.ndarray):
        edges, have = self.stacked(items)
        todo = [int(i) for i in rows if int(i) not in self._best_impostor]
        for start in range(0, len(todo), 25):
            chunk = np.array(todo[start:start + 25], dtype=np.int64)
            for i, v in zip(chunk, te.best_impostor_each(edges, have, list(ids), chunk)):
                self._best_impostor[int(i)] = float(v)
            yield Progress(min(start + 25, len(todo)), len(todo), "fin edges' impostors")

    def anchor_shares_job(self, items: list, ids: Sequence[str], rows: np.ndarray):
        """Job: each row's best edge impostor on the share scale (what the threshold adds)."""
        yield from self._measure(items, ids, rows)
        return share_among(self.impostors, np.array([self._best_impostor[int(i)] for i in rows]))

    def shares(self, query: Any, items: list, groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """(the query's share per individual, 0 where either side has no edge; the row in items of
        the individual's photo whose edge matched best, -1 where none)."""
        edges, have = self.stacked(items)
        best, rows = te.best_per_individual(self.describe(query), edges, have, groups, n_groups)
        return share_among(self.impostors, best), rows
