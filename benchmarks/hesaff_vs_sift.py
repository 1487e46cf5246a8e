"""Hessian-affine keypoints (pyhesaff, what HotSpotter used) against the product's OpenCV SIFT, both
as RootSIFT through the product's verification (mutual ratio test + RANSAC), keypoints alone on
the real fins (issue 10 point 3: "try pyhesaff beside SIFT and keep what wins").

pyhesaff is not a dependency of WhaleID; install it for this script only:
    .venv/bin/pip install --target /tmp/pyh pyhesaff ubelt
    PYTHONPATH=/tmp/pyh .venv/bin/python benchmarks/hesaff_vs_sift.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_keypoints  # noqa: E402
from whaleid_gui.core import keypoints  # noqa: E402


def hesaff_describe_array(gray, nfeatures=keypoints.DEFAULT_NFEATURES, clahe=True, _sift=None):
    """Drop-in for keypoints.describe_array: Hessian-affine regions, SIFT descriptors -> RootSIFT,
    the strongest `nfeatures` kept (by region size, as pyhesaff orders none)."""
    import cv2
    import pyhesaff

    a = np.asarray(gray)
    if a.ndim != 2 or min(a.shape) < 16:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if clahe:
        a = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(a)
    kpts, desc = pyhesaff.detect_feats_in_image(a)
    if len(kpts) == 0:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    if len(kpts) > nfeatures:  # keep the largest regions (a * d: the ellipse's area up to a constant)
        keep = np.argsort(-(kpts[:, 2] * kpts[:, 4]))[:nfeatures]
        kpts, desc = kpts[keep], desc[keep]
    return kpts[:, :2].astype(np.float32), keypoints.rootsift(desc.astype(np.float32))


def nyala_rows(fold: int, tmp: Path) -> tuple[Path, list[dict]]:
    """A nyala fold as bench_keypoints rows (catalog = reference; known queries only: keypoints
    alone rank, they do not decide new individuals)."""
    import real_sets

    split = real_sets.nyala_folds()[fold]
    rows = [{"Image": p, "Id": i, "role": "reference"} for p, i in zip(split.ref_paths, split.ref_ids)]
    rows += [{"Image": p, "Id": t, "role": "query"} for p, t in zip(split.query_paths, split.truth)
             if t != real_sets.NEW]
    return Path("/"), rows


def main() -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="fins", help="fins | nyalaN (nyala fold N)")
    args = parser.parse_args()
    if args.set == "fins":
        root, rows = bench_keypoints.DEFAULT_FINS, bench_keypoints.read_labels(bench_keypoints.DEFAULT_FINS)
    else:
        root, rows = nyala_rows(int(args.set.removeprefix("nyala")), Path(tempfile.mkdtemp()))
    print(f"{args.set}: | detector | MAP@5 | top-1 | s per photo (describe) | s total |")
    sift = keypoints.describe_array
    for name, describe in (("sift", sift), ("hesaff", hesaff_describe_array)):
        keypoints.describe_array = describe
        t = time.perf_counter()
        r = bench_keypoints.identify(root, rows, keypoints.DEFAULT_SIZE)
        print(f"| {name} | {r['map5']:.3f} | {r['top1']:.2f} | {r['t_describe'] / r['photos']:.2f} | "
              f"{time.perf_counter() - t:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
