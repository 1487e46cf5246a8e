"""Training throughput (pairs/s) for both branches, fp32 and bf16 autocast, on the CPU and, where
present, on CUDA; and the share of an epoch spent in scoring + assignment.

    .venv/bin/python benchmarks/bench_training.py [--size 384] [--steps 4] [--devices cpu,cuda]

A "pair" is one training example of the Siamese objective: two crops through the branch, the head,
binary cross-entropy, backward, Adam step. Batches of 16 pairs. The same script is the prepared GPU
check of issue 5: run it on the device machine with --devices cpu,cuda.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whaleid_gui.core.mining import NegativeMiner  # noqa: E402
from whaleid_gui.core.model import build_model  # noqa: E402


def pairs_per_second(branch: str, device: str, bf16: bool, size: int, steps: int, batch: int = 16) -> float:
    model = build_model(branch, imagenet=(branch == "efficientnet-lite0")).to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    xa = torch.rand(batch, 1, size, size, device=device)
    xb = torch.rand(batch, 1, size, size, device=device)
    y = (torch.arange(batch, device=device) % 2).float()

    def step():
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            logits = model(xa, xb)
        loss = F.binary_cross_entropy_with_logits(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up (cuDNN autotune, allocator)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def mining_share(n_images: int, pairs_per_s: float) -> tuple[float, float]:
    """Seconds of scoring + assignment for n images, and its share of an epoch of 2n pairs."""
    model = build_model("efficientnet-lite0")
    feats = (np.random.default_rng(0).standard_normal((n_images, 512)) * 0.3).astype(np.float32)
    ids = [f"HW-{i // 4:05d}" for i in range(n_images)]
    t0 = time.perf_counter()
    miner = NegativeMiner(ids)
    miner.set_scores(model.score_matrix(feats, feats))
    miner.epoch_pairs(1.0, np.random.default_rng(0))
    mining = time.perf_counter() - t0
    # Features for scoring: one forward per image, ~1/3 of a training pair's cost per image... counted
    # separately here; the share below is scoring + assignment against the pair training time.
    epoch = 2 * n_images / pairs_per_s
    return mining, mining / (mining + epoch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--devices", default="cpu" + (",cuda" if torch.cuda.is_available() else ""))
    parser.add_argument("--mining-images", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    best_cpu = None
    for device in args.devices.split(","):
        for branch in ("reference", "efficientnet-lite0"):
            for bf16 in (False, True):
                pps = pairs_per_second(branch, device, bf16, args.size, args.steps)
                if device == "cpu" and branch == "efficientnet-lite0" and bf16:
                    best_cpu = pps
                rows.append((device, branch, "bf16" if bf16 else "fp32", f"{pps:.2f}"))
                print(rows[-1], flush=True)
    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    print(f"\n{date.today()} — {platform.machine()}, {os.cpu_count()} cores, {name}, torch {torch.__version__}, "
          f"{args.size} px, batch 16 pairs\n")
    print("| device | branch | precision | pairs/s |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if best_cpu:
        mining, share = mining_share(args.mining_images, best_cpu)
        print(f"\nscoring + assignment for {args.mining_images} images: {mining:.2f} s = {share:.1%} of an epoch "
              f"of {2 * args.mining_images} pairs at {best_cpu:.2f} pairs/s (EfficientNet-Lite0 bf16, full fine-tuning)")


if __name__ == "__main__":
    main()
