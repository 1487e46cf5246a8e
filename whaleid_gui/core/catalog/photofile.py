"""Everything the store records about one photo file, computed outside any transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from . import hashing
from .exif import read_exif


@dataclass(frozen=True)
class PreparedPhoto:
    path: Path  # absolute
    sha1: str
    phash: int
    width: int  # after EXIF orientation
    height: int
    taken_at: str | None
    lat: float | None
    lon: float | None
    camera: str | None
    image: Image.Image | None = None  # kept only while a near-duplicate check may need it


def canonical_path(path: str | Path) -> Path:
    """Absolute path without resolving symlinks the user chose (stable key for idempotence)."""
    return Path(path).expanduser().absolute()


def prepare_photo(path: str | Path, keep_image: bool = False) -> PreparedPhoto:
    """Load, hash and read EXIF. Raises ImageError (from photo_files.load_image) for a bad file."""
    from whaleid_gui.core.photo_files import file_sha1, load_image  # late: keeps catalog import light

    path = canonical_path(path)
    image = load_image(path)
    info = read_exif(path)
    return PreparedPhoto(
        path=path,
        sha1=file_sha1(path),
        phash=hashing.phash(image),
        width=image.width,
        height=image.height,
        taken_at=info.taken_at,
        lat=info.lat,
        lon=info.lon,
        camera=info.camera,
        image=image if keep_image else None,
    )
