"""Query latency with the embedding index vs the full scan, and the index's recall@100 against the
exact ranking, at 10k, 100k and 1M reference photos (issue 13 points 5-6; RESULTS_search.md).

Vectors: synthetic 1280-d features of the real dimension, clustered by individual (3 photos each),
whose spectrum imitates the zero-shot model's features of 1,301 real photos (fins + nyala,
centred: 42% of the variance in 8 directions, 74% in 64, 92% in 256; eigenvalues ~ (k + 4)^-1.45),
a photo sharing 60% of its variance with its individual (best true match cosine ~0.66, as the
real photos' best ~0.58). Queries: a new photo of a catalogued individual. They are written to a
float16 memory-mapped file in chunks (1M x 1280 x 2 bytes = 2.6 GB on disk, not in memory).

The index is grown as the product grows it (core/embedding_index.py): made at EXACT_BELOW photos, then
photos appended in chunks, never rebuilt. A query with the index = project and search the index,
score the CANDIDATES photos it returns exactly (the head kernel of the zero-shot model, as
Matcher.score_rows does), the best photo per individual, the top 5 (core.matching.rank_row).
Exact = the head kernel over every photo (10k and 100k; at 1M the float32 features alone are
5 GB, so the exact ranking is the cosine from the memory-mapped file, timed too). Recall@100 = share
of the exact top-100 photos (cosine, centred on the whole catalog's mean: the head of the zero-shot
model is monotone in it) that the index's ranking returns in its top 100.

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000,100000,1000000] [--queries 100]
        [--work DIR] [--alternatives] [--max-load 2.5] [--max-wait 1800]
    --alternatives: faiss HNSW and IVF-SQ8 at 100k, for the record. The timing waits for the load
    average to fall below --max-load (others share the machine) and records the load it ran at.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

DIM = 1280
PER_INDIVIDUAL = 3
WITHIN = 0.4  # share of a photo's variance that is its own (the rest its individual's)
CHUNK = 25_000  # a multiple of PER_INDIVIDUAL... rounded below


def spectrum_basis(seed: int = 0) -> np.ndarray:
    """(DIM, DIM): rows = random orthonormal directions scaled by sqrt of the eigenvalues."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))
    lam = (np.arange(1, DIM + 1) + 4.0) ** -1.45
    return (np.sqrt(lam / lam.sum())[:, None] * q.T).astype(np.float32)


def individual_codes(individuals: np.ndarray, seed: int) -> np.ndarray:
    """The latent code of each individual, the same wherever it is asked for."""
    return np.stack([np.random.default_rng([seed, 1, int(i)]).standard_normal(DIM, dtype=np.float32)
                     for i in individuals])


def photos_of(individuals: np.ndarray, basis: np.ndarray, rng: np.random.Generator, seed: int) -> np.ndarray:
    codes = individual_codes(np.unique(individuals), seed)
    _u, inverse = np.unique(individuals, return_inverse=True)
    z = np.sqrt(1 - WITHIN) * codes[inverse] + np.sqrt(WITHIN) * rng.standard_normal((len(individuals), DIM),
                                                                                        dtype=np.float32)
    x = z @ basis + 1.0  # off the origin, as pooled ReLU features are
    return x.astype(np.float32)


def write_catalog(path: Path, n: int, basis: np.ndarray, seed: int = 0) -> np.memmap:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, DIM))
    chunk = CHUNK - CHUNK % PER_INDIVIDUAL
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        out[start:stop] = photos_of(np.arange(start, stop) // PER_INDIVIDUAL, basis,
                                    np.random.default_rng([seed, 2, start]), seed)
    out.flush()
    return out


def exact_top(catalog: np.ndarray, queries: np.ndarray, centre: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """(q, k) exact top-k rows by centred cosine, streamed from the memory-mapped catalog;
    and the seconds per query this full scan took (all queries at once, float32 chunks)."""
    qn = queries - centre
    qn /= np.linalg.norm(qn, axis=1, keepdims=True)
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    start_t = time.perf_counter()
    for start in range(0, len(catalog), 50_000):
        block = np.asarray(catalog[start:start + 50_000], dtype=np.float32) - centre
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        s = qn @ block.T
        top = np.argpartition(-s, min(k, s.shape[1] - 1), axis=1)[:, :k]
        best_s = np.concatenate([best_s, np.take_along_axis(s, top, 1)], axis=1)
        best_i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i, (time.perf_counter() - start_t) / len(queries)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_size(n: int, args, basis: np.ndarray, work: Path, head) -> dict:
    from whaleid_gui.core import embedding_index
    from whaleid_gui.core.embedding_index import EmbeddingIndex, Prefilter, model_identity
    from whaleid_gui.core.matching import IndividualIndex, centre_features, rank_row

    folder = work / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    saved = folder / "catalog.npy"
    if saved.exists() and np.load(saved, mmap_mode="r").shape == (n, DIM):  # --work: made by an earlier run
        catalog = np.load(saved, mmap_mode="r")
    else:
        catalog = write_catalog(saved, n, basis)
    generate_s = time.perf_counter() - t
    rng = np.random.default_rng(99)
    truth_ind = rng.choice(n // PER_INDIVIDUAL, args.queries, replace=False)
    queries = photos_of(truth_ind, basis, np.random.default_rng([0, 3]), 0)

    # -- the index, grown as the product grows it --------------------------------------------------
    t = time.perf_counter()
    keys = [f"synthetic{i}" for i in range(n)]
    made_at = embedding_index.exact_below()  # the index is made when the catalog reaches this size
    first = np.asarray(catalog[:made_at], dtype=np.float32)
    index = EmbeddingIndex.create(folder / "index", model_identity(head, True), keys[:made_at], first,
                                  first.mean(axis=0))
    for start in range(made_at, n, 50_000):
        stop = min(n, start + 50_000)
        index.add(keys[start:stop], np.asarray(catalog[start:stop], dtype=np.float32))
    build_s = time.perf_counter() - t
    # Reopened as a matcher opens it: how long, and how much memory the index takes (keys, faiss).
    del index
    before = current_rss_mb()
    t = time.perf_counter()
    index = EmbeddingIndex.load(folder / "index")
    assert index is not None
    prefilter = Prefilter(index, keys, embedding_index.candidate_count())
    prefilter.rows(queries[0])  # faiss reads the projected rows here, once per prepared matcher
    open_s = time.perf_counter() - t
    index_ram_mb = current_rss_mb() - before
    disk = {p.name.split(".")[0]: p.stat().st_size for p in (folder / "index").iterdir() if p.is_file()}

    # -- exact truth (centred on the whole catalog, as the matcher centres) -------------------------
    centre = np.zeros(DIM, np.float64)
    for start in range(0, n, 50_000):
        centre += np.asarray(catalog[start:start + 50_000], dtype=np.float64).sum(axis=0)
    centre = (centre / n).astype(np.float32)
    truth, _ = exact_top(catalog, queries, centre, 100)
    load = wait_until_quiet(args.max_load, args.max_wait)
    _, cosine_scan_s = exact_top(catalog, queries[:3], centre, 100)  # one query at a time would be the same

    # -- per query: index + exact scoring of the candidates + top 5 individuals ---------------------
    individuals = IndividualIndex([str(i // PER_INDIVIDUAL) for i in range(n)])
    scoring_q = centre_features(queries, centre)
    times, recalls, searched = [], [], []
    for r, q in enumerate(queries):
        t = time.perf_counter()
        rows = prefilter.rows(q)
        features = centre_features(np.asarray(catalog[rows], dtype=np.float32), centre)
        scores = head.score_matrix(scoring_q[r:r + 1], features)[0]
        row = np.full(n, -np.inf, dtype=np.float32)
        row[rows] = scores
        rank_row(row, individuals, None, 5)
        times.append(time.perf_counter() - t)
        found = rows[np.argsort(-scores, kind="stable")[:100]]
        recalls.append(len(set(found.tolist()) & set(truth[r].tolist())) / 100)
        searched.append(len(rows))

    # -- the full scan as the matcher does it today (head kernel over every photo) -------------------
    exact_head_ms = None
    if n <= 100_000:
        every = centre_features(np.asarray(catalog, dtype=np.float32), centre)
        head_times = []
        for r in range(min(20, len(queries))):
            t = time.perf_counter()
            row = head.score_matrix(scoring_q[r:r + 1], every)[0]
            rank_row(row, individuals, None, 5)
            head_times.append(time.perf_counter() - t)
        exact_head_ms = 1000 * float(np.median(head_times))
        del every
    times_ms = np.array(times) * 1000
    result = {"n": n, "load_before_timing": load, "generate_s": generate_s, "build_s": build_s,
              "open_s": open_s, "index_ram_mb": round(index_ram_mb), "median_ms": float(np.median(times_ms)),
              "p95_ms": float(np.percentile(times_ms, 95)), "recall": float(np.mean(recalls)),
              "min_recall": float(np.min(recalls)), "candidates": int(np.median(searched)),
              "exact_head_ms": exact_head_ms, "cosine_scan_ms": 1000 * cosine_scan_s,
              "index_disk_mb": {k: round(v / 2**20, 1) for k, v in disk.items()},
              "search_ram_mb": round(index.count * len(index.projection) * 2 / 2**20, 1), "rss_mb": rss_mb()}
    print(result, flush=True)
    if not args.work:
        shutil.rmtree(folder)
    else:
        shutil.rmtree(folder / "index")
    return result


def wait_until_quiet(max_load: float, max_wait_s: float) -> float:
    """Wait (at most max_wait_s) for the 1-minute load average to fall below max_load: other
    people's work on a shared 2-core machine otherwise decides the timing. Returns the load."""
    deadline = time.monotonic() + max_wait_s
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        time.sleep(10)
    return round(os.getloadavg()[0], 2)


def alternatives(n: int, basis: np.ndarray, work: Path, queries_n: int) -> None:
    """faiss HNSW (on the same 128-d projection) and IVF-SQ8 (1280-d), for the record."""
    import faiss

    faiss.omp_set_num_threads(1)
    catalog = write_catalog(work / "alt.npy", n, basis)
    x = np.asarray(catalog, dtype=np.float32)
    x -= x.mean(axis=0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = photos_of(np.random.default_rng(99).choice(n // PER_INDIVIDUAL, queries_n, replace=False), basis,
                        np.random.default_rng([0, 3]), 0) - np.asarray(catalog, dtype=np.float32).mean(axis=0)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(x)
    _d, truth = flat.search(queries, 100)

    def measure(name, index, pool):
        t = time.perf_counter()
        recall = []
        for q, exact in zip(queries, truth):
            _d, found = index.search(q[None], pool)
            found = found[0][found[0] >= 0]
            best = found[np.argsort(-(x[found] @ q))[:100]]
            recall.append(len(set(best.tolist()) & set(exact.tolist())) / 100)
        print(f"  {name} pool {pool}: {1000 * (time.perf_counter() - t) / len(queries):.1f} ms/query, "
              f"recall@100 {np.mean(recall):.4f}", flush=True)

    t = time.perf_counter()
    pca = faiss.PCAMatrix(DIM, 128)
    hnsw = faiss.IndexHNSWFlat(128, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 40
    index = faiss.IndexPreTransform(pca, hnsw)
    index.train(x[:50_000])
    index.add(x)
    print(f"HNSW32 on PCA-128, {n}: build {time.perf_counter() - t:.0f} s", flush=True)
    for ef in (200, 400):
        hnsw.hnsw.efSearch = ef
        measure(f"efSearch {ef}", index, min(ef, 400))
    t = time.perf_counter()
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(DIM), DIM, 1024, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    ivf.train(x[:40_000])
    ivf.add(x)
    print(f"IVF1024-SQ8 (1280-d), {n}: build {time.perf_counter() - t:.0f} s", flush=True)
    for nprobe in (16, 64):
        ivf.nprobe = nprobe
        measure(f"nprobe {nprobe}", ivf, 400)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--work", help="folder for the memory-mapped vectors (default: a temp folder)")
    parser.add_argument("--alternatives", action="store_true")
    parser.add_argument("--max-load", type=float, default=2.5, help="time only below this load average...")
    parser.add_argument("--max-wait", type=float, default=1800, help="...or after waiting this many seconds")
    args = parser.parse_args()
    from whaleid_gui.core.model import build_zero_shot_model

    head = build_zero_shot_model()  # the default model: its distance head over 1280 features
    head.eval()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-search-"))
    basis = spectrum_basis()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {platform.machine()}, {os.cpu_count()} cores; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {' '.join(sys.argv)}", flush=True)
    try:
        head.score_matrix(np.zeros((1, DIM), np.float32), np.zeros((2, DIM), np.float32))  # numba compile
        if args.alternatives:
            alternatives(100_000, basis, work, args.queries)
        for n in [int(s) for s in args.sizes.split(",")]:
            bench_size(n, args, basis, work, head)
            print(f"  load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
