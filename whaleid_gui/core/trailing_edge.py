"""The trailing edge of a dorsal fin as evidence of identity: the notches a fin catalog is matched on.

A fin's crop (its box, or the whole photo) is segmented with Otsu's threshold: the fin is darker
than the water, and it is the largest dark part that touches the crop's foot (it rises out of the
water). Its outline is traced from the tip down the trailing side, which is the side the tip leans
to, over EDGE_SPAN of the fin's height. At each point of the edge the integral curvature is read at
three scales: the share of a disc around the point that lies inside the fin (0.5 on a straight
edge, more in a notch, less on a bump), as CurvRank does. The edge is resampled to POINTS by arc
length. Two edges are compared by dynamic time warping inside a band, because notches shift and
stretch with the angle of view; the similarity is minus the mean cost per step.

Measured on the real fins (benchmarks/trailing_edge_probe.py, RESULTS.md): every setting of a
3 x 3 grid around the shipped one lifted the default ranking from 0.577 to 0.635-0.731 MAP@5 when
fused on the impostor scale (the product end to end: 0.631). Only for fins: a flank or a fluke seen from below has no such edge,
and noise fused by the larger share promotes impostors. So it is a species profile, not a default.

No Qt here (core).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .boxes import BoundingBox

METHOD_VERSION = "edge1"  # bump when the descriptor changes: cached descriptors are keyed by it
ROWS = 320  # the crop's height once scaled: notches of a few pixels survive, Otsu stays fast
EDGE_SPAN = 0.7  # the share of the fin's height traced from the tip (the grid's middle: 0.6-0.8)
SCALES = (0.02, 0.04, 0.08)  # disc radii, in fin heights
POINTS = 100
BAND = 20  # the warping's band, in points: notches may shift by a fifth of the edge
MIN_POINTS = 20  # an edge traced over fewer outline pixels than this is no edge


def fin_mask(gray: np.ndarray) -> np.ndarray | None:
    """The fin's pixels (bool, gray's shape) or None when no dark part touches the crop's foot."""
    import cv2

    rows = gray.shape[0]
    _, dark = cv2.threshold(cv2.GaussianBlur(gray, (5, 5), 0), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark)
    at_foot = [i for i in range(1, n) if stats[i, 1] + stats[i, 3] >= rows - 3]
    if not at_foot:
        return None
    fin = (labels == max(at_foot, key=lambda i: stats[i, 4])).astype(np.uint8)
    # glints of the sun on a wet fin are holes in the dark part: closed, so the outline stays outside
    return cv2.morphologyEx(fin, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)


def _trailing_outline(mask: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(mask turned so that the tip leans right, the outline's points (x, y) from the tip down the
    right side, the fin's height in pixels); None when there is no edge to trace."""
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    outline = max(contours, key=len)[:, 0, :].astype(np.float64)
    tip = int(np.argmin(outline[:, 1]))
    _ys, xs = np.nonzero(mask)
    width = mask.shape[1]
    if outline[tip, 0] < xs.mean():  # the tip leans left: the trailing edge is the left side
        mask = mask[:, ::-1]
        outline[:, 0] = width - 1 - outline[:, 0]
    n = len(outline)
    ahead = outline[(tip + np.arange(1, 30)) % n, 0].mean()
    step = 1 if ahead > outline[tip, 0] else -1  # walk the way the outline goes right from the tip
    height = mask.shape[0] - outline[tip, 1]
    stop_y = outline[tip, 1] + span * height
    points = []
    i = tip
    for _ in range(n):
        x, y = outline[i]
        if y >= stop_y or y >= mask.shape[0] - 2 or x >= width - 2:
            break
        points.append((x, y))
        i = (i + step) % n
    if len(points) < MIN_POINTS:
        return None
    return np.ascontiguousarray(mask), np.asarray(points), float(height)


def edge_descriptor(gray: np.ndarray, span: float = EDGE_SPAN) -> np.ndarray | None:
    """(POINTS, len(SCALES)) float32 integral curvature along the trailing edge of the fin in gray
    (uint8, any size: scaled to ROWS), or None when no fin edge is found."""
    import cv2

    scale = ROWS / gray.shape[0]
    gray = cv2.resize(gray, (max(8, int(round(gray.shape[1] * scale))), ROWS), interpolation=cv2.INTER_AREA)
    mask = fin_mask(gray)
    if mask is None:
        return None
    traced = _trailing_outline(mask, span)
    if traced is None:
        return None
    mask, points, height = traced
    inside = mask.astype(np.float32)
    px, py = points[:, 0].astype(int), points[:, 1].astype(int)
    curvature = []
    for s in SCALES:
        r = max(2, int(round(s * height)))
        disc = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
        cv2.circle(disc, (r, r), r, 1.0, -1)
        share = cv2.filter2D(inside, -1, disc / disc.sum(), borderType=cv2.BORDER_REPLICATE)
        curvature.append(share[py, px])
    along = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    at = np.linspace(0.0, along[-1], POINTS)
    return np.stack([np.interp(at, along, c) for c in curvature], axis=1).astype(np.float32)


def photo_edge(path: str | Path, box: BoundingBox | None = None, flip: bool = False,
               rotation: int = 0) -> np.ndarray | None:
    """edge_descriptor of the photo's crop (its box, else the whole photo) as the scientist turned
    it (rotation 0 or 180, flip). Raises ImageError for a photo that cannot be read."""
    from .images import orient
    from .photo_files import load_image

    image = load_image(path)
    if box is not None:  # clipped: a box past the photo's foot would add a black band to the fin
        box = box.clipped(image.width, image.height)
        image = image.crop((int(box.x0), int(box.y0), int(np.ceil(box.x1)), int(np.ceil(box.y1))))
    return edge_descriptor(np.asarray(orient(image, rotation, flip).convert("L")))


def edge_cache_key(sha1: str, box: BoundingBox | None, flip: bool, rotation: int) -> str:
    raw = f"{sha1}|{'whole' if box is None else box.key()}|{rotation}|{'mirrored' if flip else ''}|{METHOD_VERSION}"
    return hashlib.sha1(raw.encode()).hexdigest()


def _compile():
    """The warping kernels, compiled by numba on first use (importing this module stays cheap)."""
    import numba

    @numba.njit(nogil=True)
    def warped_cost(a, b, band):  # mean L1 cost per step of the cheapest warping of a onto b in the band
        n, m = a.shape[0], b.shape[0]
        cost = np.full((n + 1, m + 1), np.inf)
        cost[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(max(1, i - band), min(m, i + band) + 1):
                step = 0.0
                for k in range(a.shape[1]):
                    step += abs(a[i - 1, k] - b[j - 1, k])
                cost[i, j] = step + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
        return cost[n, m] / (n + m)

    @numba.njit(nogil=True)
    def against_all(query, edges, band):
        out = np.empty(edges.shape[0])
        for r in range(edges.shape[0]):
            out[r] = -warped_cost(query, edges[r], band)
        return out

    return against_all


_against_all = None


def stack(edges: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """(descriptors (N, POINTS, scales) float64 with zeros where missing, has-edge mask (N,))."""
    have = np.array([e is not None for e in edges], dtype=bool)
    out = np.zeros((len(edges), POINTS, len(SCALES)))
    for i, e in enumerate(edges):
        if e is not None:
            out[i] = e
    return out, have


def similarities(query: np.ndarray, edges: np.ndarray, band: int = BAND) -> np.ndarray:
    """Minus the warped mean cost from the query's edge to each of edges (N, POINTS, scales):
    higher is more alike, 0 is the same edge."""
    global _against_all
    if _against_all is None:
        _against_all = _compile()
    return _against_all(np.asarray(query, np.float64), np.asarray(edges, np.float64), int(band))


def edge_similarity(a: np.ndarray, b: np.ndarray, band: int = BAND) -> float:
    return float(similarities(a, np.asarray(b, np.float64)[None], band)[0])


def best_per_individual(query: np.ndarray | None, edges: np.ndarray, have: np.ndarray, groups: np.ndarray,
                        n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(each individual's best edge similarity to the query over its photos, the row of that photo);
    -inf and -1 where the query or all of the individual's photos have no edge."""
    best, row = np.full(n_groups, -np.inf), np.full(n_groups, -1, dtype=np.int64)
    if query is None or not have.any():
        return best, row
    rows = np.flatnonzero(have)
    sims = similarities(query, edges[have])
    for r, g, s in zip(rows, np.asarray(groups)[have], sims):
        if s > best[g]:
            best[g], row[g] = s, r
    return best, row


def best_impostor_each(edges: np.ndarray, have: np.ndarray, ids: list[str], rows: np.ndarray) -> np.ndarray:
    """For each photo in rows, its best edge similarity against the photos of other individuals
    (-inf where it has no edge or no other individual has one)."""
    ids_arr = np.asarray(ids, dtype=object)
    out = np.full(len(rows), -np.inf)
    for n, i in enumerate(rows):
        others = have & (ids_arr != ids_arr[i])
        if have[i] and others.any():
            out[n] = similarities(edges[i], edges[others]).max()
    return out
