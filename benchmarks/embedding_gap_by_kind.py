"""Where the zero-shot embedding loses to plain cosine (issue 10): in the ranking of known
individuals, or in the new-individual decision? Per real set, for plain and centred features
(retrieval_variants.py's mean-pooled Lite0 features, RGB, letterbox 384 px), MAP@5 of

- the known queries ranked alone (no new_whale in the list),
- the known queries with new_whale at the impostor median (the product's `auto`),
- the new queries (truth new_whale) with the same threshold,

and whether the catalog can tell which to use: leave-one-out MAP@5 of the catalog's own photos
(each photo of an individual with two or more, ranked against the rest) for the catalog's mean
taken away x 0 (plain) ... x 1 (centred), beside the queries' MAP@5 at each.

    .venv/bin/python benchmarks/embedding_gap_by_kind.py [--work DIR]

DIR is retrieval_variants.py's cache (the feature maps; computed there when missing, ~2 min).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_sets  # noqa: E402
import retrieval_variants as rv  # noqa: E402

SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)


def ranked_alone(best: np.ndarray, names: list[str], truth: list[str]) -> float:
    """MAP@5 of the ranking without new_whale."""
    ap = []
    for row, t in zip(best, truth):
        top = [names[j] for j in np.argsort(-row)[:5]]
        ap.append(1.0 / (top.index(t) + 1) if t in top else 0.0)
    return float(np.mean(ap)) if ap else float("nan")


def leave_one_out(refs: np.ndarray, col: np.ndarray, n: int) -> float:
    """The catalog's own photos ranked against the rest (individuals with two or more photos)."""
    s = refs @ refs.T
    np.fill_diagonal(s, -np.inf)
    best = rv.per_individual(s, col, n)
    keep = np.flatnonzero(np.bincount(col, minlength=n)[col] >= 2)
    if not len(keep):
        return float("nan")
    names = [str(j) for j in range(n)]
    return ranked_alone(best[keep], names, [str(col[i]) for i in keep])


def main() -> int:
    loaded = rv.sets_and_maps(__doc__)
    if loaded is None:
        return 1
    splits, maps, _valid, index = loaded
    kinds, selection = [], []
    for split in splits:
        names = sorted(set(split.ref_ids))
        col = np.array([names.index(i) for i in split.ref_ids])
        r = rv.unit(maps[[index[p] for p in split.ref_paths]].astype(np.float32).mean(1))
        q = rv.unit(maps[[index[p] for p in split.query_paths]].astype(np.float32).mean(1))
        mean = r.mean(axis=0)
        known = [i for i, t in enumerate(split.truth) if t != real_sets.NEW]
        new = [i for i, t in enumerate(split.truth) if t == real_sets.NEW]
        cells, loo, test = [], [], []
        for share in SHARES:
            qq, rr = rv.unit(q - share * mean), rv.unit(r - share * mean)
            best, imp = rv.per_individual(qq @ rr.T, col, len(names)), rv.impostors(rr @ rr.T, col, len(names))
            loo.append(leave_one_out(rr, col, len(names)))
            test.append(rv.map5(best, imp, names, split.truth))
            if share in (0.0, 1.0):
                truth_known = [split.truth[i] for i in known]
                new_map = rv.map5(best[new], imp, names, [real_sets.NEW] * len(new)) if new else float("nan")
                cells.append(f"{ranked_alone(best[known], names, truth_known):.3f} / "
                             f"{rv.map5(best[known], imp, names, truth_known):.3f} / {new_map:.3f}")
        kinds.append(f"| {split.name} | {len(known)} | {len(new)} | " + " | ".join(cells) + " |")
        pick = int(np.nanargmax(loo)) if not np.all(np.isnan(loo)) else len(SHARES) - 1
        selection.append(f"| {split.name} | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in zip(loo, test))
                         + f" | x{SHARES[pick]}: {test[pick]:.3f} |")
    print("| set | known queries | new queries | plain: known ranked alone / known with new_whale / new queries"
          " | centred: the same |")
    print("|---|---|---|---|---|")
    print("\n".join(kinds))
    print()
    print("| set | " + " | ".join(f"mean x{s}: leave-one-out / queries" for s in SHARES) + " | the catalog's pick |")
    print("|---|" + "---|" * (len(SHARES) + 1))
    print("\n".join(selection))
    return 0


if __name__ == "__main__":
    sys.exit(main())
