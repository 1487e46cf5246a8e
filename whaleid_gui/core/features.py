"""Branch features of photos (crop by box), cached on disk by image content, box and weights.

A cache entry is keyed by the SHA-1 of the image file, the box, the weights id and the input size, so
a changed photo, box or model never reuses a stale feature vector.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .boxes import BoundingBox
from .errors import ImageError
from .images import load_crop
from .input_style import FLUKE, InputStyle, input_style
from .photo_files import file_sha1
from .progress import Finished, Progress

BATCH_SIZE = 16
CACHE_READ_ROWS = 20_000  # cached vectors read at a time (100 MB at D=1280)


@dataclass(frozen=True)
class ImageItem:
    """A photo and, optionally, the box of the fluke in it (None = whole photo).

    rotation (0 or 180) and flip are the scientist's corrections for a fluke photographed upside
    down or mirrored; the box stays in pixels of the photo as stored.
    """

    path: Path
    box: BoundingBox | None = None
    rotation: int = 0
    flip: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.rotation not in (0, 180):
            raise ValueError(f"rotation must be 0 or 180, not {self.rotation}")

    def key(self) -> str:
        """The box and orientation as text, for cache keys."""
        box = self.box.key() if self.box else "full"
        return box if not (self.rotation or self.flip) else f"{box}|r{self.rotation}{'f' if self.flip else ''}"


def item_crop(item: ImageItem, size: int, augment=None, rng=None, style: InputStyle = FLUKE) -> np.ndarray:
    """The model input of an item: crop by box (optionally augmented), then the orientation fix.

    The crop region is symmetric about the box centre, so rotating or mirroring the crop equals
    cropping the rotated or mirrored photo."""
    crop = load_crop(item.path, item.box, size=size, augment=augment, rng=rng, style=style)
    if item.rotation == 180:  # the last two axes are the image's (a colour crop is (3, H, W))
        crop = crop[..., ::-1, ::-1]
    if item.flip:
        crop = crop[..., :, ::-1]
    return np.ascontiguousarray(crop)


def model_input_style(model) -> InputStyle:
    """The input style its card names (weights files older than styles: the fluke crop)."""
    card = getattr(model, "card", None)
    return input_style(getattr(card, "input_style", None))


def crops_tensor(crops: list[np.ndarray]) -> torch.Tensor:
    """(N, C, S, S) float tensor of gray (S, S) or colour (3, S, S) crops."""
    batch = np.stack(crops)
    return torch.from_numpy(batch[:, None] if batch.ndim == 3 else batch)


@dataclass
class FeatureSet:
    """Features of a list of items; rows of failed items are NaN and listed in errors."""

    features: np.ndarray
    errors: dict[int, ImageError] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)  # FeatureCache.key of each readable item

    @property
    def valid(self) -> np.ndarray:
        mask = np.ones(len(self.features), dtype=bool)
        mask[list(self.errors)] = False
        return mask


def default_cache_dir() -> Path:
    env = os.environ.get("WHALEID_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "whaleid"


class FeatureCache:
    """A small SQLite table of feature vectors. Safe to share between threads and processes."""

    def __init__(self, cache_dir: str | Path | None = None):
        self.folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "features.sqlite"
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction (committed, or rolled back on error), then closed here.

        Why closed: on Python 3.11 a sqlite3 connection and its statement cache form a reference
        cycle, so one left to go out of scope was freed, and closed, by the cyclic collector, which
        runs on the app's GUI thread; closing the last connection of a WAL database checkpoints it
        (disk I/O) and waits with the GIL released: young collections of 40-150 ms that freed a
        dozen objects (issue 15)."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    @staticmethod
    def key(sha1: str, where: "ImageItem | BoundingBox | None", weights_id: str, image_size: int) -> str:
        """where: the item (box + orientation) or just its box (None = whole photo)."""
        part = where.key() if where is not None else "full"
        return f"{sha1}|{part}|{weights_id}|{image_size}"

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock, self._connect() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, dim, blob in db.execute(f"SELECT key, dim, vec FROM features WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32, count=dim).copy()
        return found

    def put_many(self, entries: dict[str, np.ndarray]) -> None:
        rows = [(k, int(v.size), np.asarray(v, dtype=np.float32).tobytes()) for k, v in entries.items()]
        with self._lock, self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO features (key, dim, vec) VALUES (?, ?, ?)", rows)


def _hash_items(items: list[ImageItem]) -> tuple[dict[int, str], dict[int, ImageError]]:
    hashes: dict[int, str] = {}
    errors: dict[int, ImageError] = {}
    for i, item in enumerate(items):
        try:
            hashes[i] = file_sha1(item.path)
        except ImageError as exc:
            errors[i] = exc
        except OSError as exc:
            errors[i] = ImageError(item.path, f"cannot read file: {exc.strerror or exc}")
    return hashes, errors


def _load(item: ImageItem, size: int, style: InputStyle = FLUKE) -> np.ndarray | ImageError:
    try:
        return item_crop(item, size, style=style)
    except ImageError as exc:
        return exc
    except (OSError, ValueError) as exc:
        return ImageError(item.path, f"cannot read image: {exc}")


def iter_features(model, items: list[ImageItem], cache: FeatureCache | None = None, batch_size: int = BATCH_SIZE):
    """Job: yields Progress, then Finished(FeatureSet). Bad images are reported, the rest goes on."""
    items = list(items)
    total = len(items)
    out = np.full((total, model.feature_size), np.nan, dtype=np.float32)
    hashes, errors = _hash_items(items)
    keys = {i: FeatureCache.key(h, items[i], model.weights_id, model.image_size) for i, h in hashes.items()}
    todo = []
    listed = list(keys.items())
    # Read from the cache a chunk at a time into `out`: all the cached vectors at once would be a
    # second copy of every feature (5 GB at 1M photos) until the copy into `out`.
    for start in range(0, len(listed), CACHE_READ_ROWS):
        chunk = listed[start:start + CACHE_READ_ROWS]
        cached = cache.get_many([key for _, key in chunk]) if cache is not None else {}
        for i, key in chunk:
            if key in cached and cached[key].size == model.feature_size:
                out[i] = cached[key]
            else:
                todo.append(i)
        del cached
    done = total - len(todo)
    yield Progress(done, total, "features")
    style = model_input_style(model)
    # Decode the next batch in a thread while the network runs on the current one (PIL releases the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        batches = [todo[s:s + batch_size] for s in range(0, len(todo), batch_size)]
        pending = pool.submit(lambda b: [_load(items[i], model.image_size, style) for i in b], batches[0]) if batches else None
        for n, batch in enumerate(batches):
            assert pending is not None  # submitted before the loop or in the previous step
            crops = pending.result()
            if n + 1 < len(batches):
                pending = pool.submit(lambda b: [_load(items[i], model.image_size, style) for i in b], batches[n + 1])
            good = []
            for i, crop in zip(batch, crops):
                if isinstance(crop, ImageError):
                    errors[i] = crop
                else:
                    good.append((i, crop))
            if good:
                tensor = crops_tensor([c for _, c in good])
                feats = model.features(tensor).cpu().numpy()
                new_entries = {}
                for (i, _), f in zip(good, feats):
                    out[i] = f
                    new_entries[keys[i]] = f
                if cache is not None:
                    cache.put_many(new_entries)
            done += len(batch)
            yield Progress(done, total, "features")
    yield Finished(FeatureSet(out, errors, keys))
