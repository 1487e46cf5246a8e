"""Accuracy on REAL photos: the yardstick of every ranking default (issue 10).

Sets (benchmarks/real_sets.py): ../shared/data/fins and the 5 nyala_train folds split by
individual. For each mode it prints MAP@5, top-1, top-5, known queries sent to new_whale, new
queries let through and seconds per query (catalog features excluded; they are cached once), beside
the floors (random; new_whale first) and plain cosine of the same ImageNet backbone
(benchmarks/plain_cosine.py, written apart from the product).

Product modes run the product's own use case (application.match_csv, as `whaleid match` does),
with its threshold rule; a mode is `weights:rerank`, e.g. `untrained:none`, `default:keypoints`;
`imagenet:profile` ranks each set as a new project of its kind does (application/photo_subjects.py:
the fins as a dorsal-fin project, the nyala flanks as "other markings"); `local` is local features
alone (benchmarks/local_alone.py).

    .venv/bin/python benchmarks/eval_real.py [--sets fins,nyala] [--modes default:keypoints,...]
        [--work DIR] [--folds 0,1,2,3,4]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local_alone  # noqa: E402
import plain_cosine  # noqa: E402
import real_sets  # noqa: E402

DEFAULT_MODES = "untrained:none,untrained:keypoints,shipped:none,shipped:keypoints"


def _write_csv(path: Path, paths: list[str], ids: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image", "Id"])
        writer.writerows(zip(paths, ids))
    return path


def product_mode(split, mode: str, work: Path) -> tuple[list[list[str]], float]:
    from whaleid_gui.application.match_csv import match_csv
    from whaleid_gui.application.photo_subjects import subject
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.core.csv_io import read_labels
    from whaleid_gui.core.model import SHIPPED_WEIGHTS

    weights, rerank = mode.split(":")
    if rerank == "profile":  # what a new project of the set's kind starts with
        rerank = subject(split.subject).rerank
    weights = {"shipped": str(SHIPPED_WEIGHTS), "default": None}.get(weights, weights)
    tag = split.name.replace(" ", "_")
    refs = _write_csv(work / f"{tag}_refs.csv", split.ref_paths, split.ref_ids)
    queries = read_labels(_write_csv(work / f"{tag}_queries.csv", split.query_paths, split.truth))
    engine = EngineConfig(weights=weights, rerank=rerank)
    # Caches of its own per set: with one shared folder the product would reuse the previous set's
    # saved fusion fit (fusion_fit_cache.py reuses a fit for a catalog of about the same size).
    cache = work / "cache" / tag
    # Catalog features first (cached on disk), so that the timing below is per query only.
    match_csv(refs, queries[:1], engine, cache_dir=cache)
    start = time.perf_counter()
    result = match_csv(refs, queries, engine, cache_dir=cache)
    seconds = (time.perf_counter() - start) / max(1, len(queries))
    if result.note:
        print(f"  note ({split.name}, {mode}): {result.note}", file=sys.stderr)
    return [p or [] for p in result.predictions], seconds


def _row(set_name: str, mode: str, m: dict, seconds: float | None) -> str:
    s = "" if seconds is None else f"{seconds:.3f}"
    return (f"| {set_name} | {mode} | {m['map5']:.3f} | {m['top1']:.2f} | {m['top5']:.2f} | "
            f"{m['known_to_new']}/{m['known']} | {m['new_through']}/{m['new']} | {s} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="fins,nyala")
    parser.add_argument("--modes", default=DEFAULT_MODES)
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-cosine yardstick")
    parser.add_argument("--work", help="CSVs and the feature caches (default: a temp folder)")
    args = parser.parse_args()
    sets = real_sets.available()
    if not sets:
        print(f"no real set under {real_sets.SHARED}", file=sys.stderr)
        return 1
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-real-"))
    work.mkdir(parents=True, exist_ok=True)
    folds = {int(f) for f in args.folds.split(",")}
    net, plain_cache = (None, {}) if args.no_plain else (plain_cosine.backbone(), {})
    print(f"{date.today()} — {platform.machine()}, {__import__('os').cpu_count()} cores; "
          f"{' '.join(sys.argv)}")
    print("| set | mode | MAP@5 | top-1 | top-5 | known -> new | new let through | s/query |")
    print("|---|---|---|---|---|---|---|---|")
    summary: dict[tuple[str, str], list[float]] = {}
    for set_name in args.sets.split(","):
        for i, split in enumerate(sets.get(set_name, [])):
            if set_name == "nyala" and i not in folds:
                continue
            results = {name: (p, None) for name, p in real_sets.floor_predictions(split).items()}
            if net is not None:
                results["plain cosine"] = plain_cosine.rank(split, net, plain_cache)
            for mode in args.modes.split(","):
                if mode == "local":  # local features alone (local_alone.py): not a product mode
                    results[mode] = local_alone.rank(split, work)
                elif mode:
                    results[mode] = product_mode(split, mode, work)
            for name, (predictions, seconds) in results.items():
                m = real_sets.metrics(predictions, split.truth)
                summary.setdefault((set_name, name), []).append(m["map5"])
                print(_row(split.name, name, m, seconds), flush=True)
    print("\nMean MAP@5 per set (nyala: over the folds run)")
    for (set_name, name), values in summary.items():
        print(f"- {set_name} / {name}: {np.mean(values):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
