"""`whaleid match` and `whaleid evaluate`."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ..core.csv_io import LabelledImage, read_boxes, read_labels, read_queries
from ..core.errors import BadInputError, ImageError, WhaleIDError
from ..core.features import FeatureCache, ImageItem
from ..core.matching import NEW_WHALE, Matcher
from ..core.metrics import summarize
from .progress_bar import ProgressBar


def _items(rows: list[LabelledImage], boxes: dict[Path, object]) -> list[ImageItem]:
    return [ImageItem(r.path, boxes.get(r.path.resolve())) for r in rows]


def _warn(message: str) -> None:
    print(f"whaleid: {message}", file=sys.stderr)


def predict(args, queries: list[LabelledImage]) -> tuple[list[list[str] | None], Matcher]:
    """Top IDs per query (None for a query that could not be read, reported on stderr)."""
    from ..core.model import load_model

    references = read_labels(args.references)
    if not references:
        raise BadInputError(args.references, "no reference rows")
    boxes = read_boxes(args.boxes) if args.boxes else {}
    model = load_model(args.weights, device=args.device, image_size=args.image_size)
    cache = FeatureCache(args.cache_dir) if args.cache_dir else FeatureCache()
    matcher_type, extra = Matcher, {}
    if (args.rerank or "keypoints") == "keypoints":  # None: not given, the default
        from ..core.keypoint_matching import KeypointRerankMatcher

        matcher_type, extra = KeypointRerankMatcher, {"keypoint_cache_dir": cache.folder / "keypoints"}
    matcher = matcher_type(model, _items(references, boxes), [r.id for r in references],
                           threshold=args.new_threshold, cache=cache, **extra)
    with ProgressBar() as bar:
        matcher.prepare(bar)
    for i, err in sorted(matcher.errors.items()):
        _warn(f"skipped reference {err}")
    if getattr(matcher, "note", ""):
        _warn(matcher.note)
    with ProgressBar() as bar:
        results = matcher.rank_many(_items(queries, boxes), top=args.top, progress=bar)
    predictions: list[list[str] | None] = []
    for row, result in zip(queries, results):
        if isinstance(result, ImageError):
            _warn(f"skipped query {result}")
            predictions.append(None)
        else:
            predictions.append([c.individual for c in result])
    return predictions, matcher


def write_predictions(path: str | Path, queries: list[LabelledImage], predictions) -> None:
    path = Path(path)
    frame = pd.DataFrame({"Image": [q.image for q in queries],
                          "Id": [" ".join(p) if p is not None else "" for p in predictions]})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        frame.to_csv(tmp, index=False, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise WhaleIDError(f"{path}: cannot write predictions: {exc.strerror or exc}") from exc


def _describe(matcher) -> str:
    t = matcher.threshold
    return (f"model {matcher.model.weights_id} ({matcher.model.card.architecture}, {matcher.model.image_size} px); "
            f"catalog {len(matcher.ids)} photos of {len(set(matcher.ids))} individuals; "
            f"new_whale threshold {'none' if t is None else f'{t:.4f}'}"
            + ("; keypoint re-ranking (fused score)" if getattr(getattr(matcher, "reranker", None), "model", None)
               else ""))


def run_match(args) -> int:
    queries = read_queries(args.queries)
    predictions, matcher = predict(args, queries)
    write_predictions(args.out, queries, predictions)
    failed = sum(p is None for p in predictions)
    print(f"{_describe(matcher)}\nwrote {len(queries)} rows to {args.out}"
          + (f" ({failed} unreadable queries left with an empty Id)" if failed else ""), file=sys.stderr)
    return 1 if failed == len(queries) else 0


def run_evaluate(args) -> int:
    queries = read_labels(args.queries)
    predictions, matcher = predict(args, queries)
    if args.out:
        write_predictions(args.out, queries, predictions)
    scored = [(p, q.id) for p, q in zip(predictions, queries) if p is not None]
    if not scored:
        raise WhaleIDError("no query could be read")
    summary = summarize([p for p, _ in scored], [t for _, t in scored])
    known = set(matcher.ids)
    unknown_truth = sum(1 for _, t in scored if t != NEW_WHALE and t not in known)
    print(_describe(matcher))
    print(f"queries {len(scored)} ({sum(t == NEW_WHALE for _, t in scored)} new_whale)"
          + (f", {len(queries) - len(scored)} unreadable" if len(scored) < len(queries) else ""))
    if unknown_truth:
        print(f"note: {unknown_truth} queries name an individual absent from the references (counted as misses)")
    print(f"MAP@5 {summary['map5']:.4f}  top-1 {summary['top1']:.4f}  top-5 {summary['top5']:.4f}")
    return 0
