"""Catalog store speed: import with hashing, opening a big project + its queue, decisions.

    python benchmarks/bench_catalog.py [--photos 10000] [--big 50000] [--decisions 1000] [--db URL]

--db postgresql://user@host/database: the catalogs in that (empty) PostgreSQL database instead
of project.sqlite files; each part starts from an empty database (its tables are dropped after).
Prints a table; results are recorded in benchmarks/RESULTS_catalog.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whaleid_gui.core.catalog import ProjectStore  # noqa: E402
from whaleid_gui.core.catalog.copy_catalog import reset_sequence  # noqa: E402
from whaleid_gui.core.catalog.db_postgres import make_engine, without_password  # noqa: E402
from whaleid_gui.core.catalog.schema import boxes, individuals, metadata, photos, sightings  # noqa: E402
from whaleid_gui.core.catalog.timeutil import now_iso  # noqa: E402


def make_photos(folder: Path, n: int) -> None:
    """Small distinct JPEGs (96x64): smooth random blobs plus noise."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        low = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
        img = np.asarray(Image.fromarray(low).resize((96, 64), Image.Resampling.BICUBIC), dtype=np.int16)
        img = np.clip(img + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)
        sub = folder / f"day{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(img).save(sub / f"img_{i:05d}.jpg", quality=90)


def bench_import(root: Path, n: int, db_url: str | None) -> dict:
    folder = root / "survey"
    t0 = time.perf_counter()
    make_photos(folder, n)
    t_make = time.perf_counter() - t0
    with ProjectStore.create(root / "import_proj", db_url=db_url) as store:
        t0 = time.perf_counter()
        report = store.import_folder(folder)
        dt = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = store.import_folder(folder)
        dt_again = time.perf_counter() - t1
    assert report.added + len(report.skipped_duplicates) == n, report.summary()
    return {"n": n, "s": dt, "rate": n / dt, "make_s": t_make, "again_s": dt_again, "report": report.summary(),
            "again": again.summary()}


def build_big(folder: Path, n: int, db_url: str | None) -> None:
    """n photo rows (fake paths): 1/3 identified (sightings), 1/3 boxed, 1/3 without box."""
    with ProjectStore.create(folder, db_url=db_url) as store:
        conn = store.connection
        at = now_iso()
        with conn.begin():
            conn.execute(individuals.insert(), [{"id": i + 1, "code": f"HW-{i + 1:05d}", "created_at": at}
                                                for i in range(n // 20)])
            conn.execute(photos.insert(), [
                {"id": i + 1, "path": f"/data/survey/{i // 1000:03d}/img_{i:06d}.jpg", "sha1": f"{i:040x}",
                 "phash": i, "width": 4000, "height": 3000, "taken_at": f"20{10 + i % 14:02d}-07-{1 + i % 28:02d}T10:00:00",
                 "imported_at": at} for i in range(n)])
            conn.execute(boxes.insert(), [
                {"photo_id": i + 1, "x0": 10, "y0": 10, "x1": 900, "y1": 400, "source": "imported", "created_at": at,
                 "active": True, "rotation": 0, "flip": False}
                for i in range(n) if i % 3 != 2])
            conn.execute(sightings.insert(), [
                {"photo_id": i + 1, "individual_id": 1 + i % (n // 20), "date": f"2015-01-{1 + i % 28:02d}",
                 "created_at": at} for i in range(n) if i % 3 == 0])
            if db_url:  # explicit ids do not advance PostgreSQL's sequences
                for table in (individuals, photos, boxes, sightings):
                    reset_sequence(conn, table)


def empty_database(db_url: str) -> None:
    """Drop the catalog's tables: the next part starts from an empty database again."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
    engine.dispose()


def bench_open(root: Path, n: int, db_url: str | None) -> dict:
    folder = root / "big"
    t0 = time.perf_counter()
    build_big(folder, n, db_url)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ProjectStore.open(folder) as store:
        t_open = time.perf_counter() - t0
        queue = store.queue()
        t_queue = time.perf_counter() - t0
        t1 = time.perf_counter()
        all_photos = store.photos()
        t_all = time.perf_counter() - t1
        t1 = time.perf_counter()
        inds = store.individuals()
        t_inds = time.perf_counter() - t1
    return {"n": n, "open_s": t_open, "open_queue_s": t_queue, "queue_len": len(queue), "all_s": t_all,
            "all_len": len(all_photos), "inds_s": t_inds, "inds_len": len(inds), "build_s": t_build}


def bench_decisions(root: Path, n: int) -> dict:
    folder = root / "big"
    with ProjectStore.open(folder) as store:
        queue = store.queue()[: n]
        codes = [i.id for i in store.individuals()[:50]]
        times = []
        for k, p in enumerate(queue):
            t0 = time.perf_counter()
            if k % 4 == 3:
                store.decide(p.id, "new_individual")
            else:
                store.decide(p.id, "confirmed", individual_id=codes[k % len(codes)], score=0.9, rank=1, weights_id="w")
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(min(100, n)):
            store.undo_last()
        t_undo = (time.perf_counter() - t0) / min(100, n)
    ms = np.array(times) * 1000
    return {"n": len(times), "mean_ms": ms.mean(), "p50_ms": np.median(ms), "p95_ms": np.percentile(ms, 95),
            "undo_ms": t_undo * 1000}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=50_000)
    ap.add_argument("--decisions", type=int, default=1000)
    ap.add_argument("--db", metavar="URL", help="an empty PostgreSQL database (default: SQLite files)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            imp = bench_import(root, args.photos, args.db)
            if args.db:
                empty_database(args.db)
            big = bench_open(root, args.big, args.db)
            dec = bench_decisions(root, args.decisions)
        finally:
            if args.db:
                empty_database(args.db)
    backend = f"PostgreSQL ({without_password(args.db)})" if args.db else "SQLite"
    print(f"# catalog benchmark  {date.today().isoformat()}  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, catalog in {backend}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"| measure | result |\n|---|---|")
    print(f"| import {imp['n']:,} photos 96x64 JPEG (decode, SHA-1, pHash, EXIF, near-dup check) | "
          f"{imp['rate']:.0f} photos/s ({imp['s']:.1f} s) |")
    print(f"| re-import of the same folder (idempotent, nothing added) | {imp['again_s']:.2f} s |")
    print(f"| bulk insert of {big['n']:,} photo rows with their boxes and sightings (one transaction) | "
          f"{big['build_s']:.2f} s |")
    print(f"| open a {big['n']:,}-photo project | {big['open_s'] * 1000:.0f} ms |")
    print(f"| open + list its queue ({big['queue_len']:,} photos needing a decision) | {big['open_queue_s']:.2f} s |")
    print(f"| list all {big['all_len']:,} photos with status | {big['all_s']:.2f} s |")
    print(f"| list {big['inds_len']:,} individuals with stats | {big['inds_s']:.2f} s |")
    durable = "synchronous_commit on" if args.db else "synchronous=FULL"
    print(f"| record {dec['n']:,} decisions (one transaction each, {durable}) | "
          f"{dec['mean_ms']:.1f} ms mean, {dec['p50_ms']:.1f} ms median, {dec['p95_ms']:.1f} ms p95 |")
    print(f"| undo last decision | {dec['undo_ms']:.1f} ms |")
    print(f"\nimport: {imp['report']}; again: {imp['again']}")


if __name__ == "__main__":
    main()
