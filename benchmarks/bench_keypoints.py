"""Keypoint verification benchmark: speed, and identification on the real fin photos.

1. Speed: one query verified against 20 candidate individuals x 5 photos (100 photos) of 640x427,
   with the descriptors (a) not cached (SIFT on every crop), (b) in the on-disk cache (new process-like
   verifier), (c) in the in-memory cache (verification work only).
   The photos are the fin photos resized to 640x427 in a temporary folder outside the repository
   (the GPL darwin/ images must never be copied into the project), deleted afterwards.
2. Identification with the keypoint score alone on ../shared/data/fins: every `query` row against
   references + distractors (whole photos, no boxes), individuals ranked by their best photo's
   (inliers, spread); MAP@5 and top-1.

Usage: .venv/bin/python benchmarks/bench_keypoints.py [--fins DIR] [--size 448] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

# Single-threaded OpenCV / BLAS: the machine is shared and oversubscribed threads make timings
# meaningless; the app's verification runs in one worker thread anyway.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

cv2.setNumThreads(1)

from whaleid_gui.core.keypoints import DEFAULT_CLAHE, DEFAULT_NFEATURES, DEFAULT_SIZE, KeypointVerifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FINS = ROOT.parent / "shared" / "data" / "fins"


def read_labels(fins: Path) -> list[dict]:
    with open(fins / "labels.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def make_photos(fins: Path, rows: list[dict], out: Path, n: int) -> list[Path]:
    """n photos of 640x427 made from the fin photos (mirrored copies if there are too few)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    sources = [fins / r["Image"] for r in rows]
    k = 0
    while len(paths) < n:
        src = sources[k % len(sources)]
        img = Image.open(src).convert("RGB").resize((640, 427), Image.Resampling.BILINEAR)
        if k >= len(sources):
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        p = out / f"p{k:03d}.jpg"
        img.save(p, quality=90)
        paths.append(p)
        k += 1
    return paths


def time_query(verifier: KeypointVerifier, query: Path, cands: list[list[Path]]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) for describing + verifying one query."""
    t, c = time.perf_counter(), time.process_time()
    q = verifier.describe(query)
    best_total = 0
    for photos in cands:
        best = max((verifier.verify(q, verifier.describe(p)).inliers for p in photos), default=0)
        best_total += best
    return time.perf_counter() - t, time.process_time() - c


def speed(fins: Path, rows: list[dict], size: int, repeats: int = 3) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="whaleid_bench_kp_"))
    try:
        photos = make_photos(fins, rows, tmp / "photos", 101)
        query, refs = photos[0], photos[1:]
        cands = [refs[i * 5 : (i + 1) * 5] for i in range(20)]
        res = {}
        cold = [time_query(KeypointVerifier(tmp / f"cache{r}", size=size), query, cands) for r in range(repeats)]
        res["uncached"] = min(cold)
        # filled above; a fresh verifier has nothing in memory
        disk = [time_query(KeypointVerifier(tmp / "cache0", size=size), query, cands) for _ in range(repeats)]
        res["disk_cache"] = min(disk)
        v = KeypointVerifier(tmp / "cache0", size=size)
        time_query(v, query, cands)
        res["memory_cache"] = min(time_query(v, query, cands) for _ in range(repeats))
        qd = v.describe(query)
        descs = [v.describe(p) for p in refs]
        n_kp = [len(d) for d in descs]
        vo = []
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            for d in descs:
                v.verify(qd, d)
            vo.append((time.perf_counter() - t, time.process_time() - c))
        res["verify_only"] = min(vo)
        res["keypoints_mean"] = float(np.mean(n_kp))
        res["cache_bytes_per_photo"] = float(
            np.mean([f.stat().st_size for f in (tmp / "cache0").rglob("*.npz")])
        )
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def identify(fins: Path, rows: list[dict], size: int, clahe: bool = True, nfeatures: int = DEFAULT_NFEATURES) -> dict:
    cache = Path(tempfile.mkdtemp(prefix="whaleid_bench_kp_cache_"))
    try:
        v = KeypointVerifier(cache, size=size, clahe=clahe, nfeatures=nfeatures)
        catalog = [r for r in rows if r["role"] in ("reference", "distractor")]
        queries = [r for r in rows if r["role"] == "query"]
        t = time.perf_counter()
        cat_desc = [(r["Id"], v.describe(fins / r["Image"])) for r in catalog]
        t_desc = time.perf_counter() - t
        aps, top1, ranks, true_inl, best_wrong = [], [], [], [], []
        t = time.perf_counter()
        for q in queries:
            qd = v.describe(fins / q["Image"])
            best: dict[str, tuple[int, float]] = {}
            for ind, d in cat_desc:
                r = v.verify(qd, d)
                best[ind] = max(best.get(ind, (0, 0.0)), (r.inliers, r.spread))
            # stable ordering; ties (e.g. all zero) are broken pessimistically: truth after equals
            order = sorted(best, key=lambda i: (-best[i][0], -best[i][1], i == q["Id"], i))
            rank = order.index(q["Id"]) + 1
            ranks.append(rank)
            aps.append(1.0 / rank if rank <= 5 else 0.0)
            top1.append(rank == 1)
            true_inl.append(best[q["Id"]][0])
            best_wrong.append(max(v_[0] for i, v_ in best.items() if i != q["Id"]))
        t_match = time.perf_counter() - t
        return {
            "size": size,
            "clahe": clahe,
            "nfeatures": nfeatures,
            "map5": float(np.mean(aps)),
            "top1": float(np.mean(top1)),
            "ranks": ranks,
            "true_inliers": true_inl,
            "best_wrong_inliers": best_wrong,
            "queries": len(queries),
            "individuals": len({i for i, _ in cat_desc}),
            "photos": len(cat_desc),
            "t_describe": t_desc,
            "t_match": t_match,
        }
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fins", type=Path, default=DEFAULT_FINS)
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS_keypoints.md")
    args = ap.parse_args()
    rows = read_labels(args.fins)

    sp = speed(args.fins, rows, args.size)
    print("speed", sp)
    load_before = os.getloadavg()
    configs = [(args.size, DEFAULT_CLAHE), (args.size, not DEFAULT_CLAHE), (384, DEFAULT_CLAHE), (640, DEFAULT_CLAHE)]
    ids = []
    for size, clahe in configs:
        r = identify(args.fins, rows, size, clahe)
        print(f"fins size={size} clahe={clahe}: MAP@5={r['map5']:.3f} top1={r['top1']:.3f} ranks={r['ranks']}")
        ids.append(r)

    lines = [
        "# Keypoint verification benchmark (RootSIFT + mutual ratio test + RANSAC similarity)",
        "",
        f"Date: {dt.date.today().isoformat()} · machine: {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()} · "
        f"script: `benchmarks/bench_keypoints.py` · default crop {args.size} px, "
        f"{DEFAULT_NFEATURES} keypoints max, CLAHE {'on' if DEFAULT_CLAHE else 'off'}.",
        "",
        "## Speed: one query vs 20 candidate individuals x 5 photos (100 photos, 640x427)",
        "",
        "Best of 3 runs, one thread (OpenCV and BLAS pinned to 1). Photos: the fin photos resized to "
        "640x427 (temporary folder). The machine was shared with other jobs (load average "
        f"{load_before[0]:.1f} on 2 cores at the start), so wall time is inflated; process CPU time is "
        "the better estimate of what an idle core needs.",
        "",
        "| descriptors | wall time for the query | CPU time |",
        "|---|---|---|",
        f"| not cached (SIFT on all 101 crops + verification) | {sp['uncached'][0]:.2f} s | {sp['uncached'][1]:.2f} s |",
        f"| on-disk cache (.npz, fresh verifier) | {sp['disk_cache'][0]:.3f} s | {sp['disk_cache'][1]:.3f} s |",
        f"| in-memory cache (sha1 stat check + verification) | {sp['memory_cache'][0]:.3f} s | {sp['memory_cache'][1]:.3f} s |",
        f"| 100 verifications alone (matching + RANSAC) | {sp['verify_only'][0]:.3f} s | {sp['verify_only'][1]:.3f} s |",
        "",
        f"Mean keypoints per crop: {sp['keypoints_mean']:.0f}; cache file per photo: "
        f"{sp['cache_bytes_per_photo'] / 1024:.0f} KiB (float16 descriptors).",
        "",
        "## Identification by the keypoint score alone on ../shared/data/fins",
        "",
        f"{ids[0]['queries']} queries (role `query`) against {ids[0]['photos']} catalog photos of "
        f"{ids[0]['individuals']} individuals (references + shark distractors). Whole photos, no boxes "
        "(none are given): the photo is placed in the 2.15:1 crop rule like a fluke box would be (padded "
        "with the photo mean) and described isotropically (crop px wide, crop/2.15 px high). "
        "Individuals ranked by their best photo's (inliers, spread); ties broken against the truth. "
        "Chance MAP@5 with 79 individuals is about 0.03.",
        "",
        "| crop | CLAHE | MAP@5 | top-1 | rank of the truth per query | describe 83 photos | 13 x 83 verifications |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in ids:
        lines.append(
            f"| {r['size']} | {'on' if r['clahe'] else 'off'} | {r['map5']:.3f} | {r['top1']:.3f} | "
            f"{' '.join(map(str, r['ranks']))} | {r['t_describe']:.1f} s | {r['t_match']:.1f} s |"
        )
    d = ids[0]
    lines += [
        "",
        f"At the default ({args.size} px, CLAHE {'on' if DEFAULT_CLAHE else 'off'}): inliers with the true individual per query: "
        f"{d['true_inliers']}; most inliers with any wrong individual: {d['best_wrong_inliers']}.",
        "",
        "Read the inlier lists: wrong individuals reach 3-5 inliers by chance (RANSAC on a handful "
        "of tentative matches), so a top-1 won with 4-5 inliers is near noise level; only queries whose "
        "true individual has far more inliers than any wrong one (here 20+) are real keypoint evidence. "
        "The MAP@5 is therefore partly luck and should not be read as robust.",
        "",
        "Caveats: 13 queries only (10 darwin dolphins with one catalog photo each, 2 curvrank, 1 finfindr), "
        "so one query moves MAP@5 by up to 0.077; the rows above differ by a query or two and are not a "
        "basis for fine tuning (CLAHE is off by default on the strength of the CLAHE rows here, plus the "
        "plausible but unverified reason that it turns water texture into keypoints). Rank 79 = no inliers at all with the true individual (tied last). "
        "An earlier version that ran SIFT on the squashed square crop itself scored MAP@5 0.18 at 448 px "
        "(CLAHE on); describing the isotropic crop gave 0.33 with the same settings. These are dorsal fins of other species on whole photos, not humpback flukes "
        "in boxes; the number says the verifier works on real photos, not how well it will rank flukes.",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
