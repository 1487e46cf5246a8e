"""Is mode A really better than mode B on real photos, or is the gap noise? (issues 10 and 11)

A fold of nyala_train has 100-150 queries and the fins 13, so a MAP@5 gap of a few hundredths can
come from a handful of queries. This ranks the same queries with two modes, takes each query's
AP@5 under both, and reports the mean difference A - B per set with a 95% bootstrap interval over
the queries (paired: the same queries resampled for both), and over all nyala folds pooled.
An interval that contains 0 says the sets cannot tell the two modes apart.

A mode is what eval_real.py runs (`imagenet:none`, `imagenet:keypoints`, a weights file with
`:none`), or `plain cosine` (plain_cosine.py, the yardstick).

    .venv/bin/python benchmarks/paired_difference.py --a imagenet:none --b "plain cosine" [--work DIR]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_real  # noqa: E402
import plain_cosine  # noqa: E402
import real_sets  # noqa: E402

RESAMPLES = 5000


def query_ap(predictions: list[list[str]], truth: list[str]) -> np.ndarray:
    """AP@5 of each query: 1 / rank of the truth in the first five, else 0."""
    out = []
    for p, t in zip(predictions, truth):
        p = list(p)[:5]
        out.append(1.0 / (p.index(t) + 1) if t in p else 0.0)
    return np.asarray(out)


def paired_interval(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """(mean of a - b, 2.5th and 97.5th percentile of that mean over query resamples)."""
    diff = a - b
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(RESAMPLES, len(diff)))].mean(axis=1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def run_mode(mode: str, split, work: Path, plain: dict) -> list[list[str]]:
    if mode == "plain cosine":
        if "net" not in plain:
            plain["net"], plain["cache"] = plain_cosine.backbone(), {}
        return plain_cosine.rank(split, plain["net"], plain["cache"])[0]
    return eval_real.product_mode(split, mode, work)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--sets", default="fins,nyala")
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--work", help="CSVs and feature caches (default: a temp folder)")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-paired-"))
    work.mkdir(parents=True, exist_ok=True)
    folds = {int(f) for f in args.folds.split(",")}
    sets = real_sets.available()
    plain: dict = {}
    print(f"{date.today()} — {platform.machine()}; {' '.join(sys.argv)}")
    print(f"| set | queries | MAP@5 A ({args.a}) | MAP@5 B ({args.b}) | A - B | 95% interval |")
    print("|---|---|---|---|---|---|")
    pooled_a, pooled_b = [], []
    for set_name in args.sets.split(","):
        for i, split in enumerate(sets.get(set_name, [])):
            if set_name == "nyala" and i not in folds:
                continue
            a = query_ap(run_mode(args.a, split, work, plain), split.truth)
            b = query_ap(run_mode(args.b, split, work, plain), split.truth)
            if set_name == "nyala":
                pooled_a.append(a)
                pooled_b.append(b)
            mean, low, high = paired_interval(a, b)
            print(f"| {split.name} | {len(a)} | {a.mean():.3f} | {b.mean():.3f} | {mean:+.3f} | "
                  f"{low:+.3f} .. {high:+.3f} |", flush=True)
    if pooled_a:
        a, b = np.concatenate(pooled_a), np.concatenate(pooled_b)
        mean, low, high = paired_interval(a, b)
        print(f"| nyala folds pooled | {len(a)} | {a.mean():.3f} | {b.mean():.3f} | {mean:+.3f} | "
              f"{low:+.3f} .. {high:+.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
