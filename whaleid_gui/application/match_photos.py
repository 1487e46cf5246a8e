"""Match photos: the one use case behind the app's review panel and `whaleid match --project`.

References carry the orientation (rotation/flip) of their box, the query its own; features and
keypoints are cached in the project's cache folder (or cache_dir); the prepared matcher is kept
between queries in this process (reference features computed once); keypoint re-ranking falls
back to the embedding ranking, with a note, for a catalog too small to fit the fusion.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.errors import ImageError, WhaleIDError
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.progress import Progress
from whaleid_gui.core.score_scale import scale_of

from .model_label import model_label
from .project_engine import FIN_EDGES, EngineConfig
from .steps import Step, run, sub


@dataclass(frozen=True)
class CandidateView:
    """One line of the review list: a candidate individual, or the new-individual line."""

    rank: int
    code: str  # individual code or "new_whale"
    score: float
    individual_id: int | None = None
    name: str | None = None
    image: Path | None = None  # the individual's best-matching reference photo
    box: BoundingBox | None = None
    n_photos: int = 0
    last_seen: str | None = None
    last_place: str | None = None
    inliers: int | None = None  # verified keypoint matches with `image` (keypoint re-ranking only)
    rotation: int = 0  # orientation of `image` (the reference's box)
    flip: bool = False
    # the score on the one readable scale of every mode: the share of the catalog's different-whale
    # pairs it beats (core/score_scale.py); None when the catalog has no impostors to compare with
    share: float | None = None

    @property
    def is_new(self) -> bool:
        return self.code == NEW_WHALE


@dataclass(frozen=True)
class MatchResult:
    photo_id: int
    candidates: list[CandidateView]
    threshold: float | None
    weights_id: str
    device: str
    catalog_photos: int
    catalog_individuals: int
    ran_at: str
    seconds: float
    rerank: str = "none"  # what ranked it: "keypoints", "fin-edges" (fused scores) or "none" (embedding only)
    query_rotation: int = 0
    query_flip: bool = False
    rerank_note: str = ""  # why keypoint re-ranking was asked for but is off (shown to the user)
    threshold_share: float | None = None  # the threshold on the candidates' share scale
    model_label: str = ""  # the model by its card's name and date (application/model_label.py)
    score_name: str = "score"  # what the raw score is (a tooltip beside the share)
    box_id: int | None = None  # the store's box row it was ranked on (None: the whole photo, or not known)


@dataclass
class BatchResult:
    """What matching a project's queue (or given photos) did; the candidates are in the store."""

    matched: int = 0
    references: int = 0
    individuals: int = 0
    threshold: float | None = None
    weights_id: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    rerank_note: str = ""

    def summary(self) -> str:
        t = "none" if self.threshold is None else f"{self.threshold:.4f}"
        return (f"{self.matched} photos matched against {self.references} photos of {self.individuals} "
                f"individuals (model {self.weights_id}, new_whale threshold {t})")


# ------------------------------------------------------------------------------- caches
# The prepared matcher is kept between queries (reference features computed once); a new
# catalog (after a confirmation) reuses the model and the feature cache on disk.
_MATCHERS: dict[tuple, tuple[Any, Any, tuple, str]] = {}  # key -> (model, matcher, refs, note)
_MATCHERS_LOCK = threading.Lock()
_MODELS: dict[tuple, Any] = {}
_LOAD_LOCK = threading.Lock()
_PREPARE_LOCK = threading.RLock()


def model_for(engine: EngineConfig):
    """The loaded model for this config (loaded once per process: the app's engine process, or
    the command line's)."""
    with _MATCHERS_LOCK:
        model = _MODELS.get(engine.key())
    if model is not None:
        return model
    with _LOAD_LOCK:  # two workers asking at once load it once
        model = _MODELS.get(engine.key())
        if model is not None:
            return model
        if engine.model_factory is not None:
            model = engine.model_factory()
        else:
            from whaleid_gui.core.model import load_model  # heavy: torch

            model = load_model(engine.weights, device=engine.device, image_size=engine.image_size)
        _warm_up(model)
        # The model (and torch, imported for it) lives as long as the process: out of every later
        # collection of the cyclic collector, which runs on the app's GUI thread and stalled it for
        # seconds scanning them (gui_thread_gc.py). Freezing moves objects, it frees nothing.
        gc.freeze()
        with _MATCHERS_LOCK:
            _MODELS[engine.key()] = model
        return model


def _warm_up(model) -> None:
    """Compile the score kernel now (numba JIT holds the GIL for a moment), so the first
    ranking, with the scientist waiting on it, does not."""
    try:
        import numpy as np

        f = int(getattr(model, "feature_size", 0) or 0)
        if f:
            model.score_matrix(np.zeros((1, f), np.float32), np.zeros((2, f), np.float32))
    except Exception:  # a warm-up must never stop the app
        pass


def device_label(device: Any) -> str:
    text = str(device).lower()
    return "GPU" if ("cuda" in text or "mps" in text or "gpu" in text) else "CPU"


def feature_cache_dir(folder: str | Path) -> Path:
    return Path(folder) / "cache" / "features"


def keypoint_cache_dir(folder: str | Path) -> Path:
    return Path(folder) / "cache" / "keypoints"


def prepared_matcher(folder: Path, engine: EngineConfig, refs: list, threshold: Any = "auto",
                     cache_dir: str | Path | None = None) -> Generator[Any, None, tuple[Any, Any, str]]:
    """Generator: yields progress while preparing; returns (model, matcher, note).

    refs: (path, code, box, rotation, flip) of the catalog photos. With engine.rerank ==
    "keypoints" the matcher verifies the top candidates by keypoints and fuses the scores; a
    catalog too small to fit that fusion falls back to the embedding ranking, and note says why
    (the review panel, the status bar and the command line show it); note is "" otherwise.
    cache_dir: feature cache folder (keypoints in its "keypoints" folder); default: the project's.
    """
    from .catalog_follow import followed, signature_of

    signature = signature_of(refs)
    key = (str(folder), engine.key(), engine.rerank, threshold, str(cache_dir) if cache_dir else None)
    with _MATCHERS_LOCK:
        cached = _MATCHERS.get(key)
    if cached is not None and cached[2] == signature:
        return cached[0], cached[1], cached[3]
    # One preparation at a time between threads: the background match queue and a match the
    # reviewer asked for would otherwise both prepare the same catalog (the second finds it ready).
    # In the app's engine process the jobs take turns on one thread, where this lock is re-entered:
    # two jobs that both find the catalog unprepared (the queue and an encounter's ranking at the
    # same moment) both prepare it; the second's result replaces the first's. Wasted time, not a
    # wrong ranking.
    with _PREPARE_LOCK:
        with _MATCHERS_LOCK:
            cached = _MATCHERS.get(key)
        if cached is not None and cached[2] == signature:
            return cached[0], cached[1], cached[3]
        if cached is not None:  # a confirm or an undo: follow the change, no new preparation
            grown_matcher = yield from followed(cached[1], cached[2], refs)
            if grown_matcher is not None:
                with _MATCHERS_LOCK:
                    _MATCHERS[key] = (cached[0], grown_matcher, signature, cached[3])
                return cached[0], grown_matcher, cached[3]
        return (yield from _prepare(folder, engine, refs, threshold, cache_dir, key, signature))


def _prepare(folder: Path, engine: EngineConfig, refs: list, threshold: Any, cache_dir: str | Path | None,
             key: tuple, signature: tuple) -> Generator[Any, None, tuple[Any, Any, str]]:
    """A matcher prepared from scratch (the keypoint fusion's fit reused when one was saved)."""
    from whaleid_gui.core.embedding_index import INDEX_FOLDER
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matching import Matcher

    from .fusion_fit_cache import fit_file, load_fit, save_fit

    model = model_for(engine)
    yield Step(0, len(refs), "Preparing the catalog features")
    items = [ImageItem(Path(p), b, rotation=r, flip=f) for p, _c, b, r, f in refs]
    ids = [c for _p, c, _b, _r, _f in refs]
    cache = FeatureCache(Path(cache_dir) if cache_dir else feature_cache_dir(folder))
    keypoints = Path(cache_dir) / "keypoints" if cache_dir else keypoint_cache_dir(folder)
    embeddings = cache.folder / INDEX_FOLDER  # the nearest-neighbour prefilter, beside the features
    matcher: Matcher | None = None
    note = ""
    if engine.rerank in ("keypoints", FIN_EDGES):
        from whaleid_gui.core import trailing_edge
        from whaleid_gui.core.keypoint_matching import KeypointRerankMatcher

        edges = engine.rerank == FIN_EDGES
        matcher = KeypointRerankMatcher(model, items, ids, threshold=threshold, cache=cache,
                                        keypoint_cache_dir=keypoints, index_dir=embeddings, edges=edges)
        # the fin edges' fit has its own file: its threshold counts the edges' impostors too
        fit_key = engine.key() + ((FIN_EDGES, trailing_edge.METHOD_VERSION) if edges else ())
        fit_path = fit_file(Path(cache_dir) if cache_dir else feature_cache_dir(folder).parent, fit_key, threshold)
        matcher.preset_fit = load_fit(fit_path, len(refs))  # reopening a project: no new fit
        try:
            yield from sub(matcher.prepare_job())
            state = matcher.fit_state()
            if matcher.preset_fit is None and state is not None:
                save_fit(fit_path, state, len(refs))
        except ValueError as exc:  # e.g. no individual with two photos yet: rank by the embedding
            note = f"Keypoint re-ranking off for this catalog: {exc}"
            matcher = None
    if matcher is None:
        matcher = Matcher(model, items, ids, threshold=threshold, cache=cache, index_dir=embeddings)
        yield from sub(matcher.prepare_job())
    with _MATCHERS_LOCK:
        _MATCHERS[key] = (model, matcher, signature, note)
    return model, matcher, note


def oriented_refs(store) -> list[tuple]:
    """(path, code, box, rotation, flip) of every catalog photo: references() plus the
    orientation of each photo's current box (one query; it was every box and every photo too)."""
    return list(store.oriented_references())


def query_item(path, boxrow):
    """The query as the engine takes it: box, and the scientist's rotation/flip."""
    from whaleid_gui.core.features import ImageItem

    if boxrow is None:
        return ImageItem(Path(path), None)
    return ImageItem(Path(path), boxrow.box, rotation=int(boxrow.rotation or 0), flip=bool(boxrow.flip))


def _rerank_used(matcher) -> str:
    if not (hasattr(matcher, "reranker") and matcher.reranker.model is not None):
        return "none"
    return FIN_EDGES if getattr(matcher, "edge_evidence", None) is not None else "keypoints"


# ------------------------------------------------------------------------------- use cases
def match_photo(folder: str | Path, photo_id: int, engine: EngineConfig,
                reader: Any = None) -> Generator[Any, None, MatchResult]:
    """Rank the catalog for one photo's box; returns a MatchResult (the app's worker job; the
    review controller records the candidates with record_result).

    reader: a read-only store of `folder` that the caller keeps open across photos (the match
    queue); by default one is opened and closed for this photo."""
    from whaleid_gui.core.catalog.store import ProjectStore

    t0 = time.perf_counter()
    folder = Path(folder)
    store = reader if reader is not None else ProjectStore.open(folder, read_only=True)
    try:
        photo = store.photo(photo_id)
        boxrow = store.box(photo_id)
        refs = oriented_refs(store)
        individuals = {ind.code: ind for ind in store.individuals()}
        yield Step(0, 1, f"Matching against {len(refs)} catalog photos")
    finally:
        if store is not reader:
            store.close()
    if not refs:
        raise RuntimeError("the catalog has no confirmed reference photos to match against yet")
    model, matcher, rerank_note = yield from prepared_matcher(folder, engine, refs)
    query = query_item(photo.path, boxrow)
    ranked = matcher.rank(query, top=engine.top)
    scale = scale_of(matcher)
    ref_box = {str(p): (b, r, f) for p, _c, b, r, f in refs}
    candidates = []
    for c in ranked:
        ind = individuals.get(c.individual)
        img = Path(c.image) if c.image is not None else None
        box, rot, flip = ref_box.get(str(img), (None, 0, False)) if img is not None else (None, 0, False)
        inliers = getattr(c, "inliers", None)
        candidates.append(CandidateView(
            rank=int(c.rank), code=c.individual, score=float(c.score),
            individual_id=ind.id if ind else None, name=ind.name if ind else None,
            image=img, box=box, n_photos=ind.n_photos if ind else 0,
            last_seen=ind.last_seen if ind else None, last_place=ind.last_place if ind else None,
            inliers=int(inliers) if inliers is not None else None, rotation=rot, flip=flip,
            share=scale.share(c.score),
        ))
    yield Step(1, 1, "Done")
    return MatchResult(
        photo_id=photo_id, candidates=candidates, threshold=matcher.threshold,
        weights_id=str(getattr(model, "weights_id", "?")),
        device=device_label(getattr(model, "device", "cpu")),
        catalog_photos=len(refs), catalog_individuals=len({r[1] for r in refs}),
        ran_at=time.strftime("%H:%M:%S"), seconds=time.perf_counter() - t0,
        rerank=_rerank_used(matcher), query_rotation=query.rotation, query_flip=query.flip,
        rerank_note=rerank_note, threshold_share=scale.share(matcher.threshold),
        model_label=model_label(model, engine.weights), score_name=scale.raw_name,
        box_id=boxrow.id if boxrow is not None else None,
    )


def record_result(store, result: MatchResult) -> None:
    """Record one photo's ranked candidates (with the model that ranked them) in the store."""
    store.record_candidates(result.photo_id, [(c.code, c.score, c.rank) for c in result.candidates],
                            result.weights_id)


def match_photos_job(store, engine: EngineConfig, photos=None, threshold: Any = "auto",
                     cache_dir: str | Path | None = None,
                     include_unboxed: bool = False) -> Generator[Any, None, BatchResult]:
    """Rank photos against the project's identified photos and record the candidates; returns a
    BatchResult. photos: paths to match (added to the project if needed), or None/[] for the
    queue (with include_unboxed, also queue photos without a box: the whole photo)."""
    refs = oriented_refs(store)
    if not refs:
        raise WhaleIDError(f"{store.folder}: no identified photos yet; import a catalog first")
    result = BatchResult(references=len(refs), individuals=len({r[1] for r in refs}))
    if photos:
        queries = []
        for path in photos:
            try:
                queries.append(store.add_photo(path))
            except ImageError as err:
                result.errors.append((str(path), err.reason))
    else:
        queries = store.queue() + (store.photos(status="needs_box") if include_unboxed else [])
    model, matcher, result.rerank_note = yield from prepared_matcher(
        Path(store.folder), engine, refs, threshold=threshold, cache_dir=cache_dir)
    result.weights_id = str(getattr(model, "weights_id", "?"))
    result.threshold = matcher.threshold
    boxes = store.current_boxes()
    items = [query_item(q.path, boxes.get(q.id)) for q in queries]
    rankings = (yield from sub(matcher.rank_job(items, engine.top))) if items else []
    for photo, ranking in zip(queries, rankings):
        if isinstance(ranking, ImageError):
            result.errors.append((str(photo.path), ranking.reason))
            continue
        store.record_candidates(photo.id, [(c.individual, c.score, c.rank) for c in ranking], result.weights_id)
        result.matched += 1
    store.add_model_run(
        result.weights_id, "matching",
        data_summary={"references": result.references, "individuals": result.individuals, "queries": len(items)},
        metrics={"threshold": result.threshold, "matched": result.matched, "errors": len(result.errors),
                 "rerank": _rerank_used(matcher)},
    )
    return result


def match_photos(store, engine: EngineConfig, progress: Callable[[Progress], None] | None = None,
                 **options: Any) -> BatchResult:
    """match_photos_job run to its end (the command line); options as match_photos_job's."""
    return run(match_photos_job(store, engine, **options), progress)
