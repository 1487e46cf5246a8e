"""Date, GPS position and camera from a photo's EXIF (header only; never decodes pixels)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_DATETIME = 0x0132
_MAKE = 0x010F
_MODEL = 0x0110


@dataclass(frozen=True)
class ExifInfo:
    taken_at: str | None = None  # ISO 8601, local camera time as recorded (no offset)
    lat: float | None = None
    lon: float | None = None
    camera: str | None = None


def read_exif(path: str | Path) -> ExifInfo:
    """Best effort: a photo without (or with broken) EXIF gives empty fields, never an error."""
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            if not exif:
                return ExifInfo()
            sub = _ifd(exif, _EXIF_IFD)
            gps = _ifd(exif, _GPS_IFD)
            stamp = sub.get(_DATETIME_ORIGINAL) or sub.get(_DATETIME_DIGITIZED) or exif.get(_DATETIME)
            lat = _gps_coord(gps.get(2), gps.get(1), "S")
            lon = _gps_coord(gps.get(4), gps.get(3), "W")
            return ExifInfo(_iso(stamp), lat, lon, _camera(exif.get(_MAKE), exif.get(_MODEL)))
    except Exception:  # EXIF is optional metadata: a bad block must not stop an import
        return ExifInfo()


def _ifd(exif, tag: int) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:
        return {}


def _iso(stamp) -> str | None:
    if not stamp:
        return None
    text = str(stamp).strip().replace("\x00", "")
    # EXIF: "YYYY:MM:DD HH:MM:SS"
    if len(text) >= 19 and text[4] == ":" and text[7] == ":":
        date = text[:10].replace(":", "-")
        if date.startswith("0000"):
            return None
        return f"{date}T{text[11:19]}"
    return None


def _gps_coord(value, ref, negative: str) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except Exception:
        return None
    coord = d + m / 60.0 + s / 3600.0
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref or "").strip().upper() == negative:
        coord = -coord
    return round(coord, 7)


def _camera(make, model) -> str | None:
    make = str(make or "").strip().strip("\x00")
    model = str(model or "").strip().strip("\x00")
    if model.lower().startswith(make.lower()):
        make = ""
    text = f"{make} {model}".strip()
    return text or None
