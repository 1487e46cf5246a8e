"""Seconds per query against a catalog of ~1,000 real photos with local features on (issue 10:
at most 1 s with cached descriptors), the default model and re-ranking.

Catalog: the first N photos of ../shared/data/nyala_train (labels.csv order); queries: the next Q.
The first run describes and caches every catalog photo; the timing is of a second, warm pass
(features, descriptors and the keypoint index prepared; what a reviewer sees per photo).

    .venv/bin/python benchmarks/bench_local_query.py [--catalog 1000] [--queries 20] [--work DIR]
        [--rerank keypoints|fin-edges]
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_sets  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--work")
    parser.add_argument("--rerank", default="keypoints", choices=["keypoints", "fin-edges"],
                        help="fin-edges adds the trailing edge (core/trailing_edge.py) to what a query costs")
    args = parser.parse_args()
    from whaleid_gui.application.match_photos import prepared_matcher
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.application.steps import run
    from whaleid_gui.core.features import ImageItem

    root = real_sets.SHARED / "nyala_train"
    with open(root / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = [(str((root / r["Image"]).resolve()), r["Id"]) for r in csv.DictReader(handle)]
    refs = [(Path(p), i, None, 0, False) for p, i in rows[:args.catalog]]
    queries = [ImageItem(Path(p)) for p, _ in rows[args.catalog:args.catalog + args.queries]]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-local-"))
    engine = EngineConfig(rerank=args.rerank)
    start = time.perf_counter()
    _model, matcher, _note = run(prepared_matcher(work, engine, refs, cache_dir=work / "cache"))
    prepare = time.perf_counter() - start
    matcher.rank_many(queries[:1])  # query descriptors of the first one, warm-up of the kernels
    times = []
    for query in queries:
        start = time.perf_counter()
        matcher.rank_many([query])
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"{date.today()} — {platform.machine()}, {__import__('os').cpu_count()} cores; {' '.join(sys.argv)}")
    print(f"catalog {len(refs)} photos, {matcher.local.size if matcher.local else 0} keypoints indexed; "
          f"prepare {prepare:.1f} s (first run: describes every photo)")
    print(f"per query: median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s ({len(times)} queries, "
          f"each its features + descriptors + votes + verification)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
