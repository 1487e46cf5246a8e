"""The real photo sets of the accuracy benchmark, split into catalog and queries, and the metrics.

- fins: ../shared/data/fins as its labels.csv says (reference + distractor = catalog, query =
  queries; a query whose individual is not in the catalog has the truth new_whale).
- nyala folds: ../shared/data/nyala_train split BY INDIVIDUAL into 5 deterministic folds. In a
  fold, about 15% of its individuals stay out of the catalog (all their photos are queries whose
  truth is new_whale); each other individual puts half of its photos (at least one) in the
  catalog and the rest are queries. The other folds are the training data of a mode that
  fine-tunes (never the fold it is measured on).

No photo of these sets may be copied into the repository (nyala: no license; darwin: GPL).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NEW = "new_whale"
FOLDS = 5
NEW_SHARE = 0.15
SEED = 7


@dataclass
class Split:
    name: str
    ref_paths: list[str]
    ref_ids: list[str]
    query_paths: list[str]
    truth: list[str]
    train_paths: list[str] = field(default_factory=list)  # other folds: for modes that fine-tune
    train_ids: list[str] = field(default_factory=list)
    subject: str = "other"  # what the photos show: a project of this kind starts with its profile


def _read(labels: Path) -> list[dict]:
    with open(labels, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fins() -> list[Split]:
    rows = _read(SHARED / "fins" / "labels.csv")
    path = lambda r: str((SHARED / "fins" / r["Image"]).resolve())  # noqa: E731
    refs = [r for r in rows if r["role"] in ("reference", "distractor")]
    known = {r["Id"] for r in refs}
    queries = [r for r in rows if r["role"] == "query"]
    return [Split("fins", [path(r) for r in refs], [r["Id"] for r in refs],
                  [path(r) for r in queries], [r["Id"] if r["Id"] in known else NEW for r in queries],
                  subject="dorsal-fins")]


def nyala_folds(folds: int = FOLDS) -> list[Split]:
    root = SHARED / "nyala_train"
    rows = _read(root / "labels.csv")
    photos: dict[str, list[str]] = {}
    for r in rows:
        photos.setdefault(r["Id"], []).append(str((root / r["Image"]).resolve()))
    individuals = sorted(photos)
    np.random.default_rng(SEED).shuffle(individuals)
    members = [sorted(individuals[f::folds]) for f in range(folds)]
    out = []
    for f, fold in enumerate(members):
        rng = np.random.default_rng(SEED + f)
        new = set(rng.choice(fold, max(1, round(NEW_SHARE * len(fold))), replace=False))
        split = Split(f"nyala fold {f}", [], [], [], [])
        for ind in fold:
            mine = sorted(photos[ind])
            if ind in new:
                split.query_paths += mine
                split.truth += [NEW] * len(mine)
                continue
            mine = [mine[i] for i in rng.permutation(len(mine))]
            n_ref = max(1, len(mine) // 2)
            split.ref_paths += mine[:n_ref]
            split.ref_ids += [ind] * n_ref
            split.query_paths += mine[n_ref:]
            split.truth += [ind] * (len(mine) - n_ref)
        for g, other in enumerate(members):
            if g != f:
                for ind in other:
                    split.train_paths += photos[ind]
                    split.train_ids += [ind] * len(photos[ind])
        out.append(split)
    return out


def available() -> dict[str, list[Split]]:
    sets = {}
    if (SHARED / "fins" / "labels.csv").exists():
        sets["fins"] = fins()
    if (SHARED / "nyala_train" / "labels.csv").exists():
        sets["nyala"] = nyala_folds()
    return sets


def metrics(predictions: list[list[str]], truth: list[str]) -> dict:
    """MAP@5 (Kaggle's: 1/rank of the truth in the first five, new_whale included), top-1, top-5,
    known queries sent to new (new_whale first) and new queries let through (something else first)."""
    ap, top1, top5 = [], [], []
    for p, t in zip(predictions, truth):
        p = list(p)[:5]
        rank = p.index(t) + 1 if t in p else None
        ap.append(1.0 / rank if rank else 0.0)
        top1.append(rank == 1)
        top5.append(rank is not None)
    known = [i for i, t in enumerate(truth) if t != NEW]
    new = [i for i, t in enumerate(truth) if t == NEW]
    first = [p[0] if len(p) else None for p in predictions]
    return {
        "map5": float(np.mean(ap)) if ap else 0.0,
        "top1": float(np.mean(top1)) if top1 else 0.0,
        "top5": float(np.mean(top5)) if top5 else 0.0,
        "known_to_new": sum(first[i] == NEW for i in known), "known": len(known),
        "new_through": sum(first[i] != NEW for i in new), "new": len(new),
    }


def floor_predictions(split: Split, seed: int = 0) -> dict[str, list[list[str]]]:
    """Random ranking, and new_whale first then random: what any mode must beat."""
    rng = np.random.default_rng(seed)
    names = sorted(set(split.ref_ids))
    pick = lambda k: list(rng.choice(names, min(k, len(names)), replace=False))  # noqa: E731
    return {
        "random": [pick(5) if rng.random() > 1 / 6 else [NEW] + pick(4) for _ in split.truth],
        "new_whale first": [[NEW] + pick(4) for _ in split.truth],
    }
