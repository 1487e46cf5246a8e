"""Which rule fuses the embedding and the keypoint evidence best, on real photos (issue 10).

The product fuses by the larger of the two impostor shares (core/impostor_fusion.py). This script
runs the product's own matcher once per real set (benchmarks/real_sets.py) with keypoint
re-ranking, keeps what the fusion sees (every verified candidate's embedding score and inliers, the
catalog's impostor samples and the leave-one-out pairs the threshold is calibrated on), and then
replays other fusion rules on exactly those numbers, each with its own "auto" threshold (the median
of the anchors' best impostor fused score, as the product does). So the rules differ only in the
rule, and trying one costs milliseconds.

    .venv/bin/python benchmarks/fusion_rules.py --work DIR [--sets fins,nyala] [--folds 0,1,2,3,4]

The dump of a set is kept in DIR/fusion_<set>.pkl; a second run replays from it.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import real_sets  # noqa: E402

from whaleid_gui.core.impostor_fusion import ImpostorFusion  # noqa: E402
from whaleid_gui.core.keypoint_matching import best_impostor_per_anchor  # noqa: E402
from whaleid_gui.core.threshold import impostor_threshold  # noqa: E402


def dump(split, work: Path) -> dict:
    """Run the product's matcher on a split; return what every fusion rule needs."""
    import whaleid_gui.core.keypoint_matching as km
    from whaleid_gui.application.match_photos import prepared_matcher
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.application.steps import run
    from whaleid_gui.core.features import ImageItem

    captured: dict = {}
    original = km.reference_pairs

    def capture(*args, **kwargs):
        captured["pairs"] = original(*args, **kwargs)
        return captured["pairs"]

    km.reference_pairs = capture  # the leave-one-out pairs the product calibrates on
    try:
        engine = EngineConfig(weights=None, rerank="keypoints")
        refs = [(Path(p), i, None, 0, False) for p, i in zip(split.ref_paths, split.ref_ids)]
        # A folder and caches of its own per set: a shared one would let the product follow the
        # previous set's matcher or reuse its saved fusion fit (fusion_fit_cache.py).
        folder = work / split.name.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder / "cache" / "fusion_fit", ignore_errors=True)  # a saved fit skips the pairs
        start = time.perf_counter()
        _model, matcher, _note = run(prepared_matcher(folder, engine, refs, threshold="auto",
                                                      cache_dir=folder / "cache"))
        prepare = time.perf_counter() - start
    finally:
        km.reference_pairs = original
    fusion = matcher.reranker.model
    start = time.perf_counter()
    rankings = run(matcher.rank_job([ImageItem(Path(q), None) for q in split.query_paths], 60))
    seconds = time.perf_counter() - start
    per_query = [[(x.individual, float(x.embedding_score), int(x.inliers)) for x in c
                  if not x.is_new and x.embedding_score is not None] for c in rankings]
    e, kp, labels, anchors = captured["pairs"]
    return {"name": split.name, "truth": list(split.truth), "candidates": per_query,
            "emb_impostors": np.asarray(fusion.emb_impostors), "kp_impostors": np.asarray(fusion.kp_impostors),
            "pair_emb": e, "pair_inliers": kp[:, 0], "pair_labels": labels, "pair_anchors": anchors,
            "product_threshold": matcher.threshold, "seconds": prepare + seconds}


# --------------------------------------------------------------------------- rules

def shares(d: dict, emb: np.ndarray, inl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two impostor shares the product's fusion computes (ImpostorFusion), before its rule."""
    fusion = ImpostorFusion(d["emb_impostors"], d["kp_impostors"])
    return fusion.embedding_share(emb), fusion.keypoint_share(inl)


def rule_max(es, ks):
    return np.maximum(es, ks)


def rule_fisher(es, ks):
    # p-values of "an impostor scores at least this high"; -log of their product (Fisher's method)
    pe, pk = 1.0 - es + 1e-3, 1.0 - ks + 1e-3
    return -np.log(pe) - np.log(pk)


def rule_max_plus(weight):
    def rule(es, ks):
        return np.maximum(es, ks) + weight * np.minimum(es, ks)
    return rule


def rule_sum(es, ks):
    return es + ks


RULES = {"max (product)": rule_max, "fisher": rule_fisher, "max + 0.1 min": rule_max_plus(0.1),
         "max + 0.3 min": rule_max_plus(0.3), "sum": rule_sum}


def replay(d: dict, rule, quantile: float = 0.5) -> list[list[str]]:
    pes, pks = shares(d, np.asarray(d["pair_emb"], float), np.asarray(d["pair_inliers"], float))
    fused_pairs = rule(pes, pks)
    labels, anchors = d["pair_labels"], d["pair_anchors"]
    threshold = impostor_threshold(best_impostor_per_anchor(fused_pairs, labels, anchors), quantile)
    out = []
    for cands in d["candidates"]:
        if not cands:
            out.append([real_sets.NEW])
            continue
        inds = [c[0] for c in cands]
        es, ks = shares(d, np.array([c[1] for c in cands]), np.array([c[2] for c in cands], float))
        fused = rule(es, ks)
        order = sorted(range(len(inds)), key=lambda i: (-fused[i], -cands[i][2], -cands[i][1]))
        ranking, placed = [], False
        for i in order:
            if not placed and fused[i] < threshold:
                ranking.append(real_sets.NEW)
                placed = True
            ranking.append(inds[i])
            if len(ranking) >= 5:
                break
        if not placed and len(ranking) < 5:
            ranking.append(real_sets.NEW)
        out.append(ranking[:5])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True)
    parser.add_argument("--sets", default="fins,nyala")
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--quantiles", default="0.5")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sets = real_sets.available()
    folds = {int(f) for f in args.folds.split(",")}
    dumps = []
    for set_name in args.sets.split(","):
        for i, split in enumerate(sets.get(set_name, [])):
            if set_name == "nyala" and i not in folds:
                continue
            path = work / f"fusion_{split.name.replace(' ', '_')}.pkl"
            if path.exists():
                d = pickle.loads(path.read_bytes())
            else:
                d = dump(split, work)
                path.write_bytes(pickle.dumps(d))
                print(f"dumped {split.name} in {d['seconds']:.0f} s", file=sys.stderr, flush=True)
            dumps.append(d)
    print(f"{date.today()}; {' '.join(sys.argv)}")
    names = [d["name"] for d in dumps]
    print("| rule | quantile | " + " | ".join(names) + " | nyala mean |")
    print("|---|---|" + "---|" * (len(names) + 1))
    for q in (float(v) for v in args.quantiles.split(",")):
        for rule_name, rule in RULES.items():
            values = [real_sets.metrics(replay(d, rule, q), d["truth"])["map5"] for d in dumps]
            nyala = [v for v, n in zip(values, names) if n.startswith("nyala")]
            mean = f"{np.mean(nyala):.3f}" if nyala else ""
            print(f"| {rule_name} | {q} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {mean} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
