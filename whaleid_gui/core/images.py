"""Reading photos safely and turning a photo + fluke box into the model's grayscale crop.

Every failure to read a photo becomes an ImageError(path, reason) with a reason a scientist can
act on; nothing here lets a bad file crash a batch. No Qt here (core).
"""

from __future__ import annotations

import hashlib
import math
import re
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from whaleid_gui.core.augment import Augment, crop_matrix
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import ImageError

__all__ = [
    "MAX_PIXELS",
    "Augment",
    "load_image",
    "image_size",
    "file_sha1",
    "crop_array",
    "load_crop",
    "standardize",
    "orient",
    "orient_box",
]

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


def _to_rgb(image: Image.Image) -> Image.Image:
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


def load_image(path: str | Path) -> Image.Image:
    """The photo as a fully decoded RGB PIL image, EXIF orientation applied.

    Raises ImageError(path, reason) for a missing file, a directory, an empty file, a file that is
    not an image, a truncated/corrupt image, or one larger than MAX_PIXELS.
    """
    path = Path(path)
    image = _open(path)
    try:
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
            rgb = _to_rgb(image)
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


def file_sha1(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-1 of the file's bytes, read in chunks (photos can be tens of MB)."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(path, "is a directory, not an image file")
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
    except FileNotFoundError:
        raise ImageError(path, "file not found") from None
    except PermissionError:
        raise ImageError(path, "cannot read file (permission denied)") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read file ({exc.strerror or exc})") from None
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Public: crops


def _gray(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    if image.mode == "RGB":
        return image.convert("L")
    return _to_rgb(image).convert("L")


def crop_array(
    image: Image.Image,
    box: BoundingBox | tuple | None = None,
    size: int = 384,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The model's input: a float32 (size, size) grayscale crop in [0, 1] (not standardised).

    Box + 5% margin, clipped to the photo, widened or heightened (centred) to width/height = 2.15,
    then mapped to size x size by ONE affine transform (bilinear; outside the photo = image mean).
    The 2.15:1 region fills the square, i.e. the fluke is squashed horizontally (reference
    behaviour). box=None uses the whole photo. With `augment`, a random rotation/shear/zoom/
    shift/flip is folded into the same matrix (see augment.crop_matrix), drawn from `rng`.
    """
    gray = _gray(image)
    width, height = gray.size
    hist = gray.histogram()
    fill = float(np.dot(hist, np.arange(256))) / max(width * height, 1)  # image mean, 0..255

    m = crop_matrix(box, width, height, size, augment, rng)

    # Only decode-convert the part of the photo the crop can touch (plus a border for bilinear).
    corners = m @ np.array([[0, size, 0, size], [0, 0, size, size], [1, 1, 1, 1]], dtype=np.float64)
    # A big photo squeezed into 384 px would alias under plain bilinear sampling: box-average it
    # first by whole factors (per axis) no larger than the source pixels per output pixel.
    kx = max(1, min(16, int(max(abs(m[0, 0]), abs(m[0, 1])))))
    ky = max(1, min(16, int(max(abs(m[1, 0]), abs(m[1, 1])))))
    left = max(0, math.floor(corners[0].min()) - 2 * kx)
    top = max(0, math.floor(corners[1].min()) - 2 * ky)
    right = min(width, math.ceil(corners[0].max()) + 2 * kx)
    bottom = min(height, math.ceil(corners[1].max()) + 2 * ky)
    if right - left < 1 or bottom - top < 1:  # the crop lies wholly outside the photo
        return np.full((size, size), fill / 255.0, dtype=np.float32)
    # Whole blocks only, so reduced pixel i covers exactly source [left + kx*i, left + kx*(i+1)).
    kx = min(kx, right - left)
    ky = min(ky, bottom - top)
    right = left + kx * ((right - left) // kx)
    bottom = top + ky * ((bottom - top) // ky)
    region = gray.crop((left, top, right, bottom))
    if kx > 1 or ky > 1:
        region = region.reduce((kx, ky))
    # Photo coordinates -> coordinates in the (cropped, reduced) region.
    to_region = np.array([[1.0 / kx, 0.0, -left / kx], [0.0, 1.0 / ky, -top / ky], [0.0, 0.0, 1.0]])
    m = to_region @ m

    # Resample in float ("F") so the crop keeps sub-8-bit precision from the bilinear weights.
    out = region.convert("F").transform(
        (size, size),
        Image.Transform.AFFINE,
        data=tuple(m[:2].ravel()),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )
    arr = np.asarray(out, dtype=np.float32) / np.float32(255.0)
    return np.clip(arr, 0.0, 1.0)


def standardize(x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """x shifted/scaled to mean 0 and std 1 (float32); a flat image becomes all zeros."""
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(dtype=np.float64)
    std = x.std(dtype=np.float64)
    return ((x - mean) / max(std, eps)).astype(np.float32)


def load_crop(
    path: str | Path,
    box: BoundingBox | tuple | None = None,
    size: int = 384,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """crop_array(load_image(path), ...); raises ImageError for unreadable photos."""
    return crop_array(load_image(path), box, size=size, augment=augment, rng=rng)


# --------------------------------------------------------------------------------------------
# Public: manual orientation (photos the scientist marked upside down or mirrored)


def _check_rotation(rotation: int) -> int:
    rotation = int(rotation) % 360
    if rotation not in (0, 180):
        raise ValueError(f"rotation must be 0 or 180 degrees, got {rotation}")
    return rotation


def orient(image: Image.Image, rotation: int = 0, flip: bool = False) -> Image.Image:
    """The photo turned by `rotation` (0 or 180 degrees) and then mirrored left-right if `flip`.

    Both operations keep the size, commute, and are their own inverse; so is orient_box.
    """
    if _check_rotation(rotation) == 180:
        image = image.transpose(Image.Transpose.ROTATE_180)
    if flip:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def orient_box(box: BoundingBox, width: int, height: int, rotation: int = 0, flip: bool = False) -> BoundingBox:
    """Where `box` (pixels of the width x height photo) lies in orient(photo, rotation, flip).

    Applying it twice with the same arguments gives the original box back.
    """
    x0, y0, x1, y1 = box.as_tuple()
    if _check_rotation(rotation) == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    if flip:
        x0, x1 = width - x1, width - x0
    return BoundingBox(x0, y0, x1, y1)
