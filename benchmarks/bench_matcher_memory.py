"""Memory of a prepared matcher at 100k reference photos: features in memory vs read from the
embedding index's memory-mapped file (issue 13 point 5; RESULTS_search.md).

Each variant runs in its own process: Matcher(threshold="auto").prepare() then one query, on a
feature cache (SQLite) already holding every photo's synthetic 1280-d feature (bench_search.py's
spectrum; the photos are tiny files, hashed as the product hashes them). The model is a stand-in
with the zero-shot model's card (centres on the catalog) and a cosine head, so what is measured is
the matcher's own arrays, not a network's weights. Printed per variant: peak RSS (ru_maxrss: the
feature cache's load and the index's making are in it), and after the query the anonymous memory
(RssAnon: what the process holds; the memory-mapped file's pages are RssFile, reclaimable page cache).

    .venv/bin/python benchmarks/bench_matcher_memory.py [--n 100000] [--work DIR] [--old-code DIR]
    --old-code: a checkout of whaleid_gui/ from before the change (git archive HEAD~N whaleid_gui |
    tar -x -C DIR) measured with the index on as well.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


class StandInModel:
    """The zero-shot card's centring and a cosine head (score_matrix) over 1280-d features."""

    feature_size = 1280
    image_size = 64
    weights_id = "bench-standin"

    class card:
        centre_on_catalog = True

    def score_matrix(self, a, b):
        a = np.asarray(a, np.float32)
        b = np.asarray(b, np.float32)
        a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
        return ((a @ b.T + 1) / 2).astype(np.float32)


def setup(work: Path, n: int) -> None:
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.photo_files import file_sha1

    sys.path.insert(0, str(HERE))
    from bench_search import PER_INDIVIDUAL, photos_of, spectrum_basis

    photos = work / "photos"
    if (work / "ready").exists():
        return
    photos.mkdir(parents=True, exist_ok=True)
    cache = FeatureCache(work / "features")
    basis = spectrum_basis()
    model = StandInModel()
    for start in range(0, n, 9_999):
        stop = min(n, start + 9_999)
        feats = photos_of(np.arange(start, stop) // PER_INDIVIDUAL, basis, np.random.default_rng([0, 2, start]), 0)
        entries = {}
        for i, f in zip(range(start, stop), feats):
            path = photos / f"p{i}.jpg"
            path.write_bytes(f"photo {i}".encode())
            entries[FeatureCache.key(file_sha1(path), ImageItem(path), model.weights_id, model.image_size)] = f
        cache.put_many(entries)
    (work / "ready").write_text("ok")


def rss_anon_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_variant(work: Path, n: int, index: bool) -> dict:
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matching import Matcher

    items = [ImageItem(work / "photos" / f"p{i}.jpg") for i in range(n)]
    ids = [f"I{i // 3}" for i in range(n)]
    query = items[-1]
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(dir=work)) / "embedding_index" if index else None
    matcher = Matcher(StandInModel(), items[:-1], ids[:-1], threshold="auto", cache=FeatureCache(work / "features"),
                      index_dir=folder)
    matcher.prepare()
    prepared_s = time.perf_counter() - start
    ranking = matcher.rank(query)
    del items
    gc.collect()
    return {"index": index, "prefilter": matcher.prefilter is not None,
            "features": type(matcher.features).__name__, "prepare_s": round(prepared_s, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_anon_after_mb": round(rss_anon_mb()), "top": ranking[0].individual,
            "code": str(Path(sys.modules[Matcher.__module__].__file__ or "?").parents[2])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--work", help="folder for the photos and the feature cache (default: a temp folder)")
    parser.add_argument("--old-code", help="a folder holding whaleid_gui/ from before the change")
    parser.add_argument("--variant", choices=["memory", "index"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="whaleid-mem-"))
    if args.variant:
        print(json.dumps(run_variant(work, args.n, args.variant == "index")))
        return 0
    work.mkdir(parents=True, exist_ok=True)
    setup(work, args.n)
    print(f"n={args.n} load={os.getloadavg()[0]:.2f} work={work}", flush=True)
    runs = [("in memory (no index)", "memory", None), ("index, features on disk", "index", None)]
    if args.old_code:
        runs.append(("index, before the change", "index", args.old_code))
    for name, variant, code in runs:
        env = dict(os.environ)
        if code:
            env["PYTHONPATH"] = str(Path(code).resolve())
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--n", str(args.n), "--work", str(work), "--variant", variant],
                             env=env, capture_output=True, text=True, check=True, cwd=code or None)
        print(f"{name}: {out.stdout.strip()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
