"""A nearest-neighbour prefilter of the catalog's embeddings, saved beside the feature cache.

Why: a query scored against every reference photo costs time in proportion to the catalog
(about 47 ms at 10k photos, 925 ms at 100k). The prefilter hands the exact scoring (the head,
or the cosine of the zero-shot model) and the keypoint verification only the few hundred photos
nearest the query; below EXACT_BELOW references the full scan is as fast and no index is made.

The space: the cosine of the features, centred on the catalog's mean for a model that centres
(the head of such a model is monotone in that cosine, so the prefilter keeps its ranking); for a
Siamese head, the cosine of its embeddings (benchmarks/RESULTS_search.md: the fins MAP@5 does not
change). The unit vectors are projected on their PROJECTED_DIM main directions (an SVD of the
first vectors indexed, fixed afterwards so that adding never rebuilds) and scanned exhaustively
in float16 by faiss: at 1M photos this is 256 MB and tens of milliseconds, and its recall@100
against the exact ranking, after the CANDIDATES found are re-scored exactly, measured above 0.99
where HNSW graphs and IVF lists needed more time or missed more (benchmarks/bench_search.py).

On disk (folder = <feature cache>/embedding_index): state.json (the commit point: identity,
counts, generation), and per generation space.<g>.npz (centre and projection), keys.<g>.txt
(the feature-cache key of each row), vectors.<g>.f16 (the raw features, float16, memory-mapped:
the catalog's features need not fit in memory) and projected.<g>.f16 (what faiss scans). Adding
photos appends rows to the three append-only files and rewrites state.json atomically; rows
beyond its counts (a crash between the two) are overwritten by the next addition. A different
model (identity), a centre that moved more than DRIFT_LIMIT, or more removed photos than live
ones start a new generation. One writer at a time: flock on index.lock.

Benchmark knobs: WHALEID_PREFILTER_MIN (EXACT_BELOW) and WHALEID_PREFILTER_CANDIDATES
(CANDIDATES) override the defaults, so benchmarks/eval_real.py can run with the prefilter on
a small real catalog. No Qt here (core); faiss-cpu is imported when an index is used.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from .atomic_write import replacing, write_text_atomic

EXACT_BELOW = 2_000  # references; below this the full scan is as fast (20 vs 16 ms at 2,000: RESULTS_search.md)
CANDIDATES = 300  # photos the prefilter hands to the exact scoring
PROJECTED_DIM = 128
MAX_PARTS = 16  # faiss parts of an index grown in this process before they are merged
DRIFT_LIMIT = 0.05  # centre moved by this share of the features' spread: a new generation
FORMAT = 1
STATE = "state.json"
INDEX_FOLDER = "embedding_index"


def exact_below() -> int:
    return int(os.environ.get("WHALEID_PREFILTER_MIN", EXACT_BELOW))


def candidate_count() -> int:
    return int(os.environ.get("WHALEID_PREFILTER_CANDIDATES", CANDIDATES))


def model_identity(model, centred: bool) -> str:
    """What the index depends on, as the feature cache keys it: weights, input size, dimension,
    and whether the space is centred."""
    return (f"{getattr(model, 'weights_id', '?')}|{getattr(model, 'image_size', '?')}|"
            f"{getattr(model, 'feature_size', '?')}|{'centred' if centred else 'raw'}")


def unit_rows(raw: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """The prefilter space: (raw - centre) scaled to unit length, float32."""
    x = np.asarray(raw, dtype=np.float32)
    if centre is not None:
        x = x - centre
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def fit_projection(units: np.ndarray, dims: int = PROJECTED_DIM) -> np.ndarray:
    """(k, D) main directions of unit rows (uncentred: inner products are what is kept), from the
    eigenvectors of their D x D second-moment matrix, only the top ones asked for (about 1 s at
    D = 1280 on one core where a full SVD of 5,000 rows takes 20)."""
    from scipy.linalg import eigh

    x = np.asarray(units, dtype=np.float32)
    width = x.shape[1]
    k = min(dims, len(x), width)
    _values, vectors = eigh((x.T @ x).astype(np.float64), subset_by_index=[width - k, width - 1])
    return np.ascontiguousarray(vectors[:, ::-1].T, dtype=np.float32)  # largest first


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "index.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class EmbeddingIndex:
    """One model's indexed reference features: keys, raw float16 vectors, projected vectors."""

    def __init__(self, folder: Path, identity: str, centre: np.ndarray | None, projection: np.ndarray,
                 generation: int, spread: float):
        self.folder = Path(folder)
        self.identity = identity
        self.centre = centre
        self.projection = projection
        self.generation = generation
        self.spread = spread  # mean distance of the first features from the centre (for the drift)
        self.keys: list[str] = []
        self.position: dict[str, int] = {}
        self._keys_bytes = 0
        # faiss indexes over the projected rows: (first row, index), made on the first search. Never
        # changed once made (a ranking may be reading them on another thread): an addition is a new
        # part, and more than MAX_PARTS parts are merged into a new list.
        self._parts: list[tuple[int, Any]] | None = None

    # -- files ------------------------------------------------------------------------------------
    def _file(self, stem: str) -> Path:
        return self.folder / f"{stem}.{self.generation}.{'txt' if stem == 'keys' else 'f16'}"

    @property
    def dim(self) -> int:
        return int(self.projection.shape[1])

    @property
    def count(self) -> int:
        return len(self.keys)

    def vectors(self) -> np.ndarray:
        """(count, D) raw features, float16, memory-mapped (read-only)."""
        if not self.count:
            return np.zeros((0, self.dim), np.float16)
        return np.memmap(self._file("vectors"), np.float16, "r", shape=(self.count, self.dim))

    def projected(self) -> np.ndarray:
        if not self.count:
            return np.zeros((0, len(self.projection)), np.float16)
        return np.memmap(self._file("projected"), np.float16, "r", shape=(self.count, len(self.projection)))

    @classmethod
    def create(cls, folder: Path, identity: str, keys: Sequence[str], raw: np.ndarray,
               centre: np.ndarray | None, dims: int = PROJECTED_DIM) -> "EmbeddingIndex":
        """A new generation from these features (the projection is fitted on them)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        old = cls.load(folder)
        generation = old.generation + 1 if old is not None else 1
        raw = np.asarray(raw, dtype=np.float32)
        units = unit_rows(raw, centre)
        centred = raw - centre if centre is not None else raw
        spread = float(np.linalg.norm(centred, axis=1).mean()) if len(raw) else 1.0
        index = cls(folder, identity, None if centre is None else np.asarray(centre, np.float32),
                    fit_projection(units, dims), generation, spread)
        with replacing(folder / f"space.{generation}.npz", fsync=False) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, projection=index.projection,
                         centre=index.centre if index.centre is not None else np.zeros(0, np.float32))
        for stem in ("vectors", "projected", "keys"):
            index._file(stem).write_bytes(b"")
        if len(keys):
            index.add(keys, raw)
        else:
            index._commit()
        return index

    @classmethod
    def load(cls, folder: Path) -> "EmbeddingIndex | None":
        """The saved index, or None (none yet, another format, or files that do not agree)."""
        folder = Path(folder)
        try:
            state = json.loads((folder / STATE).read_text(encoding="utf-8"))
            if state.get("format") != FORMAT:
                return None
            generation = int(state["generation"])
            with np.load(folder / f"space.{generation}.npz") as space:
                projection, centre = space["projection"], space["centre"]
            index = cls(folder, str(state["identity"]), centre if centre.size else None, projection,
                        generation, float(state["spread"]))
            with open(index._file("keys"), "rb") as fh:
                text = fh.read(int(state["keys_bytes"])).decode("utf-8")
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None
        index.keys = text.splitlines()[:int(state["count"])]
        if len(index.keys) != int(state["count"]):
            return None
        index.position = {k: i for i, k in enumerate(index.keys)}
        index._keys_bytes = int(state["keys_bytes"])
        return index

    def add(self, keys: Sequence[str], raw: np.ndarray) -> None:
        """Append photos (keys not yet indexed) and commit: the files, then state.json."""
        keys = [str(k) for k in keys]
        if not keys:
            return
        if any(k in self.position or "\n" in k for k in keys) or len(set(keys)) != len(keys):
            raise ValueError("keys must be new, distinct and on one line each")
        raw = np.asarray(raw, dtype=np.float32)
        projected = unit_rows(raw, self.centre) @ self.projection.T
        for stem, rows in (("vectors", raw), ("projected", projected)):
            width = rows.shape[1] * 2
            with open(self._file(stem), "r+b") as fh:
                fh.seek(self.count * width)
                fh.write(np.ascontiguousarray(rows, dtype=np.float16).tobytes())
                fh.truncate()
        data = "".join(k + "\n" for k in keys).encode("utf-8")
        with open(self._file("keys"), "r+b") as fh:
            fh.seek(self._keys_bytes)
            fh.write(data)
            fh.truncate()
        start = self.count
        for k in keys:
            self.position[k] = len(self.keys)
            self.keys.append(k)
        self._keys_bytes += len(data)
        if self._parts is not None:
            parts = self._parts + [(start, _flat_index(projected.astype(np.float16)))]  # as the file has them
            self._parts = parts if len(parts) <= MAX_PARTS else [(0, _flat_index(self.projected()))]
        self._commit()

    def _commit(self) -> None:
        state = {"format": FORMAT, "identity": self.identity, "generation": self.generation,
                 "count": self.count, "keys_bytes": self._keys_bytes, "spread": self.spread}
        write_text_atomic(self.folder / STATE, json.dumps(state, indent=1))
        for path in self.folder.iterdir():  # files of older generations
            parts = path.name.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) != self.generation:
                path.unlink(missing_ok=True)

    def drifted(self, centre: np.ndarray | None) -> bool:
        """Whether the catalog's centre moved too far from the one this generation projects from."""
        if (centre is None) != (self.centre is None):
            return True
        if centre is None or self.centre is None:
            return False
        return float(np.linalg.norm(centre - self.centre)) > DRIFT_LIMIT * self.spread

    # -- search -----------------------------------------------------------------------------------
    def search(self, raw_queries: np.ndarray, k: int) -> np.ndarray:
        """(q, k) row numbers of the nearest indexed photos (-1 where fewer)."""
        import faiss

        parts = self._parts
        if parts is None:
            parts = self._parts = [(0, _flat_index(self.projected()))]
        q = np.ascontiguousarray(unit_rows(np.atleast_2d(raw_queries), self.centre) @ self.projection.T)
        # One thread: for a query or two, OpenMP threads mostly wait on each other, and on a busy
        # machine that wait is tens of milliseconds (0.2 ms alone at 10k photos, 23 ms with two).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        found_scores, found_rows = [], []
        try:
            for start, part in parts:
                if part.ntotal:
                    scores, rows = part.search(q, int(min(k, part.ntotal)))
                    found_scores.append(np.where(rows >= 0, scores, -np.inf))
                    found_rows.append(np.where(rows >= 0, rows + start, -1))
        finally:
            faiss.omp_set_num_threads(threads)
        if not found_rows:
            return np.full((len(q), 1), -1, dtype=np.int64)
        scores, rows = np.concatenate(found_scores, axis=1), np.concatenate(found_rows, axis=1)
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(rows, best, axis=1)


def _flat_index(projected: np.ndarray) -> Any:
    """An exhaustive inner-product faiss index of projected rows, stored as float16."""
    import faiss

    index = faiss.IndexScalarQuantizer(projected.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    if len(projected):
        index.add(np.ascontiguousarray(projected, dtype=np.float32))
    return index


class Prefilter:
    """The saved index matched to one prepared catalog: a query -> the catalog rows worth scoring.

    features: the matcher's feature array it was made for; a matcher whose rows changed without a
    new preparation holds another array and scores all rows (core/matching.py checks)."""

    def __init__(self, index: EmbeddingIndex, keys: Sequence[str], candidates: int, features: object = None):
        self.index = index
        self.keys = list(keys)
        self.candidates = candidates
        self.features = features
        self.row_of = np.full(index.count, -1, dtype=np.int64)  # indexed photo -> catalog row
        self.extra: dict[int, list[int]] = {}  # the same photo (key) twice in the catalog
        for row, key in enumerate(self.keys):
            at = index.position[key]
            if self.row_of[at] < 0:
                self.row_of[at] = row
            else:
                self.extra.setdefault(at, []).append(row)
        self.live = int((self.row_of >= 0).sum())

    def rows(self, raw_query: np.ndarray) -> np.ndarray:
        """Sorted catalog rows of the photos nearest the query (removed photos skipped)."""
        # Removed photos stay indexed until they outnumber the live ones: ask for that much more,
        # and again for twice as many in the rare query whose neighbours are mostly removed ones.
        want = min(self.candidates, self.live)
        k = int(np.ceil(self.candidates * len(self.row_of) / max(1, self.live)))
        while True:
            found = self.index.search(raw_query, k)[0]
            found = found[(found >= 0) & (found < len(self.row_of))]  # rows added since: not this catalog's
            rows = self.row_of[found]
            if (rows >= 0).sum() >= want or k >= self.index.count:
                break
            k = min(2 * k, self.index.count)
        found, rows = found[rows >= 0][:want], rows[rows >= 0][:want]
        more = [r for at in found if int(at) in self.extra for r in self.extra[int(at)]]
        return np.unique(np.concatenate([rows, np.asarray(more, dtype=np.int64)]))

    def followed(self, removed_rows: Sequence[int], added_keys: Sequence[str], added_raw: np.ndarray,
                 features: object) -> "Prefilter | None":
        """The prefilter of this catalog changed without a new preparation (core/matcher_growth.py):
        rows removed one after the other (each position as np.delete takes it at its turn), then
        rows appended (their feature-cache keys and raw features), serving the matcher's new
        `features`. New photos are appended to the saved index. None when another process
        started a new generation meanwhile (the matcher then scores every row until prepared)."""
        keys = list(self.keys)
        for row in removed_rows:
            del keys[row]
        keys += [str(k) for k in added_keys]
        raw_of = dict(zip([str(k) for k in added_keys], np.asarray(added_raw, dtype=np.float32)))
        index = self.index
        with _locked(index.folder):
            if _state(index.folder) != _state_of(index):  # another process wrote since: read its index
                loaded = EmbeddingIndex.load(index.folder)
                if loaded is None or loaded.identity != index.identity or loaded.generation != index.generation:
                    return None
                index = loaded
            new = [k for k in dict.fromkeys(keys) if k not in index.position]
            if any(k not in raw_of for k in new):
                return None
            index.add(new, np.stack([raw_of[k] for k in new]) if new else np.zeros((0, index.dim), np.float32))
        return Prefilter(index, keys, self.candidates, features)


def _state(folder: Path) -> tuple:
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        return state.get("generation"), state.get("count")
    except (OSError, ValueError):
        return None, None


def _state_of(index: EmbeddingIndex) -> tuple:
    return index.generation, index.count


def open_prefilter(folder: str | Path, identity: str, keys: Sequence[str], raw: np.ndarray,
                   centre: np.ndarray | None, features: object = None) -> Prefilter | None:
    """The saved index brought up to date with this catalog (keys: feature-cache keys of its rows,
    raw: their features, features: the matcher's array the result serves), or None below
    exact_below() references (the full scan is as fast).

    New photos are appended; a different model, a centre that drifted, or more removed than live
    photos make a new generation from these features."""
    if len(keys) < exact_below():
        return None
    folder = Path(folder)
    raw = np.asarray(raw)
    with _locked(folder):
        index = EmbeddingIndex.load(folder)
        wanted = set(keys)
        if (index is None or index.identity != identity or index.dim != raw.shape[1]
                or index.drifted(centre) or index.count - len(wanted & index.position.keys()) > len(wanted)):
            first = _first_rows(keys)
            index = EmbeddingIndex.create(folder, identity, [keys[i] for i in first], raw[first], centre)
        else:
            new = [i for i in _first_rows(keys) if keys[i] not in index.position]
            index.add([keys[i] for i in new], raw[new])
    return Prefilter(index, keys, candidate_count(), features)


def _first_rows(keys: Sequence[str]) -> list[int]:
    seen: set[str] = set()
    out = []
    for i, k in enumerate(keys):
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out
