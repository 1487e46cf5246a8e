"""What the screens show of a photo: the full photo, oriented crops of its box, thumbnails.

Plain arrays for a widget to paint (the GUI runs these in workers); crop_rgb's margin is the
one keypoint_evidence maps the matched points into.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator

from whaleid_gui.application.events import Thumbnail, ThumbnailFailed
from whaleid_gui.core.boxes import BoundingBox

DISPLAY_MARGIN = 0.05  # share of the box's size shown around it
# The box editor's photo: a JPEG decodes at the smallest of 1/1, 1/2, 1/4, 1/8 of its size whose
# longest side is at least VIEW_MIN_SIDE (a full-HD editor at fit: a 24 MP frame at half size,
# 3000 px, with no resize after); larger than VIEW_MAX_SIDE (other formats), it is shrunk to it.
VIEW_MIN_SIDE = 1600
VIEW_MAX_SIDE = 4096


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
    from whaleid_gui.core.photo_files import image_size, load_image

    width, height = image_size(path)
    x0, y0, x1, y1 = display_region(box, width, height, margin)
    # decoded only as finely as the crop is shown (a 96 px thumbnail of a 24 MP photo: 1/8)
    image = load_image(path, min_scale=min(1.0, max_side / max(x1 - x0, y1 - y0, 1)))
    if box is not None:
        sx, sy = image.width / width, image.height / height
        image = image.crop((round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)))
    image = orient(image, rotation, flip)
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("RGB"))


def box_parts(row) -> tuple:
    """(box, rotation, flip) of a photo's box row or a ranked candidate (None: the whole photo as it
    is): the tail of a thumbnails() item, so that every picture of a photo is turned as its box says."""
    if row is None:
        return None, 0, False
    return row.box, int(row.rotation or 0), bool(row.flip)


def thumbnails(items: list[tuple], size: int = 96) -> Generator[Thumbnail | ThumbnailFailed, None, int]:
    """Yields a Thumbnail (or ThumbnailFailed) per photo; thumbnails of the box when there is one.
    items: (key, path, box), or (key, path, box, rotation, flip) for a photo shown oriented as its
    box says (a catalog photo beside the query on a candidate's card)."""
    for key, path, box, *orientation in items:
        rotation, flip = orientation if orientation else (0, False)
        try:
            arr = crop_rgb(path, box, rotation, flip, max_side=size)
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
    return (yield from thumbnails([(key, path, *box_parts(boxes.get(key))) for key, path in items], size))


@dataclass(frozen=True)
class PhotoView:
    """The photo as the box editor shows it: pixels at screen size, and the photo's own size, the
    space its boxes live in."""

    rgb: Any  # (h, w, 3) uint8
    width: int
    height: int


def load_view(path: str | Path, whole: bool = False) -> PhotoView:
    """Worker job: the photo for the box editor (ImageError -> errored signal). A field camera's
    24 MP photo whole cost the window 40-80 ms to take in; this is what a screen shows. whole:
    at its own size (the editor zoomed in past what it shows)."""
    import numpy as np
    from PIL import Image

    from whaleid_gui.core.photo_files import image_size, load_image

    width, height = image_size(path)
    if whole:
        return PhotoView(np.asarray(load_image(path)), width, height)
    image = load_image(path, min_scale=min(1.0, VIEW_MIN_SIDE / max(width, height, 1)))
    if max(image.size) > VIEW_MAX_SIDE:
        image.thumbnail((VIEW_MAX_SIDE, VIEW_MAX_SIDE), Image.Resampling.BILINEAR)
    return PhotoView(np.asarray(image), width, height)


def photos_of(store, individual_id: int) -> list:
    """The individual's photos (a store error reaches the caller: it says what failed)."""
    return list(store.photos_of(individual_id))
