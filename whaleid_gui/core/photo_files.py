"""Reading photo files safely: every failure becomes an ImageError(path, reason) a scientist can act on.

The photo as load_image() returns it (fully decoded RGB, EXIF orientation applied, size-checked)
and the file's SHA-1 are what both the store (import, duplicates) and the science (crops,
features) work from; this module imports neither of them. No Qt here (core).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from whaleid_gui.core.errors import ImageError

__all__ = ["MAX_PIXELS", "load_image", "image_size", "file_sha1", "to_rgb"]

# Largest photo we agree to decode (width * height). A 150 MP frame is bigger than any camera
# a survey uses; beyond that a file is far more likely a decompression bomb than a fluke.
MAX_PIXELS = 150_000_000

# PIL's own guard (about 89 MP by default) would refuse legitimate photos below our limit, so raise
# it to ours once; our own check below then decides (and reads MAX_PIXELS at call time, so tests
# can lower it). We never lower PIL's limit, and we never set LOAD_TRUNCATED_IMAGES.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_ORIENTATION_TAG = 0x0112
# Same table as PIL.ImageOps.exif_transpose; kept here so that image_size() (header only) and
# load_image() agree exactly, including for photos whose EXIF block is unreadable (treated as 1).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}


# --------------------------------------------------------------------------------------------
# Opening files


def _check_file(path: Path) -> None:
    """Reject what is not a non-empty regular file, before PIL gives a vaguer message."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ImageError(path, "file not found") from None
    except PermissionError:
        raise ImageError(path, "cannot read file (permission denied)") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(path, "is a directory, not an image file")
    if not stat.S_ISREG(st.st_mode):
        raise ImageError(path, "not a regular file")
    if st.st_size == 0:
        raise ImageError(path, "file is empty (0 bytes)")


def _too_large(path: Path, pixels: int | None) -> ImageError:
    if pixels is None:
        return ImageError(path, f"image too large (over the {MAX_PIXELS:,} pixel limit; possible decompression bomb)")
    return ImageError(path, f"image too large ({pixels:,} pixels > limit {MAX_PIXELS:,})")


def _open(path: Path) -> Image.Image:
    """Image.open with every failure mapped to an ImageError; reads the header only."""
    _check_file(path)
    try:
        # PIL warns (rather than raises) between its limit and twice its limit: make it an error.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except UnidentifiedImageError:
        raise ImageError(path, "not an image file (cannot identify format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_large(path, int(found.group(1)) if found else None) from None
    except PermissionError:
        raise ImageError(path, "cannot read file (permission denied)") from None
    except MemoryError:
        raise ImageError(path, "not enough memory to open the image") from None
    except Exception as exc:  # PIL raises SyntaxError, ValueError, struct.error... for bad headers
        raise ImageError(path, f"image is truncated or corrupt ({exc})") from None
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        image.close()
        raise _too_large(path, pixels)
    return image


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8); 1 when absent or unreadable (a bad EXIF block is not fatal)."""
    try:
        value = int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:
        return 1
    return value if value in _TRANSPOSE else 1


# --------------------------------------------------------------------------------------------
# Mode conversion


def _scaled_to_8bit(image: Image.Image) -> Image.Image:
    """16/32-bit integer or float grayscale -> 'L', scaled (not clipped) so bright stays bright."""
    arr = np.asarray(image)
    if image.mode.startswith("I;16"):
        scale_max = 65535.0  # full 16-bit range -> full 8-bit range
        lo = 0.0
    elif image.mode == "F":
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        if lo >= 0.0 and hi <= 1.0:  # the usual float convention
            lo, scale_max = 0.0, 1.0
        else:
            scale_max = hi
    else:  # "I" (32-bit); PIL opens some 16-bit PNG/TIFF files this way
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0 and hi <= 255:
            lo, scale_max = 0.0, 255.0
        elif lo >= 0 and hi <= 65535:
            lo, scale_max = 0.0, 65535.0
        else:
            scale_max = hi
    span = max(scale_max - lo, 1e-12)
    out = np.nan_to_num((arr.astype(np.float64) - lo) * (255.0 / span), nan=0.0)
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), mode="L")


def _flatten_alpha(rgba: Image.Image) -> Image.Image:
    """Composite an RGBA image on a neutral gray: the mean gray of its opaque part.

    White or black would add a hard edge the model could mistake for a fluke outline; the mean
    gray blends in, like the image-mean fill of the crop.
    """
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == 255:  # fully opaque: nothing to composite
        return rgba.convert("RGB")
    a = np.asarray(alpha, dtype=np.float64)
    gray = np.asarray(rgba.convert("L"), dtype=np.float64)
    weight = a.sum()
    level = int(round((gray * a).sum() / weight)) if weight > 0 else 128
    background = Image.new("RGB", rgba.size, (level, level, level))
    background.paste(rgba.convert("RGB"), (0, 0), alpha)
    return background


def to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode == "P":
        has_alpha = "transparency" in image.info or (image.palette is not None and image.palette.mode == "RGBA")
        return _flatten_alpha(image.convert("RGBA")) if has_alpha else image.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _flatten_alpha(image.convert("RGBA"))
    if mode.startswith("I") or mode == "F":
        return _scaled_to_8bit(image).convert("RGB")
    if mode in ("1", "L", "CMYK", "YCbCr", "RGBX", "HSV"):
        return image.convert("RGB")
    try:
        return image.convert("RGB")
    except Exception:
        raise ValueError(f"unsupported image mode {mode}") from None


# --------------------------------------------------------------------------------------------
# Public: files


def load_image(path: str | Path, min_scale: float = 1.0) -> Image.Image:
    """The photo as a fully decoded RGB PIL image, EXIF orientation applied.

    min_scale < 1: a JPEG may come smaller, never below min_scale of its size a side (its decoder
    scales by 1/2, 1/4 or 1/8 in the decode itself: what the screens need of a 24 MP photo in a
    fraction of the full decode's 180 ms); other formats come whole. For display only: the
    science decodes whole photos.

    Raises ImageError(path, reason) for a missing file, a directory, an empty file, a file that is
    not an image, a truncated/corrupt image, or one larger than MAX_PIXELS.
    """
    path = Path(path)
    image = _open(path)
    try:
        if min_scale < 1.0:
            try:
                image.draft(None, (max(1, math.ceil(image.width * min_scale)), max(1, math.ceil(image.height * min_scale))))
            except Exception:  # an odd file's header: decoded whole, and its faults named below
                pass
        try:
            image.load()  # force the full decode now: truncation must fail here, not later
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(path, image.width * image.height) from None
        except MemoryError:
            raise ImageError(path, "not enough memory to decode the image") from None
        except Exception as exc:
            raise ImageError(path, f"image is truncated or corrupt ({exc})") from None
        orientation = _orientation(image)
        try:
            rgb = to_rgb(image)
        except Exception as exc:
            raise ImageError(path, f"cannot convert the image to RGB ({exc})") from None
        if orientation in _TRANSPOSE:
            rgb = rgb.transpose(_TRANSPOSE[orientation])
        if rgb is image:
            rgb = image.copy()  # detach from the file object before it is closed
        return rgb
    finally:
        image.close()


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of the photo as load_image() returns it, from the header only (cheap).

    Raises the same ImageError as load_image() except for truncation, which needs a full decode.
    """
    path = Path(path)
    image = _open(path)
    try:
        w, h = image.size
        return (h, w) if _orientation(image) in _SWAPS_AXES else (w, h)
    finally:
        image.close()


# The sha1 of each file this process hashed, by (path, size, mtime_ns, ctime_ns, inode): any change
# of those hashes the file again (a rewrite that keeps size and mtime, as `cp -p` does, still moves
# ctime, which no one can set). Why: the feature cache and the keypoint cache both key a photo by
# its sha1, and every matcher preparation asked for all of the catalog's (2,000 reads of 1,000
# photos at a project's first match, issue 15); large camera JPEGs made that seconds. The oldest
# entries go beyond SHA1_MEMO_ENTRIES (about 300 bytes each).
SHA1_MEMO_ENTRIES = 200_000
_SHA1_MEMO: dict[tuple, str] = {}
_SHA1_LOCK = threading.Lock()


def _stat_key(path: Path, st: os.stat_result) -> tuple:
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_sha1(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-1 of the file's bytes, read in chunks (photos can be tens of MB); remembered for the
    process while the file's path, size, times and inode stay the same."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(path, "is a directory, not an image file")
    try:
        key = _stat_key(path, os.stat(path))
        with _SHA1_LOCK:
            known = _SHA1_MEMO.get(key)
        if known is not None:
            return known
        digest = hashlib.sha1()
        with open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
            unchanged = _stat_key(path, os.fstat(fh.fileno())) == key  # not written to while read
    except FileNotFoundError:
        raise ImageError(path, "file not found") from None
    except PermissionError:
        raise ImageError(path, "cannot read file (permission denied)") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read file ({exc.strerror or exc})") from None
    sha1 = digest.hexdigest()
    if unchanged:
        with _SHA1_LOCK:
            _SHA1_MEMO[key] = sha1
            if len(_SHA1_MEMO) > SHA1_MEMO_ENTRIES:
                del _SHA1_MEMO[next(iter(_SHA1_MEMO))]  # the oldest (dicts keep insertion order)
    return sha1
