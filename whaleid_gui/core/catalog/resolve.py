"""Find the project photo that a CSV/JSON row names ("Image" column, COCO file_name)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from .photofile import canonical_path
from .schema import photos


class PhotoResolver:
    """Exact path (absolute, or relative to base_dir) first, then a unique file name."""

    def __init__(self, conn, base_dir: Path):
        self.base_dir = base_dir
        self.by_path = {}
        self.by_name = defaultdict(list)
        for r in conn.execute(select(photos.c.id, photos.c.path, photos.c.width, photos.c.height)):
            self.by_path[r.path] = r
            self.by_name[Path(r.path).name].append(r)

    def find(self, image: str):
        """(row with id/path/width/height, None) or (None, reason)."""
        p = Path(image)
        full = str(canonical_path(p if p.is_absolute() else self.base_dir / p))
        if full in self.by_path:
            return self.by_path[full], None
        same_name = self.by_name.get(p.name, [])
        if len(same_name) == 1:
            return same_name[0], None
        if len(same_name) > 1:
            return None, f"{image}: {len(same_name)} photos of the project have this file name; give its folder"
        return None, f"{image}: not a photo of this project"
