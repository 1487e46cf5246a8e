"""Local-feature verification of a match: RootSIFT keypoints inside the fluke crop, mutual ratio-test
matching and RANSAC geometric verification (the HotSpotter idea, with OpenCV's SIFT).

Why: scientists trust a match when the same nicks and pigment marks line up in both photos, and the
inlier count is an identity signal that is largely independent of the embedding network. The verified
point pairs are returned in crop coordinates; `crop_to_photo` maps them back to photo pixels so the
GUI can draw lines between the two photos.

No Qt imports here (core).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic_write import atomic_write
from .augment import crop_matrix as augment_crop_matrix
from .boxes import BoundingBox

# Bump when anything that changes the descriptors changes (crop, SIFT settings, CLAHE, storage):
# it is part of every cache key, so old entries are simply never read again.
METHOD_VERSION = "rootsift-iso-v2"

DEFAULT_SIZE = 448  # crop side; 384-512 keeps fluke-edge nicks while SIFT stays ~30 ms per crop
DEFAULT_NFEATURES = 600  # strongest keypoints kept per crop; bounds matching cost (N x M matrix)
# Off by default: on the real fin photos CLAHE amplified water texture into keypoints that crowd
# out the fin's (MAP@5 0.33 vs 0.48 without, benchmarks/RESULTS_keypoints.md; only 13 queries).
DEFAULT_CLAHE = False
MIN_SOURCE_PX = 32  # a crop region smaller than this in photo pixels carries no usable detail


@dataclass(frozen=True)
class Descriptors:
    """RootSIFT features of one crop. `points` are (x, y) in crop pixels of a size x size crop."""

    points: np.ndarray  # (N, 2) float32
    descriptors: np.ndarray  # (N, 128) float32, rows L2-normalised (RootSIFT)
    size: int
    box: BoundingBox | None = None
    image_size: tuple[int, int] | None = None  # (width, height) of the oriented photo
    path: str | None = None
    # Crop pixels are anisotropic (a 2.15:1 region squeezed into a square): y crop units are this
    # many x units in the photo's true geometry. Verification works in (x, y * yscale) so that an
    # in-plane rotation of the fluke stays a similarity.
    yscale: float = 1.0
    # The scientist marked the photo mirrored: the crop was mirrored before description, so that
    # it matches normally oriented photos (a mirror is no similarity transform). Points are in the
    # mirrored crop; photo_points undoes the mirror.
    flipped: bool = False

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def photo_points(self, points: np.ndarray | None = None) -> np.ndarray:
        """Crop coordinates -> photo pixels (for drawing on the original photo)."""
        if self.image_size is None:
            raise ValueError("these descriptors were not computed from a photo; no photo mapping")
        pts = np.array(self.points if points is None else points, dtype=np.float64, copy=True)
        if self.flipped:
            pts[:, 0] = self.size - pts[:, 0]
        return crop_to_photo(pts, self.box, self.image_size, self.size)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of verifying a query crop against a candidate crop.

    inliers: matches consistent with one similarity transform (0 when verification failed).
    spread: area of the inliers' convex hull in the query crop / crop area, in [0, 1]; matches that
        cover the whole fluke are more convincing than a clump on one patch.
    score: monotone map of inliers to [0, 1] (0 below `min_inliers`).
    matches: (K, 4) float32 rows (xq, yq, xc, yc) of the inlier pairs in crop coordinates.
    """

    inliers: int
    spread: float
    score: float
    matches: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    tentative: int = 0  # matches that passed ratio + mutual tests, before RANSAC

    @staticmethod
    def empty(tentative: int = 0) -> "VerifyResult":
        return VerifyResult(0, 0.0, 0.0, np.zeros((0, 4), np.float32), tentative)


# --------------------------------------------------------------------------- crop geometry


def crop_matrix(box: BoundingBox | None, image_size: tuple[int, int], size: int) -> np.ndarray:
    """2x3 affine matrix photo pixels -> crop pixels used by images.crop_array: the inverse of the
    crop -> photo matrix that crop_array samples with (augment.crop_matrix, one source of truth)."""
    m = np.asarray(augment_crop_matrix(box, int(image_size[0]), int(image_size[1]), size), dtype=np.float64)
    return np.linalg.inv(m)[:2]


def crop_to_photo(points: np.ndarray, box: BoundingBox | None, image_size: tuple[int, int], size: int) -> np.ndarray:
    """Map (N, 2) crop coordinates back to photo pixels (inverse of the crop's affine)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    m = np.vstack([crop_matrix(box, image_size, size), [0.0, 0.0, 1.0]])
    inv = np.linalg.inv(m)
    out = pts @ inv[:2, :2].T + inv[:2, 2]
    return out.astype(np.float32)


# --------------------------------------------------------------------------- description


def rootsift(desc: np.ndarray) -> np.ndarray:
    """RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, then sqrt -> unit L2 rows whose dot
    product is the Hellinger kernel, better than raw SIFT for matching."""
    d = np.asarray(desc, dtype=np.float32)
    if d.size == 0:
        return np.zeros((0, 128), np.float32)
    d = d / np.maximum(np.abs(d).sum(axis=1, keepdims=True), 1e-7)
    return np.sqrt(np.maximum(d, 0.0))


class _Sift:
    """One SIFT / CLAHE object per thread (OpenCV objects are not documented as thread-safe)."""

    def __init__(self, nfeatures: int, clahe: bool):
        self.nfeatures = nfeatures
        self.clahe = clahe
        self._local = threading.local()

    def get(self):
        import cv2

        loc = self._local
        if not hasattr(loc, "sift"):
            loc.sift = cv2.SIFT.create(nfeatures=self.nfeatures)
            loc.clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)) if self.clahe else None
        return loc.sift, loc.clahe


def describe_array(gray: np.ndarray, nfeatures: int = DEFAULT_NFEATURES, clahe: bool = True, _sift=None) -> tuple[np.ndarray, np.ndarray]:
    """RootSIFT of a grayscale crop (float in [0, 1] or uint8) -> (points (N, 2), descriptors (N, 128))."""
    import cv2

    a = np.asarray(gray)
    if a.ndim != 2 or min(a.shape) < 16:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if _sift is None:
        sift = cv2.SIFT.create(nfeatures=nfeatures)
        cl = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)) if clahe else None
    else:
        sift, cl = _sift
    if cl is not None:
        a = cl.apply(a)
    kps, desc = sift.detectAndCompute(a, None)
    if desc is None or len(kps) == 0:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    pts = np.array([k.pt for k in kps], dtype=np.float32).reshape(-1, 2)
    return pts, rootsift(desc)


# --------------------------------------------------------------------------- matching


def mutual_ratio_matches(dq: np.ndarray, dc: np.ndarray, ratio: float = 0.8) -> np.ndarray:
    """Index pairs (K, 2) (query row, candidate row) passing Lowe's ratio test (query -> candidate)
    and the mutual nearest-neighbour check. Uses one matrix product: rows are unit vectors, so
    squared distance = 2 - 2 * dot."""
    if len(dq) < 1 or len(dc) < 2:
        return np.zeros((0, 2), np.int64)
    sim = dq @ dc.T  # (N, M)
    d2 = np.maximum(2.0 - 2.0 * sim, 0.0)
    two = np.argpartition(d2, 1, axis=1)[:, :2]
    rows = np.arange(len(dq))
    a, b = d2[rows, two[:, 0]], d2[rows, two[:, 1]]
    best = np.where(a <= b, two[:, 0], two[:, 1])
    first, second = np.minimum(a, b), np.maximum(a, b)
    # ratio on distances (not squared): d1 < r * d2  <=>  d1^2 < r^2 * d2^2
    ok = first < (ratio * ratio) * second
    back = np.argmin(d2, axis=0)  # best query row for every candidate row
    ok &= back[best] == rows
    return np.stack([rows[ok], best[ok]], axis=1).astype(np.int64)


def _hull_area(points: np.ndarray) -> float:
    import cv2

    if len(points) < 3:
        return 0.0
    hull = cv2.convexHull(points.astype(np.float32).reshape(-1, 1, 2))
    return float(cv2.contourArea(hull))


def inlier_score(inliers: int, min_inliers: int = 6, tau: float = 10.0) -> float:
    """Monotone map of the inlier count to [0, 1]; a handful of inliers happens by chance between
    unrelated textured crops, so counts below `min_inliers` score 0."""
    if inliers < min_inliers:
        return 0.0
    return float(1.0 - np.exp(-(inliers - min_inliers + 1) / tau))


def verify(
    q: Descriptors,
    c: Descriptors,
    ratio: float = 0.8,
    reproj_px: float | None = None,
    min_inliers: int = 6,
    scale_range: tuple[float, float] = (1 / 3, 3.0),
    seed: int = 0,
) -> VerifyResult:
    """Ratio test + mutual check, then RANSAC similarity (cv2.estimateAffinePartial2D).

    A similarity (rotation, uniform scale, shift) is enough because both crops are normalised to the
    same box rule; it has fewer degrees of freedom than a homography, so chance agreements between
    different flukes give fewer inliers. Never raises on empty input: returns VerifyResult.empty().
    """
    import cv2

    if len(q) < 3 or len(c) < 3:
        return VerifyResult.empty()
    pairs = mutual_ratio_matches(q.descriptors, c.descriptors, ratio)
    if len(pairs) < 3:
        return VerifyResult.empty(len(pairs))
    pq = q.points[pairs[:, 0]].astype(np.float32)
    pc = c.points[pairs[:, 1]].astype(np.float32)
    iq = pq * np.array([1.0, q.yscale], np.float32)  # isotropic coordinates (see Descriptors.yscale)
    ic = pc * np.array([1.0, c.yscale], np.float32)
    thr = reproj_px if reproj_px is not None else max(2.0, 0.015 * c.size)
    cv2.setRNGSeed(seed)  # RANSAC is random; fix it so scores are reproducible
    m, mask = cv2.estimateAffinePartial2D(
        iq, ic, method=cv2.RANSAC, ransacReprojThreshold=thr, maxIters=2000, confidence=0.995, refineIters=10
    )
    if m is None or mask is None:
        return VerifyResult.empty(len(pairs))
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    if not (scale_range[0] <= scale <= scale_range[1]):
        return VerifyResult.empty(len(pairs))
    keep = mask.ravel().astype(bool)
    n = int(keep.sum())
    if n < 3:
        return VerifyResult.empty(len(pairs))
    spread = min(1.0, _hull_area(iq[keep]) / float(q.size * q.size * q.yscale))
    matches = np.concatenate([pq[keep], pc[keep]], axis=1).astype(np.float32)
    return VerifyResult(n, spread, inlier_score(n, min_inliers), matches, len(pairs))


# --------------------------------------------------------------------------- cache + verifier


class KeypointVerifier:
    """Describes photos (with an on-disk descriptor cache) and verifies pairs.

    Cache key = (file sha1, box key, crop size, METHOD_VERSION + settings): a changed file has another
    sha1 and a changed method another version, so stale entries are never read. cache_dir=None keeps
    only the in-memory LRU.
    """

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        size: int = DEFAULT_SIZE,
        nfeatures: int = DEFAULT_NFEATURES,
        clahe: bool = DEFAULT_CLAHE,
        ratio: float = 0.8,
        min_inliers: int = 6,
        memory_items: int = 512,
    ):
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.size = int(size)
        self.nfeatures = int(nfeatures)
        self.clahe = bool(clahe)
        self.ratio = float(ratio)
        self.min_inliers = int(min_inliers)
        self._sift = _Sift(self.nfeatures, self.clahe)
        self._mem: OrderedDict[str, Descriptors] = OrderedDict()
        self._mem_items = int(memory_items)
        self._lock = threading.Lock()
        self.stats = {"computed": 0, "disk_hits": 0, "memory_hits": 0}

    @property
    def method(self) -> str:
        return f"{METHOD_VERSION}:n{self.nfeatures}:clahe{int(self.clahe)}"

    def cache_key(self, sha1: str, box: BoundingBox | None, flip: bool = False) -> str:
        box_key = "whole" if box is None else box.key()
        raw = f"{sha1}|{box_key}|{self.size}|{self.method}" + ("|mirrored" if flip else "")
        return hashlib.sha1(raw.encode()).hexdigest()

    def photo_key(self, path: str | Path, box: BoundingBox | None = None, flip: bool = False) -> str:
        """The cache key of the photo's descriptors (its file's sha1, box, settings). Raises
        ImageError for a file that cannot be read."""
        from .photo_files import file_sha1  # one definition of the photo's identity (remembered per file)

        return self.cache_key(file_sha1(path), box, flip)

    def describe(self, path: str | Path, box: BoundingBox | None = None, flip: bool = False) -> Descriptors:
        """RootSIFT of the photo's crop (cached), mirrored first when flip. Raises ImageError for
        unreadable photos. (A 180-degree rotation needs nothing: verification is rotation-invariant.)"""
        path = Path(path)
        key = self.photo_key(path, box, flip)
        with self._lock:
            hit = self._mem.get(key)
            if hit is not None:
                self._mem.move_to_end(key)
                self.stats["memory_hits"] += 1
                return hit
        d = self._load(key, path, box, flip)
        if d is None:
            d = self._compute(path, box, flip)
            self._save(key, d)
            self.stats["computed"] += 1
        else:
            self.stats["disk_hits"] += 1
        with self._lock:
            self._mem[key] = d
            while len(self._mem) > self._mem_items:
                self._mem.popitem(last=False)
        return d

    def _compute(self, path: Path, box: BoundingBox | None, flip: bool = False) -> Descriptors:
        import cv2

        from .images import crop_array
        from .photo_files import load_image

        image = load_image(path)
        w, h = image.size
        # A region this small (a 20 px thumbnail, a sliver box) has no real detail: upsampling it
        # would only create blur blobs that match anything.
        if box is not None:
            bb = box.clipped(w, h)
            small = min(bb.width, bb.height) < MIN_SOURCE_PX
        else:
            small = min(w, h) < MIN_SOURCE_PX
        m = crop_matrix(box, (w, h), self.size)
        yscale = float(abs(m[0, 0]) / max(abs(m[1, 1]), 1e-12))
        if small:
            pts, desc = np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
        else:
            crop = crop_array(image, box, self.size)
            if flip:
                crop = np.ascontiguousarray(crop[:, ::-1])
            # The square crop squeezes a 2.15:1 region (x downsampled ~2x more than y); SIFT is not
            # invariant to that and loses the horizontal detail, so describe an isotropic version:
            # same region, size px wide, size * yscale px high (area-averaged in y).
            iso_h = max(16, int(round(self.size * yscale)))
            iso = cv2.resize(crop, (self.size, iso_h), interpolation=cv2.INTER_AREA) if iso_h != self.size else crop
            pts, desc = describe_array(iso, self.nfeatures, self.clahe, _sift=self._sift.get())
            pts = pts * np.array([1.0, self.size / iso_h], np.float32)  # back to square-crop coordinates
        # Stored as float16 on disk; return exactly what a later cache hit returns.
        desc = desc.astype(np.float16).astype(np.float32)
        return Descriptors(pts.astype(np.float32), desc, self.size, box, (int(w), int(h)), str(path), yscale, flip)

    def _file(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.npz"

    def _load(self, key: str, path: Path, box: BoundingBox | None, flip: bool = False) -> Descriptors | None:
        f = self._file(key)
        if f is None or not f.exists():
            return None
        try:
            with np.load(f, allow_pickle=False) as z:
                if str(z["method"]) != self.method or int(z["size"]) != self.size:
                    return None
                pts = z["points"].astype(np.float32)
                desc = z["descriptors"].astype(np.float32)
                image_size = (int(z["image_size"][0]), int(z["image_size"][1]))
                yscale = float(z["yscale"])
        except Exception:  # noqa: BLE001 - a corrupt cache file is recomputed, never trusted
            return None
        return Descriptors(pts, desc, self.size, box, image_size, str(path), yscale, flip)

    def _save(self, key: str, d: Descriptors) -> None:
        f = self._file(key)
        if f is None:
            return
        f.parent.mkdir(parents=True, exist_ok=True)
        try:  # whole or not at all: a crash or a concurrent reader never sees half a file
            with atomic_write(f, "wb", make_parents=False, fsync=False) as fh:  # a cache: no fsync
                np.savez(
                    fh,
                    points=d.points.astype(np.float32),
                    descriptors=d.descriptors.astype(np.float16),
                    size=np.int32(self.size),
                    image_size=np.array(d.image_size, np.int32),
                    method=np.str_(self.method),
                    yscale=np.float64(d.yscale),
                )
        except OSError:
            pass  # a cache that cannot be written is recomputed next time

    def verify(self, q: Descriptors, c: Descriptors) -> VerifyResult:
        return verify(q, c, ratio=self.ratio, min_inliers=self.min_inliers)

    def verify_many(self, q: Descriptors, cands: list[Descriptors]) -> list[VerifyResult]:
        return [self.verify(q, c) for c in cands]
