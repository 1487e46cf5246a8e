"""Match a project's photos with the engine and record the ranked candidates in the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from whaleid_gui.core.errors import ImageError, WhaleIDError


@dataclass
class MatchResult:
    matched: int = 0
    references: int = 0
    individuals: int = 0
    threshold: float | None = None
    weights_id: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        t = "none" if self.threshold is None else f"{self.threshold:.4f}"
        return (f"{self.matched} photos matched against {self.references} photos of {self.individuals} "
                f"individuals (model {self.weights_id}, new_whale threshold {t})")


def match_project(store, photos=None, weights=None, top=5, threshold="auto", device="auto", image_size=None,
                  cache_dir=None, include_unboxed=False, progress=None, model=None,
                  rerank: str = "keypoints") -> MatchResult:
    """photos: paths to match (added to the project if needed) or None/[] for the queue.
    rerank: "keypoints" (verify and fuse, as the app and `whaleid match` do) or "none"."""
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matching import Matcher

    refs = store.references()
    if not refs:
        raise WhaleIDError(f"{store.folder}: no identified photos yet; import a catalog first")
    result = MatchResult(references=len(refs), individuals=len({code for _p, code, _b in refs}))
    if photos:
        queries = []
        for path in photos:
            try:
                queries.append(store.add_photo(path))
            except ImageError as err:
                result.errors.append((str(path), err.reason))
    else:
        queries = store.queue() + (store.photos(status="needs_box") if include_unboxed else [])
    if model is None:
        from whaleid_gui.core.model import load_model

        model = load_model(weights, device=device, image_size=image_size)
    result.weights_id = model.weights_id
    cache = FeatureCache(cache_dir) if cache_dir else FeatureCache()
    matcher_type, extra = Matcher, {}
    if rerank == "keypoints":
        from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher

        matcher_type, extra = KeypointRerankMatcher, {"keypoint_cache_dir": cache.folder / "keypoints"}
    matcher = matcher_type(model, [ImageItem(p, b) for p, _c, b in refs], [c for _p, c, b in refs],
                           threshold=threshold, cache=cache, **extra)
    matcher.prepare(progress)
    result.threshold = matcher.threshold
    boxes = store.current_boxes()
    items = [ImageItem(q.path, boxes[q.id].box if q.id in boxes else None) for q in queries]
    rankings = matcher.rank_many(items, top=top, progress=progress) if items else []
    for photo, ranking in zip(queries, rankings):
        if isinstance(ranking, ImageError):
            result.errors.append((str(photo.path), ranking.reason))
            continue
        store.record_candidates(photo.id, [(c.individual, c.score, c.rank) for c in ranking], model.weights_id)
        result.matched += 1
    store.add_model_run(
        model.weights_id, "matching",
        data_summary={"references": result.references, "individuals": result.individuals, "queries": len(items)},
        metrics={"threshold": result.threshold, "matched": result.matched, "errors": len(result.errors)},
    )
    return result
