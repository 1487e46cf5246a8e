"""Can the new-individual threshold follow the share of new individuals in a survey? (issue 10)

The product puts new_whale first when a query's best fused score is below the impostor median
(core/threshold.py). That suits the fins (every query known) and loses nyala fold 4 (41% of its
queries new) to plain cosine. This script asks two questions on the product's own scores, replayed
from fusion_rules.py's dumps (run that first with the same --work):

1. Given the true share of new individuals among the queries, does the threshold that maximises the
   expected MAP@5 of the catalog's own pseudo-queries win? Each calibration anchor gives a "new"
   pseudo-query (its individual's photos removed: its five best impostors) and, when it has a
   sibling photo, a "known" one (its own individual among its impostors); the threshold maximises
   share x AP(new) + (1 - share) x AP(known).
2. Could a survey's share be estimated from its unlabelled queries? For each impostor quantile q:
   the fraction of new and of known queries whose best score is below it. If the two were apart,
   the share would follow from the fraction of all queries below it.
3. Does any other number the matcher has tell a new individual's query from a known one's? The
   area under the ROC curve (0.5: no better than chance) of the best fused score, its margin over
   the second individual, the best embedding score, its margin, and the most verified keypoints.

    .venv/bin/python benchmarks/new_share_threshold.py --work DIR
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import real_sets  # noqa: E402
from fusion_rules import replay, rule_max, shares  # noqa: E402

from whaleid_gui.core.keypoint_matching import best_impostor_per_anchor  # noqa: E402
from whaleid_gui.core.threshold import NO_TRUTH_RANK, ap_for_thresholds, impostor_threshold  # noqa: E402


def fused_pairs(d: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pes, pks = shares(d, np.asarray(d["pair_emb"], float), np.asarray(d["pair_inliers"], float))
    return rule_max(pes, pks), np.asarray(d["pair_labels"]), np.asarray(d["pair_anchors"])


def pseudo_queries(d: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(new rows' top-5 scores, known rows' top-5 scores, known rows' truth rank)."""
    f, labels, anchors = fused_pairs(d)
    new_rows, known_rows, known_ranks = [], [], []
    for a in np.unique(anchors):
        fa, la = f[anchors == a], labels[anchors == a]
        impostors = np.sort(fa[la == 0])[::-1]
        row = np.full(5, -np.inf)
        row[:min(5, impostors.size)] = impostors[:5]
        new_rows.append(row)
        if (la == 1).any():
            own = fa[la == 1].max()
            every = np.sort(fa)[::-1]
            row = np.full(5, -np.inf)
            row[:min(5, every.size)] = every[:5]
            known_rows.append(row)
            known_ranks.append(1 + int((impostors > own).sum()))
    return np.array(new_rows), np.array(known_rows).reshape(-1, 5), np.array(known_ranks, int)


def threshold_for_share(d: dict, share: float) -> float:
    new_rows, known_rows, known_ranks = pseudo_queries(d)
    values = np.concatenate([new_rows[np.isfinite(new_rows)], known_rows[:, 0]])
    candidates = np.unique(np.quantile(values, np.linspace(0, 1, 300)))
    ap_new = ap_for_thresholds(new_rows, np.full(len(new_rows), NO_TRUTH_RANK), np.ones(len(new_rows), bool),
                               candidates)
    ap_known = (ap_for_thresholds(known_rows, known_ranks, np.zeros(len(known_ranks), bool), candidates)
                if len(known_ranks) else np.zeros_like(ap_new))
    return float(candidates[int(np.argmax(share * ap_new + (1 - share) * ap_known))])


def map5_at(d: dict, threshold: float) -> float:
    f, labels, anchors = fused_pairs(d)
    impostors = best_impostor_per_anchor(f, labels, anchors)
    quantile = float(np.mean(impostors < threshold))  # replay() takes the threshold as a quantile
    return real_sets.metrics(replay(d, rule_max, quantile), d["truth"])["map5"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="fusion_rules.py's --work folder (its dumps)")
    args = parser.parse_args()
    dumps = [pickle.loads(p.read_bytes()) for p in sorted(Path(args.work).glob("fusion_*.pkl"))]
    if not dumps:
        print(f"no fusion_*.pkl in {args.work}: run benchmarks/fusion_rules.py --work {args.work} first")
        return 1
    print("| set | new share | median (product) | threshold for share 0 / 0.1 / 0.2 / 0.3 / 0.4 | for the true share |")
    print("|---|---|---|---|---|")
    for d in dumps:
        share = sum(t == real_sets.NEW for t in d["truth"]) / len(d["truth"])
        median = real_sets.metrics(replay(d, rule_max, 0.5), d["truth"])["map5"]
        fixed = " / ".join(f"{map5_at(d, threshold_for_share(d, s)):.3f}" for s in (0.0, 0.1, 0.2, 0.3, 0.4))
        print(f"| {d['name']} | {share:.2f} | {median:.3f} | {fixed} | {map5_at(d, threshold_for_share(d, share)):.3f} |")
    print()
    print("| set | queries new / known | below the impostor quantile 0.2 / 0.3 / 0.5: new queries | known queries |")
    print("|---|---|---|---|")
    for d in dumps:
        f, labels, anchors = fused_pairs(d)
        impostors = best_impostor_per_anchor(f, labels, anchors)
        best = []
        for cands in d["candidates"]:
            es, ks = shares(d, np.array([c[1] for c in cands]), np.array([c[2] for c in cands], float))
            best.append(rule_max(es, ks).max() if cands else -np.inf)
        best = np.array(best)
        new = np.array([t == real_sets.NEW for t in d["truth"]])
        cuts = [impostor_threshold(impostors, q) for q in (0.2, 0.3, 0.5)]
        below = [" / ".join(f"{np.mean(b < c):.2f}" if b.size else "-" for c in cuts) for b in (best[new], best[~new])]
        print(f"| {d['name']} | {new.sum()} / {(~new).sum()} | {below[0]} | {below[1]} |")
    print()
    print("| set | queries new / known | AUC known above new: best fused | fused margin | best embedding | "
          "embedding margin | most inliers |")
    print("|---|---|---|---|---|---|---|")
    for d in dumps:
        if not any(t == real_sets.NEW for t in d["truth"]):
            continue
        rows, new = [], []
        for cands, truth in zip(d["candidates"], d["truth"]):
            if cands:
                rows.append(query_signals(d, cands))
                new.append(truth == real_sets.NEW)
        signals, new = np.array(rows), np.array(new)
        aucs = " | ".join(f"{auc(signals[~new, j], signals[new, j]):.2f}" for j in range(signals.shape[1]))
        print(f"| {d['name']} | {new.sum()} / {(~new).sum()} | {aucs} |")
    return 0


def query_signals(d: dict, cands: list) -> list[float]:
    """(best fused, its margin, best embedding, its margin, most inliers) of one query's candidates."""
    emb = np.array([c[1] for c in cands])
    inliers = np.array([c[2] for c in cands], float)
    fused = np.sort(rule_max(*shares(d, emb, inliers)))[::-1]
    emb = np.sort(emb)[::-1]

    def margin(x):
        return float(x[0] - x[1]) if x.size > 1 else float(x[0])

    return [float(fused[0]), margin(fused), float(emb[0]), margin(emb), float(inliers.max())]


def auc(known: np.ndarray, new: np.ndarray) -> float:
    """P(a known query's signal > a new query's), ties counted half."""
    above = (known[:, None] > new[None, :]).mean()
    tied = (known[:, None] == new[None, :]).mean()
    return float(above + 0.5 * tied)


if __name__ == "__main__":
    sys.exit(main())
