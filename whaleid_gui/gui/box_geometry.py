"""The box editor's geometry in photo pixels, without Qt: where the handles are, and the box a
draw, move or resize gesture makes (kept inside the photo, never smaller than MIN_BOX_PX)."""

from __future__ import annotations

from whaleid_gui.core.boxes import BoundingBox

MIN_BOX_PX = 4  # a drag shorter than this (in photo pixels) is a click, not a box

# Handle names: which box edges a handle drags.
HANDLES = {
    "tl": ("x0", "y0"), "t": (None, "y0"), "tr": ("x1", "y0"), "r": ("x1", None),
    "br": ("x1", "y1"), "b": (None, "y1"), "bl": ("x0", "y1"), "l": ("x0", None),
}


def handle_point(box: BoundingBox, name: str) -> tuple[float, float]:
    """Where handle `name` of `box` sits (corners and edge midpoints)."""
    xs = {"x0": box.x0, "x1": box.x1, None: (box.x0 + box.x1) / 2}
    ys = {"y0": box.y0, "y1": box.y1, None: (box.y0 + box.y1) / 2}
    ex, ey = HANDLES[name]
    return xs[ex], ys[ey]


def _rounded(x0: float, y0: float, x1: float, y1: float) -> BoundingBox | None:
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if x1 - x0 < MIN_BOX_PX or y1 - y0 < MIN_BOX_PX:
        return None
    return BoundingBox(round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))


def drawn_box(a: tuple[float, float], b: tuple[float, float], size: tuple[int, int]) -> BoundingBox | None:
    """The box dragged from point a to point b, clipped to a photo of `size` (None: too small)."""
    w, h = size
    return _rounded(min(max(a[0], 0), w), min(max(a[1], 0), h), min(max(b[0], 0), w), min(max(b[1], 0), h))


def moved_box(box: BoundingBox, dx: float, dy: float, size: tuple[int, int]) -> BoundingBox:
    """The box shifted by (dx, dy), stopped at the photo's edges."""
    w, h = size
    dx = min(max(dx, -box.x0), w - box.x1)
    dy = min(max(dy, -box.y0), h - box.y1)
    return BoundingBox(round(box.x0 + dx, 1), round(box.y0 + dy, 1),
                       round(box.x1 + dx, 1), round(box.y1 + dy, 1))


def resized_box(box: BoundingBox, handle: str | None, p: tuple[float, float],
                size: tuple[int, int]) -> BoundingBox | None:
    """The box with `handle` dragged to point p inside the photo (None: too small)."""
    w, h = size
    v = {"x0": box.x0, "y0": box.y0, "x1": box.x1, "y1": box.y1}
    ex, ey = HANDLES[handle or "br"]
    if ex:
        v[ex] = min(max(p[0], 0.0), float(w))
    if ey:
        v[ey] = min(max(p[1], 0.0), float(h))
    return _rounded(v["x0"], v["y0"], v["x1"], v["y1"])
