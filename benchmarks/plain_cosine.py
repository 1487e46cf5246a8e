"""The yardstick of the accuracy benchmark: plain cosine of an ImageNet backbone, written apart from
the product's code so that it cannot inherit the product's choices.

EfficientNet-Lite0 with its packaged ImageNet weights, RGB, the whole photo letterboxed (aspect
kept, grey padding) to SIZE px, global average pooling of the last feature map, cosine similarity;
an individual scores its best photo. new_whale goes where the score falls below the median of the
catalog's impostor scores (each catalog photo's best score against other individuals' photos).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image

SIZE = 384


def backbone():
    from whaleid_gui.core.model.efficientnet_branch import load_imagenet_weights
    from whaleid_gui.core.model.efficientnet_lite import EfficientNetLite

    net = EfficientNetLite("lite0")
    load_imagenet_weights(net)
    net.reset_classifier(0)
    return net.eval().to(memory_format=torch.channels_last)


def letterbox(path: str, size: int = SIZE) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    scale = size / max(image.size)
    w, h = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    canvas = Image.new("RGB", (size, size), (128, 128, 128))
    canvas.paste(image.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0), ((size - w) // 2, (size - h) // 2))
    return np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1) / 255.0


def features(paths: list[str], net, cache: dict[str, np.ndarray], batch: int = 16) -> np.ndarray:
    from whaleid_gui.core.model.siamese import bf16_supported  # bf16 only where the CPU has it

    todo = [p for p in dict.fromkeys(paths) if p not in cache]
    for i in range(0, len(todo), batch):
        x = torch.from_numpy(np.stack([letterbox(p) for p in todo[i:i + batch]]))
        x = ((x - 0.5) / 0.5).contiguous(memory_format=torch.channels_last)  # the weights' normalisation
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_supported(torch.device("cpu"))):
            f = net.forward_features(x).float().mean(dim=(2, 3))
        f = torch.nn.functional.normalize(f, dim=1).numpy()
        cache.update(zip(todo[i:i + batch], f))
    return np.stack([cache[p] for p in paths])


def impostor_threshold(ref: np.ndarray, ids: list[str], quantile: float = 0.5) -> float | None:
    scores = ref @ ref.T
    ids_arr = np.asarray(ids)
    best = [scores[i, ids_arr != ids_arr[i]].max() for i in range(len(ids)) if (ids_arr != ids_arr[i]).any()]
    return float(np.quantile(best, quantile)) if best else None


def rank(split, net, cache: dict) -> tuple[list[list[str]], float]:
    """(top-5 predictions per query, seconds per query excluding catalog features)."""
    ref = features(split.ref_paths, net, cache)
    start = time.perf_counter()
    queries = features(split.query_paths, net, cache)
    names = sorted(set(split.ref_ids))
    col = np.array([names.index(i) for i in split.ref_ids])
    scores = queries @ ref.T
    best = np.stack([scores[:, col == j].max(axis=1) for j in range(len(names))], axis=1)
    threshold = impostor_threshold(ref, split.ref_ids)
    predictions = []
    for row in best:
        order = np.argsort(-row)[:5]
        top = [names[j] for j in order]
        if threshold is not None:
            top.insert(int((row[order] >= threshold).sum()), "new_whale")
        predictions.append(top[:5])
    return predictions, (time.perf_counter() - start) / max(1, len(split.query_paths))
