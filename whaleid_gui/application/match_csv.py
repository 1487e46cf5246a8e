"""Match labelled query images against a reference CSV: the use case behind `whaleid match` and
`whaleid evaluate` without --project (Kaggle-style files, no project database).

The engine is the one that matches a project's photos (match_photos.prepared_matcher): the same
model cache, keypoint re-ranking with its fallback for a small catalog, the same calibration of
the new-individual threshold. A reference or query that cannot be read is reported in the result
and left out; the rest goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator

from whaleid_gui.core.csv_io import LabelledImage, read_boxes, read_labels
from whaleid_gui.core.errors import BadInputError, ImageError
from whaleid_gui.core.progress import Progress

from .match_photos import prepared_matcher
from .project_engine import EngineConfig
from .steps import run, sub


@dataclass
class CsvMatchResult:
    """The top IDs per query (None where the query could not be read) and what ranked them."""

    predictions: list[list[str] | None]
    skipped_references: list[ImageError] = field(default_factory=list)
    skipped_queries: list[ImageError] = field(default_factory=list)
    note: str = ""  # why keypoint re-ranking is off although it was asked for
    weights_id: str = "?"
    architecture: str = "?"
    image_size: int = 0
    reference_ids: list[str] = field(default_factory=list)  # the usable references' individuals
    threshold: float | None = None
    reranked: bool = False  # keypoint re-ranking (fused score) ranked the queries
    edges: bool = False  # ... with the fins' trailing edge fused in too (--rerank fin-edges)

    def describe(self) -> str:
        t = "none" if self.threshold is None else f"{self.threshold:.4f}"
        return (f"model {self.weights_id} ({self.architecture}, {self.image_size} px); "
                f"catalog {len(self.reference_ids)} photos of {len(set(self.reference_ids))} individuals; "
                f"new_whale threshold {t}" + ("; keypoint re-ranking (fused score)" if self.reranked else "")
                + (" with the fins' trailing edge" if self.edges else ""))


def match_csv_job(references_csv: str | Path, queries: list[LabelledImage], engine: EngineConfig,
                  boxes_csv: str | Path | None = None, threshold: Any = "auto",
                  cache_dir: str | Path | None = None) -> Generator[Any, None, CsvMatchResult]:
    """Generator of progress; returns a CsvMatchResult. references_csv: Image,Id; queries: rows
    read by core.csv_io (read_queries or read_labels); boxes_csv: Image,x0,y0,x1,y1 for any image
    (the others use the whole photo); cache_dir: feature cache (default: ~/.cache/whaleid)."""
    from whaleid_gui.core.features import FeatureCache, ImageItem

    references = read_labels(references_csv)
    if not references:
        raise BadInputError(references_csv, "no reference rows")
    boxes = read_boxes(boxes_csv) if boxes_csv else {}
    cache = Path(cache_dir) if cache_dir else FeatureCache().folder
    refs = [(r.path, r.id, boxes.get(r.path.resolve()), 0, False) for r in references]
    model, matcher, note = yield from prepared_matcher(Path(references_csv).resolve().parent, engine, refs,
                                                       threshold=threshold, cache_dir=cache)
    items = [ImageItem(q.path, boxes.get(q.path.resolve())) for q in queries]
    rankings = yield from sub(matcher.rank_job(items, engine.top))
    result = CsvMatchResult(
        predictions=[None if isinstance(r, ImageError) else [c.individual for c in r] for r in rankings],
        skipped_references=[err for _i, err in sorted(matcher.errors.items())],
        skipped_queries=[r for r in rankings if isinstance(r, ImageError)],
        note=note or getattr(matcher, "note", ""),
        weights_id=str(model.weights_id), architecture=model.card.architecture, image_size=model.image_size,
        reference_ids=list(matcher.ids), threshold=matcher.threshold,
        reranked=getattr(getattr(matcher, "reranker", None), "model", None) is not None)
    result.edges = result.reranked and getattr(matcher, "edge_evidence", None) is not None
    return result


def match_csv(references_csv: str | Path, queries: list[LabelledImage], engine: EngineConfig,
              progress: Callable[[Progress], None] | None = None, **options: Any) -> CsvMatchResult:
    """match_csv_job run to its end (the command line); options as match_csv_job's."""
    return run(match_csv_job(references_csv, queries, engine, **options), progress)
