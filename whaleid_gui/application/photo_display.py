"""What the screens show of a photo: the full photo, oriented crops of its box, thumbnails.

Plain arrays for a widget to paint (the GUI runs these in workers); crop_rgb's margin is the
one keypoint_evidence maps the matched points into.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generator

from whaleid_gui.application.events import Thumbnail, ThumbnailFailed
from whaleid_gui.core.boxes import BoundingBox

DISPLAY_MARGIN = 0.05  # share of the box's size shown around it


def load_photo_rgb(path: str | Path):
    """The photo as an (H, W, 3) uint8 array; ImageError names the file when unreadable."""
    import numpy as np

    from whaleid_gui.core.photo_files import load_image

    return np.asarray(load_image(path))


def display_region(box: BoundingBox | None, width: int, height: int,
                   margin: float = DISPLAY_MARGIN) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) photo pixels that crop_rgb shows: the box plus a margin, inside the photo."""
    if box is None:
        return 0, 0, width, height
    b = box.clipped(width, height)
    mx, my = b.width * margin, b.height * margin
    return (int(max(b.x0 - mx, 0)), int(max(b.y0 - my, 0)),
            int(min(b.x1 + mx, width)), int(min(b.y1 + my, height)))


def crop_rgb(path: str | Path, box: BoundingBox | None, rotation: int = 0, flip: bool = False,
             max_side: int = 480, margin: float = DISPLAY_MARGIN):
    """A display crop of the box (colour, natural aspect, oriented), at most max_side pixels."""
    import numpy as np
    from PIL import Image

    from whaleid_gui.core.images import orient
    from whaleid_gui.core.photo_files import load_image

    image = load_image(path)
    if box is not None:
        image = image.crop(display_region(box, image.width, image.height, margin))
    image = orient(image, rotation, flip)
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("RGB"))


def thumbnails(items: list[tuple[int, str, BoundingBox | None]], size: int = 96) -> Generator[Thumbnail | ThumbnailFailed, None, int]:
    """Yields a Thumbnail (or ThumbnailFailed) per photo; thumbnails of the box when there is one."""
    for key, path, box in items:
        try:
            arr = crop_rgb(path, box, max_side=size)
            yield Thumbnail(key, arr)
        except Exception as exc:  # an unreadable photo gets a message, the others go on
            yield ThumbnailFailed(key, str(exc))
    return len(items)


def project_thumbnails(folder: str | Path, items: list[tuple[int, str]],
                       size: int = 96) -> Generator[Thumbnail | ThumbnailFailed, None, int]:
    """thumbnails() of (photo id, path) photos of a project, each of its current box, the boxes read
    here on a store connection of its own: a worker job, because reading every box of a
    1,000-photo project took 20-30 ms of the GUI thread at the project's opening (issue 15)."""
    from whaleid_gui.core.catalog.store import ProjectStore

    try:
        store = ProjectStore.open(folder, read_only=True)
        try:
            boxes = store.current_boxes([key for key, _path in items])
        finally:
            store.close()
    except Exception:  # e.g. a shared catalog's server out of reach: whole photos rather than none
        boxes = {}
    return (yield from thumbnails([(key, path, boxes[key].box if key in boxes else None) for key, path in items], size))


def load_view(path: str | Path):
    """Worker job: the full photo for the box editor (ImageError -> errored signal)."""
    return load_photo_rgb(path)


def photos_of(store, individual_id: int) -> list:
    """The individual's photos (a store error reaches the caller: it says what failed)."""
    return list(store.photos_of(individual_id))
