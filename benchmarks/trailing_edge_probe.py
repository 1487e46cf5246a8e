"""A first look at the fins' trailing edge as a matcher of its own (issue 10): measured, not kept.

The dorsal fin's trailing edge (its notches) is what fin catalogs are matched on by eye, and the
default ranking misses 4 of the 13 fin queries. This probe segments the fin (Otsu: the fin darker
than the water, the largest dark part touching the photo's foot), turns it so that its tip leans
right, reads the rightmost fin pixel of every row from the tip down over a share SPAN of the fin's
height, takes away a smoothed copy (Gaussian, SIGMA samples of 128: the notches stay) and scores
two fins by the best normalised correlation over small shifts and stretches. It prints the rank of
the true individual per query for each SPAN x SIGMA (edge alone, no new_whale), then, for one
setting, that score max-fused on the impostor scale with the default's own fused scores (the
product's rule, core/impostor_fusion.py).

    .venv/bin/python benchmarks/trailing_edge_probe.py [--span 0.75 --sigma 4]

It then does the same for the product's edge (core/trailing_edge.py, the `fin-edges` re-ranking)
over a grid of its two settings around the shipped ones. Findings in RESULTS.md ("The fins'
trailing edge"). Fins only: the nyala flanks have no edge.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_sets  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from whaleid_gui.core import trailing_edge as te  # noqa: E402

ROWS = te.ROWS
SAMPLES = 128


def fin_mask(path: str) -> np.ndarray | None:
    """The product's fin mask (core/trailing_edge.py) of the photo scaled to ROWS rows."""
    gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    gray = cv2.resize(gray, (int(gray.shape[1] * ROWS / gray.shape[0]), ROWS), interpolation=cv2.INTER_AREA)
    return te.fin_mask(gray)


def trailing_edge(path: str) -> np.ndarray | None:
    """The rightmost fin pixel of each row from the tip down, in fin heights from the tip."""
    mask = fin_mask(path)
    if mask is None:
        return None
    tip_y = int(np.flatnonzero(mask.any(axis=1))[0])
    ys, xs = np.nonzero(mask)
    tip_x = xs[ys == tip_y].mean()
    if tip_x < xs.mean():  # the tip leans to the trailing side: make that the right
        mask, tip_x = mask[:, ::-1], mask.shape[1] - 1 - tip_x
    height = mask.shape[0] - tip_y
    right = [np.flatnonzero(row).max() if row.any() else np.nan for row in mask[tip_y:]]
    return (np.array(right, float) - tip_x) / height


def notches(edge: np.ndarray | None, span: float, sigma: float) -> np.ndarray | None:
    if edge is None:
        return None
    s = np.interp(np.linspace(0, span * (len(edge) - 1), SAMPLES), np.arange(len(edge)), edge)
    return None if np.isnan(s).any() else s - gaussian_filter1d(s, sigma)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised correlation over shifts of up to 10 samples and stretches of up to 17%."""
    best = -1.0
    for stretch in (0.85, 0.92, 1.0, 1.08, 1.17):
        bs = np.interp(np.arange(SAMPLES) * stretch, np.arange(SAMPLES), b, right=np.nan)
        for shift in range(-10, 11, 2):
            lo, hi = max(0, shift), min(SAMPLES, SAMPLES + shift)
            x, y = a[lo:hi], bs[lo - shift:hi - shift]
            ok = ~np.isnan(y)
            if ok.sum() < 0.6 * SAMPLES:
                continue
            x, y = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
            norm = np.linalg.norm(x) * np.linalg.norm(y)
            best = max(best, float(x @ y / norm) if norm else 0.0)
    return best


def edge_scores(split, span: float, sigma: float) -> tuple[list[dict], np.ndarray]:
    """Per query {individual: best edge score}; the impostor scores (each catalog photo's best
    against the other individuals), sorted."""
    refs = [notches(trailing_edge(p), span, sigma) for p in split.ref_paths]
    ids = split.ref_ids
    impostors = [max((similarity(r, o) for o, oid in zip(refs, ids) if o is not None and oid != rid), default=-1.0)
                 for r, rid in zip(refs, ids) if r is not None]
    per_query = []
    for path in split.query_paths:
        q, best = notches(trailing_edge(path), span, sigma), {}
        for r, rid in zip(refs, ids):
            if q is not None and r is not None:
                best[rid] = max(best.get(rid, -1.0), similarity(q, r))
        per_query.append(best)
    return per_query, np.sort(impostors)


def ordered(scores: dict) -> list[str]:
    return sorted(scores, key=lambda k: -scores[k])


def default_scores(split) -> tuple[list[dict], float]:
    """The default ranking's fused score of every individual per query, and its threshold."""
    import tempfile

    from whaleid_gui.application.match_photos import prepared_matcher
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.application.steps import run, sub
    from whaleid_gui.core.features import ImageItem

    def job(cache: Path):
        refs = [(Path(p), i, None, 0, False) for p, i in zip(split.ref_paths, split.ref_ids)]
        _model, matcher, _note = yield from prepared_matcher(cache, EngineConfig(rerank="keypoints"), refs,
                                                             cache_dir=cache)
        rankings = yield from sub(matcher.rank_job([ImageItem(Path(p), None) for p in split.query_paths], 1000))
        return rankings, matcher.threshold

    with tempfile.TemporaryDirectory() as tmp:
        rankings, threshold = run(job(Path(tmp)))
    return [{c.individual: c.score for c in r} for r in rankings], float(threshold)


def curvature_scores(split, span: float, band: int) -> tuple[list[dict], np.ndarray]:
    """edge_scores with the product's edge (core/trailing_edge.py: integral curvature along the
    traced edge, dynamic time warping) at this span and warping band."""
    def edge(path: str):
        return te.edge_descriptor(cv2.imread(path, cv2.IMREAD_GRAYSCALE), span)

    refs = [edge(p) for p in split.ref_paths]
    stacked, have = te.stack(refs)
    ids = np.asarray(split.ref_ids, dtype=object)
    impostors = []
    for i in np.flatnonzero(have):
        others = have & (ids != ids[i])
        impostors.append(te.similarities(stacked[i], stacked[others], band).max())
    per_query = []
    for path in split.query_paths:
        q, best = edge(path), {}
        if q is not None:
            for sim, rid in zip(te.similarities(q, stacked[have], band), ids[have]):
                best[rid] = max(best.get(rid, -np.inf), float(sim))
        per_query.append(best)
    return per_query, np.sort(impostors)


def fused_with(default: list[dict], per_query: list[dict], impostors: np.ndarray) -> list[list[str]]:
    """The default's fused scores and the edge's share among its impostors, the larger of the two
    (the product's rule; the default's threshold kept: eval_real.py measures the product itself)."""
    def share(x: float) -> float:
        return float(np.searchsorted(impostors, x) / (len(impostors) + 1))

    return [ordered({k: max(v, share(e[k])) if k in e else v for k, v in s.items()}) for s, e in zip(default, per_query)]


def _ranks(preds: list[list[str]], truth: list[str]) -> list[int | None]:
    return [p.index(t) + 1 if t in p else None for p, t in zip(preds, truth)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--span", type=float, default=0.75)
    parser.add_argument("--sigma", type=float, default=4)
    args = parser.parse_args()
    split = real_sets.fins()[0]
    print("First probe: the rightmost fin pixel per row, its notches by correlation")
    for span, sigma in itertools.product((0.5, 0.75, 0.9), (2, 4, 8)):
        per_query, _ = edge_scores(split, span, sigma)
        preds = [ordered(s) for s in per_query]
        print(f"edge alone, span {span}, sigma {sigma}: MAP@5 {real_sets.metrics(preds, split.truth)['map5']:.3f}"
              f"  true individual's rank per query {_ranks(preds, split.truth)}", flush=True)
    default, threshold = default_scores(split)
    base = [ordered(s) for s in default]
    per_query, impostors = edge_scores(split, args.span, args.sigma)
    for name, preds in (("default", base), (f"default + first probe (span {args.span}, sigma {args.sigma})",
                                            fused_with(default, per_query, impostors))):
        m = real_sets.metrics([p[:5] for p in preds], split.truth)
        print(f"{name}: MAP@5 {m['map5']:.3f}, top-1 {m['top1']:.2f}, top-5 {m['top5']:.2f}  ranks "
              f"{_ranks(preds, split.truth)}")
    print(f"(the default's threshold {threshold:.3f})")
    print("The product's edge (integral curvature, warping): span of the fin's height x warping band")
    for span, band in itertools.product((0.6, 0.7, 0.8), (5, 10, 20)):
        per_query, impostors = curvature_scores(split, span, band)
        alone = real_sets.metrics([ordered(s) for s in per_query], split.truth)["map5"]
        fused = fused_with(default, per_query, impostors)
        print(f"span {span}, band {band}: edge alone {alone:.3f}, max-fused with the default "
              f"{real_sets.metrics([p[:5] for p in fused], split.truth)['map5']:.3f}  ranks {_ranks(fused, split.truth)}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
