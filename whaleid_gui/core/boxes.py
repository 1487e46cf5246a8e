"""The bounding box of a fluke in a photo, in pixel coordinates of the oriented photo."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoundingBox:
    """Axis-aligned box, x0 < x1 and y0 < y1, in pixels of the photo after EXIF orientation."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        values = (self.x0, self.y0, self.x1, self.y1)
        if any(v != v for v in values):  # NaN check without importing math
            raise ValueError(f"bounding box has a NaN coordinate: {values}")
        if not (self.x1 > self.x0 and self.y1 > self.y0):
            raise ValueError(f"bounding box must have x1 > x0 and y1 > y0, got {values}")

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def key(self) -> str:
        """A stable text form for cache keys (rounded to a tenth of a pixel)."""
        return ",".join(f"{v:.1f}" for v in self.as_tuple())

    def clipped(self, width: int, height: int) -> "BoundingBox":
        """The box clipped to an image of the given size (keeps at least one pixel)."""
        x0 = min(max(self.x0, 0.0), width - 1.0)
        y0 = min(max(self.y0, 0.0), height - 1.0)
        x1 = max(min(self.x1, float(width)), x0 + 1.0)
        y1 = max(min(self.y1, float(height)), y0 + 1.0)
        return BoundingBox(x0, y0, x1, y1)

    def iou(self, other: "BoundingBox") -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0
