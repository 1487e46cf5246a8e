"""Helpers shared by the catalog tests (tiny real images, child processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[3]


def make_image(path: Path, seed: int, size=(48, 32), exif=None) -> Path:
    """A distinct photo: smooth random blobs (distinct perceptual hashes for distinct seeds)."""
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    img = Image.fromarray(low).resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(path, **kwargs)
    return path


def run_python(code: str, *args: str, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        **kwargs,
    )
