"""Engine speed and memory on this machine; prints a Markdown table (paste into RESULTS.md).

    .venv/bin/python benchmarks/bench_engine.py [--quick]

1. feature extraction, images/s, batch 16 at 384 px: reference branch, EfficientNet-Lite0, and a
   torchvision ResNet-18 in the same process, each fp32 and bf16 autocast;
2. query latency against 1k / 10k / 100k cached reference features (score row + ranking);
3. score matrix + linear assignment for 1k and 5k training images;
4. peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whaleid_gui.core.matching import IndividualIndex, rank_row  # noqa: E402
from whaleid_gui.core.mining import NegativeMiner  # noqa: E402
from whaleid_gui.core.model import build_model  # noqa: E402


def images_per_second(net, size: int, bf16: bool, batches: int) -> float:
    x = torch.rand(16, 1, size, size)
    net.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        net(x)  # warm-up
        t0 = time.perf_counter()
        for _ in range(batches):
            net(x)
    return 16 * batches / (time.perf_counter() - t0)


class ResNet18Gray(torch.nn.Module):
    def __init__(self):
        super().__init__()
        import torchvision

        self.net = torchvision.models.resnet18(weights=None)
        self.net.fc = torch.nn.Identity()

    def forward(self, x):
        return self.net(x.expand(-1, 3, -1, -1))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no 100k / 5k rows")
    args = parser.parse_args()
    batches = 2 if args.quick else 6
    rows = []
    model = build_model("efficientnet-lite0")
    reference = build_model("reference", imagenet=False)
    nets = {"reference branch": reference.branch, "EfficientNet-Lite0": model.branch, "torchvision ResNet-18": ResNet18Gray()}
    for name, net in nets.items():
        for bf16 in (False, True):
            ips = images_per_second(net, 384, bf16, batches)
            rows.append(("features 384 px, batch 16", f"{name} {'bf16' if bf16 else 'fp32'}", f"{ips:.1f} img/s"))
            print(rows[-1], flush=True)

    rng = np.random.default_rng(0)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    for m in sizes:
        refs = (rng.standard_normal((m, 512)) * 0.3).astype(np.float32)
        ids = [f"HW-{i % max(1, m // 3):05d}" for i in range(m)]
        index = IndividualIndex(ids)
        q = refs[:1] + 0.1
        model.score_matrix(q, refs)  # compile / warm
        reps = 20 if m <= 10_000 else 5
        t0 = time.perf_counter()
        for _ in range(reps):
            row = model.score_matrix(q, refs)[0]
            rank_row(row, index, 0.5, 5)
        ms = (time.perf_counter() - t0) / reps * 1000
        rows.append(("query latency (cached features)", f"{m:,} references", f"{ms:.1f} ms"))
        print(rows[-1], flush=True)

    for n in ((1_000,) if args.quick else (1_000, 5_000)):
        feats = (rng.standard_normal((n, 512)) * 0.3).astype(np.float32)
        ids = [f"HW-{i // 4:05d}" for i in range(n)]
        t0 = time.perf_counter()
        scores = model.score_matrix(feats, feats)
        t1 = time.perf_counter()
        miner = NegativeMiner(ids)
        miner.set_scores(scores)
        miner.epoch_pairs(1.0, rng)
        t2 = time.perf_counter()
        rows.append(("score matrix + assignment", f"{n:,} images",
                     f"{t2 - t0:.1f} s (scores {t1 - t0:.1f} s, LAP {t2 - t1:.1f} s)"))
        print(rows[-1], flush=True)
    rows.append(("peak memory", "this process", f"{peak_rss_mb():.0f} MB"))

    print(f"\n{date.today()} — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}\n")
    print("| what | case | result |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
