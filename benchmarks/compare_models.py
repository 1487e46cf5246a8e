"""MAP@5 of several models on the held-out synthetic demo queries and on the real fins
(../shared/data/fins), plus random ranking. Prints a Markdown table for model cards / RESULTS.md.

    .venv/bin/python benchmarks/compare_models.py --demo /tmp/demo [--rerank] NAME=WEIGHTS ...

WEIGHTS may be `untrained` (ImageNet branch + distance head). The demo's reference and query
individuals are disjoint from its training individuals, so these are held-out individuals.
The fins are other species (dolphin and shark dorsal fins), whole photos, 13 queries: a real-photo
sanity check, not humpback field accuracy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_fins import write_csvs  # noqa: E402
from whaleid_gui.core.csv_io import read_boxes, read_labels  # noqa: E402
from whaleid_gui.core.features import FeatureCache, ImageItem  # noqa: E402
from whaleid_gui.core.labels import NEW_WHALE  # noqa: E402
from whaleid_gui.core.matching import Matcher  # noqa: E402
from whaleid_gui.core.metrics import summarize  # noqa: E402
from whaleid_gui.core.model import load_model  # noqa: E402


def dataset(refs_csv: Path, queries_csv: Path, boxes_csv: Path | None):
    boxes = read_boxes(boxes_csv) if boxes_csv else {}
    refs = read_labels(refs_csv)
    queries = read_labels(queries_csv)
    item = lambda r: ImageItem(r.path, boxes.get(r.path.resolve()))  # noqa: E731
    return [item(r) for r in refs], [r.id for r in refs], [item(q) for q in queries], [q.id for q in queries]


def evaluate(model, data, cache, rerank: bool) -> dict:
    ref_items, ref_ids, q_items, truths = data
    if rerank:
        from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher

        matcher = KeypointRerankMatcher(model, ref_items, ref_ids, cache=cache,
                                        keypoint_cache_dir=cache.folder / "keypoints")
    else:
        matcher = Matcher(model, ref_items, ref_ids, cache=cache)
    matcher.prepare()
    results = matcher.rank_many(q_items)
    predictions = [[c.individual for c in r] for r in results]
    return summarize(predictions, truths)


def random_ranking(data, seed: int = 0, trials: int = 200) -> dict:
    ref_ids, truths = data[1], data[3]
    rng = np.random.default_rng(seed)
    labels = sorted(set(ref_ids)) + [NEW_WHALE]
    scores = []
    for _ in range(trials):
        preds = [list(rng.permutation(labels)[:5]) for _ in truths]
        scores.append(summarize(preds, truths))
    return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="NAME=WEIGHTS (WEIGHTS: a file or 'untrained')")
    parser.add_argument("--demo", default="/tmp/demo", help="a folder written by `whaleid demo`")
    parser.add_argument("--rerank", action="store_true", help="also with keypoint re-ranking")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "whaleid-compare-cache"))
    args = parser.parse_args()
    demo = Path(args.demo)
    sets = {"synthetic demo (held-out individuals)": dataset(demo / "references.csv", demo / "queries.csv",
                                                             demo / "boxes.csv")}
    work = Path(tempfile.mkdtemp(prefix="whaleid-fins-"))
    fins_refs, fins_queries = write_csvs(work)
    sets["real fins (other species, whole photos)"] = dataset(fins_refs, fins_queries, None)
    cache = FeatureCache(args.cache_dir)
    rows = []
    for set_name, data in sets.items():
        r = random_ranking(data)
        rows.append((set_name, "random ranking", "", r))
    for spec in args.models:
        name, _, weights = spec.partition("=")
        model = load_model(weights, device="cpu", image_size=args.image_size)
        for set_name, data in sets.items():
            rows.append((set_name, name, model.weights_id, evaluate(model, data, cache, False)))
            print(rows[-1], flush=True)
            if args.rerank:
                rows.append((set_name, name + " + keypoint re-ranking", model.weights_id,
                             evaluate(model, data, cache, True)))
                print(rows[-1], flush=True)
    print("\n| data | model | weights id | MAP@5 | top-1 | top-5 | queries |\n|---|---|---|---|---|---|---|")
    for set_name, name, wid, s in sorted(rows, key=lambda r: r[0], reverse=True):
        print(f"| {set_name} | {name} | {wid} | {s['map5']:.3f} | {s['top1']:.3f} | {s['top5']:.3f} | {int(s['n'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
