"""Classic retrieval add-ons on the zero-shot embedding, measured on the real sets (issue 10):
can any of them lift the embedding above plain cosine on every set? Plain cosine's features
(plain_cosine.py: EfficientNet-Lite0, RGB, letterboxed to 384 px) once, then per set and fold:

- plain / centred: mean-pooled feature, cosine, as is or centred on the catalog (the product's);
- centred xS: the catalog's mean times S taken away (part of the way between the two);
- top2: an individual scores its best photo + half its second best (instead of its best alone);
- qeK: average query expansion (the query plus its K nearest catalog photos, weighted by
  similarity^3), the catalog photos expanded the same way for the threshold;
- dbaK: database-side augmentation (each catalog photo replaced by the weighted mean of its K
  nearest catalog photos, itself included);
- chamfer: region matching on the last feature map (12 x 12 regions inside the photo, PCA to 256
  on the catalog's regions): each query region's best match in a catalog photo, averaged;
- pool + chamfer: both scores standardised on their impostor scores and added;
- krecip k1/k2: k-reciprocal re-ranking (Zhong et al., CVPR 2017: Jaccard distance of the
  k-reciprocal neighbour sets mixed with the original distance, lambda 0.3), one query at a time
  with the catalog (no other query in its neighbourhoods: the product sees one photo at a time).

new_whale goes at the median of the catalog's impostor scores of the same scoring (the product's
`auto`). MAP@5 per set.

    .venv/bin/python benchmarks/retrieval_variants.py [--work DIR]
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import plain_cosine  # noqa: E402
import real_sets  # noqa: E402

SIZE = 384
GRID = SIZE // 32
PCA_DIMS = 256
KRECIP = [(20, 6), (8, 3), (4, 1)]  # (k1, k2): the paper's, and smaller for ~3 photos per individual


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9, None)


def feature_maps(paths: list[str], cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(maps n x 144 x 1280 float16, valid n x 144: the region's centre lies inside the photo)."""
    if cache.exists():
        saved = np.load(cache)
        if list(saved["paths"]) == paths:
            return saved["maps"], saved["valid"]
    net = plain_cosine.backbone()
    maps = np.zeros((len(paths), GRID * GRID, 1280), np.float16)
    valid = np.zeros((len(paths), GRID * GRID), bool)
    centres = (np.arange(GRID) + 0.5) * 32
    for i in range(0, len(paths), 16):
        batch = paths[i:i + 16]
        x = torch.from_numpy(np.stack([plain_cosine.letterbox(p, SIZE) for p in batch]))
        with torch.no_grad():
            f = net.forward_features(((x - 0.5) / 0.5).contiguous(memory_format=torch.channels_last)).float()
        maps[i:i + 16] = f.flatten(2).transpose(1, 2).numpy().astype(np.float16)
        for j, p in enumerate(batch):
            w, h = Image.open(p).size
            scale = SIZE / max(w, h)
            w, h = w * scale, h * scale
            x0, y0 = (SIZE - w) / 2, (SIZE - h) / 2
            vx = (centres >= x0) & (centres <= x0 + w)
            vy = (centres >= y0) & (centres <= y0 + h)
            valid[i + j] = (vy[:, None] & vx[None, :]).ravel()
    np.savez(cache, maps=maps, valid=valid, paths=np.array(paths))
    return maps, valid


def per_individual(scores: np.ndarray, col: np.ndarray, n: int, top2: bool = False) -> np.ndarray:
    out = np.empty((scores.shape[0], n))
    for j in range(n):
        s = -np.sort(-scores[:, col == j], axis=1)
        out[:, j] = s[:, 0] + (0.5 * s[:, 1] if top2 and s.shape[1] > 1 else 0.0)
    return out


def impostors(ref_scores: np.ndarray, col: np.ndarray, n: int, top2: bool = False) -> np.ndarray:
    best = per_individual(ref_scores, col, n, top2)
    best[np.arange(len(col)), col] = -np.inf
    return best.max(axis=1)


def expanded(x: np.ndarray, refs: np.ndarray, k: int, exclude_self: bool = False) -> np.ndarray:
    s = x @ refs.T
    if exclude_self:
        np.fill_diagonal(s, -np.inf)
    nb = np.argsort(-s, axis=1)[:, :k]
    w = np.clip(np.take_along_axis(s, nb, 1), 0, None) ** 3
    return unit(x + (w[..., None] * refs[nb]).sum(1))


def dba(refs: np.ndarray, k: int) -> np.ndarray:
    s = refs @ refs.T
    nb = np.argsort(-s, axis=1)[:, :k]
    w = np.clip(np.take_along_axis(s, nb, 1), 0, None) ** 3
    return unit((w[..., None] * refs[nb]).sum(1))


def pooled_variants(q: np.ndarray, r: np.ndarray, col: np.ndarray, n: int) -> dict[str, tuple]:
    out = {}
    m = r.mean(axis=0)
    for centre in (False, True):
        qq, rr = (unit(q - m), unit(r - m)) if centre else (q, r)
        tag = "centred" if centre else "plain"
        out[tag] = (per_individual(qq @ rr.T, col, n), impostors(rr @ rr.T, col, n))
        out[f"{tag} top2"] = (per_individual(qq @ rr.T, col, n, True), impostors(rr @ rr.T, col, n, True))
        for k in (1, 2):
            out[f"{tag} qe{k}"] = (per_individual(expanded(qq, rr, k) @ rr.T, col, n),
                                   impostors(expanded(rr, rr, k, exclude_self=True) @ rr.T, col, n))
        for k in (2, 3):
            d = dba(rr, k)
            out[f"{tag} dba{k}"] = (per_individual(qq @ d.T, col, n), impostors(d @ d.T, col, n))
    for centre in (False, True):
        qq, rr = (unit(q - m), unit(r - m)) if centre else (q, r)
        for k1, k2 in KRECIP:
            qr, rr_scores = krecip(qq, rr, k1, k2)
            np.fill_diagonal(rr_scores, -np.inf)  # a photo is not its own impostor (nor its own match)
            out[f"{'centred' if centre else 'plain'} krecip {k1}/{k2}"] = (
                per_individual(qr, col, n), impostors(rr_scores, col, n))
    for share in (0.25, 0.5, 0.75):  # part of the way: plain cosine wins folds 1 and 4, centring the fins
        qq, rr = unit(q - share * m), unit(r - share * m)
        out[f"centred x{share}"] = (per_individual(qq @ rr.T, col, n), impostors(rr @ rr.T, col, n))
    return out


def _reciprocal(rank: np.ndarray, k: int) -> np.ndarray:
    """(N, N) bool: j among i's k + 1 nearest and i among j's."""
    near = np.zeros(rank.shape, bool)
    near[np.arange(len(rank))[:, None], rank[:, :k + 1]] = True
    return near & near.T


def _krecip_distance(x: np.ndarray, k1: int, k2: int, lam: float = 0.3, rows: int | None = None) -> np.ndarray:
    """Zhong et al.'s re-ranked distance from the first `rows` rows of x (all by default; unit
    vectors) to every row."""
    dist = np.clip(2.0 - 2.0 * (x @ x.T), 0.0, None)
    dist = dist / dist.max(axis=1, keepdims=True)
    rank = np.argsort(dist, axis=1)
    full, half = _reciprocal(rank, k1), _reciprocal(rank, max(1, round(k1 / 2)))
    v = np.zeros(dist.shape)
    for i in range(len(x)):
        mine = full[i].copy()
        for c in np.flatnonzero(full[i]):
            theirs = half[c]
            if (theirs & full[i]).sum() > 2 / 3 * theirs.sum():
                mine |= theirs
        w = np.exp(-dist[i]) * mine
        v[i] = w / w.sum()
    if k2 > 1:
        v = v[rank[:, :k2]].mean(axis=1)
    rows = len(x) if rows is None else rows
    shared = np.minimum(v[:rows, None, :], v[None, :, :]).sum(axis=2)
    return (1 - lam) * (1 - shared / (2 - shared)) + lam * dist[:rows]


def krecip(q: np.ndarray, r: np.ndarray, k1: int, k2: int) -> tuple[np.ndarray, np.ndarray]:
    """(query x catalog, catalog x catalog) scores: minus the re-ranked distance."""
    qr = np.stack([-_krecip_distance(np.vstack([q[i:i + 1], r]), k1, k2, rows=1)[0, 1:] for i in range(len(q))])
    return qr, -_krecip_distance(r, k1, k2)


def chamfer(q_maps, q_valid, r_maps, r_valid) -> tuple[np.ndarray, np.ndarray]:
    """Query x catalog and catalog x catalog region-matching scores."""
    regions = r_maps[r_valid]
    mu = regions.mean(axis=0)
    _u, _s, vt = np.linalg.svd(regions[::max(1, len(regions) // 20000)] - mu, full_matrices=False)
    proj = vt[:PCA_DIMS].T
    flat_r = unit((r_maps - mu) @ proj).reshape(-1, PCA_DIMS)
    mask = r_valid.reshape(-1)

    def score(maps, valid):
        x = unit((maps - mu) @ proj)
        out = np.zeros((len(maps), len(r_maps)), np.float32)
        for k in range(len(maps)):
            s = x[k] @ flat_r.T
            s[:, ~mask] = -2.0
            out[k] = s.reshape(GRID * GRID, len(r_maps), GRID * GRID).max(axis=2)[valid[k]].mean(axis=0)
        return out

    return score(q_maps, q_valid), score(r_maps, r_valid)


def standardised(best: np.ndarray, imp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    med, sd = np.median(imp), imp.std() + 1e-9
    return (best - med) / sd, (imp - med) / sd


def map5(best: np.ndarray, imp: np.ndarray, names: list[str], truth: list[str]) -> float:
    threshold = np.quantile(imp, 0.5)
    predictions = []
    for row in best:
        order = np.argsort(-row)[:5]
        top = [names[j] for j in order]
        top.insert(int((row[order] >= threshold).sum()), real_sets.NEW)
        predictions.append(top[:5])
    return real_sets.metrics(predictions, truth)["map5"]


def sets_and_maps(doc: str) -> tuple[list, np.ndarray, np.ndarray, dict[str, int]] | None:
    """The command line's --work cache: (fins + nyala splits, feature maps, valid regions, path ->
    row), or None (said on stderr) when no real set is on this machine."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/whaleid-retrieval-variants", help="the feature maps' cache")
    args = parser.parse_args()
    sets = real_sets.available()
    splits = sets.get("fins", []) + sets.get("nyala", [])
    if not splits:
        print(f"no real set under {real_sets.SHARED}", file=sys.stderr)
        return None
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    paths = sorted({p for s in splits for p in s.ref_paths + s.query_paths})
    t0 = time.perf_counter()
    maps, valid = feature_maps(paths, work / f"maps{SIZE}.npz")
    print(f"{len(paths)} photos' feature maps in {time.perf_counter() - t0:.0f} s")
    return splits, maps, valid, {p: i for i, p in enumerate(paths)}


def main() -> int:
    loaded = sets_and_maps(__doc__)
    if loaded is None:
        return 1
    splits, maps, valid, index = loaded
    rows: dict[str, list[float]] = {}
    for split in splits:
        ri = [index[p] for p in split.ref_paths]
        qi = [index[p] for p in split.query_paths]
        names = sorted(set(split.ref_ids))
        col = np.array([names.index(i) for i in split.ref_ids])
        r_maps, q_maps = maps[ri].astype(np.float32), maps[qi].astype(np.float32)
        variants = pooled_variants(unit(q_maps.mean(1)), unit(r_maps.mean(1)), col, len(names))
        cq, cr = chamfer(q_maps, valid[qi], r_maps, valid[ri])
        variants["chamfer"] = (per_individual(cq, col, len(names)), impostors(cr, col, len(names)))
        for base in ("plain", "centred"):
            a, b = standardised(*variants[base]), standardised(*variants["chamfer"])
            variants[f"{base} + chamfer"] = (a[0] + b[0], a[1] + b[1])
        for name, (best, imp) in variants.items():
            rows.setdefault(name, []).append(map5(best, imp, names, split.truth))
    print("| variant | " + " | ".join(s.name for s in splits) + " | nyala mean |")
    print("|---|" + "---|" * (len(splits) + 1))
    nyala = [i for i, s in enumerate(splits) if s.name.startswith("nyala")]
    for name, values in rows.items():
        mean = np.mean([values[i] for i in nyala]) if nyala else float("nan")
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {mean:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
