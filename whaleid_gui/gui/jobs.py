"""The jobs the GUI runs in workers: plain functions (most are generators of progress events).

No Qt here and no science: each job opens its own store connection, calls core functions and
returns plain data for a widget to render. Heavy modules (torch, the model, the matcher) are
imported inside the jobs so the window can appear before they load.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from whaleid_gui.core.boxes import BoundingBox

NEW_WHALE = "new_whale"


def user_data_dir() -> Path:
    """Where the app keeps its own files (the demo project); WHALEID_DATA_DIR overrides."""
    env = os.environ.get("WHALEID_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "WhaleID"


def sub(job) -> Iterator[Any]:
    """``yield from`` for core jobs: passes their progress on, returns their Finished value."""
    if not hasattr(job, "__next__"):
        return job  # a plain return value (not a generator)
    from whaleid_gui.core.progress import Finished

    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if isinstance(event, Finished):
            job.close()
            return event.value
        yield event


@dataclass(frozen=True)
class Step:
    """A progress event of a GUI job (core Progress events are passed through as they are)."""

    done: int
    total: int
    message: str = ""


# ------------------------------------------------------------------------------- engine config
@dataclass(frozen=True)
class EngineConfig:
    """Which model the matcher uses. ``model_factory`` builds a model without a weights file
    (tests and benchmarks use a tiny untrained model: fast on two CPU cores)."""

    weights: str | None = None
    device: str = "auto"
    image_size: int | None = None  # None = the weights' own input size
    model_factory: Callable[[], Any] | None = field(default=None, compare=False)
    top: int = 5

    def key(self) -> tuple:
        return (self.weights, self.device, self.image_size,
                id(self.model_factory) if self.model_factory else None)


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


# The prepared matcher is kept between queries (reference features computed once); a new
# catalog (after a confirmation) reuses the model and the feature cache on disk.
_MATCHERS: dict[tuple, tuple[Any, Any, tuple]] = {}  # (folder, engine) -> (model, matcher, refs)
_MATCHERS_LOCK = threading.Lock()


_MODELS: dict[tuple, Any] = {}
_LOAD_LOCK = threading.Lock()


def _model_for(engine: EngineConfig):
    """The loaded model for this config (loaded once per process, in a worker)."""
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


def engine_info(engine: EngineConfig) -> tuple[str, str]:
    """(weights id, device) of the model the matcher will use; loads it (worker only)."""
    model = _model_for(engine)
    return str(getattr(model, "weights_id", "?")), device_label(getattr(model, "device", "cpu"))


def _prepared_matcher(folder: Path, engine: EngineConfig, refs: list) -> Iterator[Any]:
    """Generator: yields progress while preparing; returns (model, matcher)."""
    from whaleid_gui.core.features import FeatureCache, ImageItem
    from whaleid_gui.core.matching import Matcher

    signature = tuple((str(p), c, b.key() if b is not None else None) for p, c, b in refs)
    key = (str(folder), engine.key())
    with _MATCHERS_LOCK:
        cached = _MATCHERS.get(key)
    if cached is not None and cached[2] == signature:
        return cached[0], cached[1]
    model = _model_for(engine)
    yield Step(0, len(refs), "Preparing the catalog features")
    items = [ImageItem(Path(p), b) for p, _c, b in refs]
    ids = [c for _p, c, _b in refs]
    cache = FeatureCache(Path(folder) / "cache" / "features")
    matcher = Matcher(model, items, ids, threshold="auto", cache=cache)
    yield from sub(matcher.prepare_job())
    with _MATCHERS_LOCK:
        _MATCHERS[key] = (model, matcher, signature)
    return model, matcher


def match_photo(folder: str | Path, photo_id: int, engine: EngineConfig) -> Iterator[Any]:
    """Rank the catalog for one photo's box; returns a MatchResult (worker job)."""
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.features import ImageItem

    t0 = time.perf_counter()
    folder = Path(folder)
    store = ProjectStore.open(folder, read_only=True)
    try:
        photo = store.photo(photo_id)
        boxrow = store.box(photo_id)
        refs = list(store.references())
        individuals = {ind.code: ind for ind in store.individuals()}
        yield Step(0, 1, f"Matching against {len(refs)} catalog photos")
    finally:
        store.close()
    if not refs:
        raise RuntimeError("the catalog has no confirmed reference photos to match against yet")
    model, matcher = yield from _prepared_matcher(folder, engine, refs)
    query = _image_item(ImageItem, photo.path, boxrow)
    ranked = matcher.rank(query, top=engine.top)
    ref_box = {str(p): b for p, _c, b in refs}
    candidates = []
    for c in ranked:
        ind = individuals.get(c.individual)
        img = Path(c.image) if c.image is not None else None
        candidates.append(CandidateView(
            rank=int(c.rank), code=c.individual, score=float(c.score),
            individual_id=ind.id if ind else None, name=ind.name if ind else None,
            image=img, box=ref_box.get(str(img)) if img is not None else None,
            n_photos=ind.n_photos if ind else 0,
            last_seen=ind.last_seen if ind else None, last_place=ind.last_place if ind else None,
        ))
    yield Step(1, 1, "Done")
    return MatchResult(
        photo_id=photo_id, candidates=candidates, threshold=matcher.threshold,
        weights_id=str(getattr(model, "weights_id", "?")),
        device=device_label(getattr(model, "device", "cpu")),
        catalog_photos=len(refs), catalog_individuals=len({c for _p, c, _b in refs}),
        ran_at=time.strftime("%H:%M:%S"), seconds=time.perf_counter() - t0,
    )


def _image_item(ImageItem, path, boxrow):
    """The query as the engine takes it (rotation/flip passed when the engine knows them)."""
    box = boxrow.box if boxrow is not None else None
    if boxrow is not None and (boxrow.rotation or boxrow.flip):
        try:
            return ImageItem(Path(path), box, rotation=boxrow.rotation, flip=boxrow.flip)
        except TypeError:
            pass
    return ImageItem(Path(path), box)


# ------------------------------------------------------------------------------- images
def load_photo_rgb(path: str | Path):
    """The photo as an (H, W, 3) uint8 array; ImageError names the file when unreadable."""
    import numpy as np

    from whaleid_gui.core.images import load_image

    return np.asarray(load_image(path))


def crop_rgb(path: str | Path, box: BoundingBox | None, rotation: int = 0, flip: bool = False,
             max_side: int = 480, margin: float = 0.05):
    """A display crop of the box (colour, natural aspect, oriented), at most max_side pixels."""
    import numpy as np
    from PIL import Image

    from whaleid_gui.core.images import load_image, orient

    image = load_image(path)
    if box is not None:
        b = box.clipped(image.width, image.height)
        mx, my = b.width * margin, b.height * margin
        image = image.crop((int(max(b.x0 - mx, 0)), int(max(b.y0 - my, 0)),
                            int(min(b.x1 + mx, image.width)), int(min(b.y1 + my, image.height))))
    image = orient(image, rotation, flip)
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("RGB"))


def thumbnails(items: list[tuple[int, str, BoundingBox | None]], size: int = 96) -> Iterator[Any]:
    """Yields (key, array or error text) per photo; thumbnails of the box when there is one."""
    for key, path, box in items:
        try:
            arr = crop_rgb(path, box, max_side=size)
            yield ("thumb", key, arr)
        except Exception as exc:  # an unreadable photo gets a message, the others go on
            yield ("thumb", key, str(exc))
    return len(items)


def load_view(path: str | Path):
    """Worker job: the full photo for the box editor (ImageError -> errored signal)."""
    return load_photo_rgb(path)


def photos_of(store, individual_id: int) -> list:
    """The individual's photos; falls back to its sightings if store.photos_of fails."""
    try:
        return list(store.photos_of(individual_id))
    except Exception:
        seen, out = set(), []
        for s in store.sightings(individual_id=individual_id):
            if s.photo_id not in seen:
                seen.add(s.photo_id)
                out.append(store.photo(s.photo_id))
        return out


# ------------------------------------------------------------------------------- projects
def project_db(folder: str | Path) -> Path:
    return Path(folder) / "project.sqlite"


def is_project(folder: str | Path) -> bool:
    return project_db(folder).exists()


def create_demo_project(target: str | Path, small: bool = True) -> Iterator[Any]:
    """Write the synthetic demo photos and import them into a new project (worker job).

    The demo catalog CSV becomes confirmed reference photos, the queries become the survey
    photos to review (with no box yet, so the scientist draws one). Returns the project folder.
    """
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.synthetic import write_demo

    target = Path(target)
    data = target / "demo_photos"
    yield Step(0, 3, "Drawing synthetic fluke photos")
    paths = write_demo(data, seed=0, small=small)
    yield Step(1, 3, "Creating the project")
    project = target / "project"
    store = ProjectStore.create(project)
    try:
        yield Step(2, 3, "Importing the reference catalog")
        yield from _import_catalog_csv(store, Path(paths.references_csv))
        _import_reference_boxes(store, Path(paths.references_csv), Path(paths.boxes_csv), project)
        yield Step(2, 3, "Importing the survey photos")
        queries = _read_csv_images(Path(paths.queries_csv))
        for i, path in enumerate(queries):
            try:
                store.add_photo(path, survey="Demo survey")
            except Exception as exc:  # keep going: the queue shows what could not be read
                print(f"demo import: {exc}")
            if i % 10 == 0:
                yield Step(i, len(queries), "Importing the survey photos")
    finally:
        store.close()
    yield Step(3, 3, "Demo project ready")
    return str(project)


PROPOSALS_CSV = "proposed_boxes.csv"  # Image (absolute path),x0,y0,x1,y1: boxes to accept with one key


def _import_reference_boxes(store, references_csv: Path, boxes_csv: Path, project: Path) -> None:
    """Demo: the catalog photos get their boxes; the survey photos' boxes become proposals
    (drawn dashed, accepted with one key) so the scientist still decides every box."""
    import csv

    from whaleid_gui.core.catalog.import_boxes import import_boxes

    refs = {row for row in (p.name for p in _read_csv_images(references_csv))}
    with open(boxes_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ref_rows = [r for r in rows if Path(r["Image"]).name in refs]
    other = [r for r in rows if Path(r["Image"]).name not in refs]
    fields = ["Image", "x0", "y0", "x1", "y1"]
    tmp = boxes_csv.parent / "reference_boxes.csv"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows({k: r[k] for k in fields} for r in ref_rows)
    import_boxes(store, tmp)
    with open(project / PROPOSALS_CSV, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in other:
            w.writerow({**{k: r[k] for k in fields[1:]}, "Image": str((boxes_csv.parent / r["Image"]).resolve())})


def load_proposals(project: str | Path) -> dict[str, BoundingBox]:
    """Proposed boxes of a project (resolved photo path -> box); empty when there are none."""
    import csv

    path = Path(project) / PROPOSALS_CSV
    if not path.exists():
        return {}
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            try:
                out[str(Path(r["Image"]).resolve())] = BoundingBox(
                    float(r["x0"]), float(r["y0"]), float(r["x1"]), float(r["y1"]))
            except (KeyError, ValueError):
                continue
    return out


def _read_csv_images(csv_path: Path) -> list[Path]:
    import csv

    with open(csv_path, newline="", encoding="utf-8") as fh:
        return [csv_path.parent / row["Image"] for row in csv.DictReader(fh)]


def _import_catalog_csv(store, csv_path: Path) -> Iterator[Any]:
    """Catalog CSV (Image,Id) -> confirmed references, via the store's importer when present."""
    try:
        from whaleid_gui.core.catalog.importers import iter_import_catalog
    except ImportError:
        iter_import_catalog = None
    if iter_import_catalog is not None:
        report = yield from sub(iter_import_catalog(store, csv_path))
        return report
    import csv

    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = {ind.code: ind.id for ind in store.individuals()}
    for i, row in enumerate(rows):
        code = row["Id"]
        if code == NEW_WHALE:
            continue
        photo = store.add_photo(csv_path.parent / row["Image"])
        if code not in codes:
            codes[code] = store.create_individual(code).id
        store.decide(photo.id, "confirmed", individual_id=codes[code])
        if i % 10 == 0:
            yield Step(i, len(rows), "Importing the reference catalog")
    return None


def import_catalog(folder: str | Path, csv_path: str | Path) -> Iterator[Any]:
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    try:
        report = yield from _import_catalog_csv(store, Path(csv_path))
    finally:
        store.close()
    return report


def import_photos(folder: str | Path, paths: list[str]) -> Iterator[Any]:
    """Import files and folders (menu or drag and drop); returns a one-line summary."""
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    added, errors, notes = 0, [], []
    try:
        for i, p in enumerate(paths):
            p = Path(p)
            yield Step(i, len(paths), f"Importing {p.name}")
            if p.is_dir():
                from whaleid_gui.core.catalog.importers import iter_import_folder

                report = yield from sub(iter_import_folder(store, p))
                added += report.added
                errors += [f"{f}: {r}" for f, r in report.errors]
                if report.skipped_duplicates:
                    notes.append(f"{len(report.skipped_duplicates)} duplicates skipped")
            else:
                try:
                    store.add_photo(p)
                    added += 1
                except Exception as exc:
                    errors.append(str(exc))
    finally:
        store.close()
    summary = f"{added} photos imported" + (f", {len(errors)} not imported" if errors else "")
    if notes:
        summary += ", " + ", ".join(notes)
    return summary, errors


def export_catalog(folder: str | Path, kind: str, out_path: str | Path) -> Any:
    """Run one of the catalog exporters (worker job); returns the written path."""
    from whaleid_gui.core.catalog import exporters
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        fn = getattr(exporters, f"export_{kind}")
        try:
            out = fn(store, out_path, overwrite=True)
        except TypeError:
            out = fn(store, out_path)
        out = yield from sub(out)
    finally:
        store.close()
    return str(out_path)
