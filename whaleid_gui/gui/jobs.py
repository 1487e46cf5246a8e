"""The jobs the GUI runs in workers: plain functions (most are generators of progress events).

No Qt here and no science: each job opens its own store connection, calls core functions and
returns plain data for a widget to render. Heavy modules (torch, the model, the matcher) are
imported inside the jobs so the window can appear before they load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

# Matching is the application layer's use case; these names are what the widgets and workers call.
from whaleid_gui.application.match_photos import (  # noqa: F401 (re-exported)
    CandidateView, MatchResult, device_label, keypoint_cache_dir, match_photo, model_for as _model_for,
)
from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.application.steps import Step, sub
from whaleid_gui.core.boxes import BoundingBox

NEW_WHALE = "new_whale"


def user_data_dir() -> Path:
    """Where the app keeps its own files (the demo project); WHALEID_DATA_DIR overrides."""
    env = os.environ.get("WHALEID_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "WhaleID"


# ------------------------------------------------------------------------------- engine, matching


def engine_info(engine: EngineConfig) -> tuple[str, str]:
    """(weights id, device) of the model the matcher will use; loads it (worker only)."""
    model = _model_for(engine)
    return str(getattr(model, "weights_id", "?")), device_label(getattr(model, "device", "cpu"))


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
    """The individual's photos (a store error reaches the caller: it says what failed)."""
    return list(store.photos_of(individual_id))


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


def _import_reference_boxes(store, references_csv: Path, boxes_csv: Path, project: Path) -> None:
    """Demo: the catalog photos get their boxes. Without a box model, the survey photos' true
    boxes become the proposals (drawn dashed, accepted with one key), so the one-key flow can be
    tried; with a box model the app proposes them itself (box_proposals)."""
    from whaleid_gui.gui import box_proposals

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
    if box_proposals.box_model_available():
        return
    box_proposals.save(project, {
        str((boxes_csv.parent / r["Image"]).resolve()):
            (BoundingBox(float(r["x0"]), float(r["y0"]), float(r["x1"]), float(r["y1"])), "demo")
        for r in other})


def load_proposals(project: str | Path) -> dict[str, BoundingBox]:
    """Proposed boxes of a project (resolved photo path -> box); empty when there are none."""
    from whaleid_gui.gui import box_proposals

    return {k: b for k, (b, _model) in box_proposals.load(project).items()}


def _read_csv_images(csv_path: Path) -> list[Path]:
    import csv

    with open(csv_path, newline="", encoding="utf-8") as fh:
        return [csv_path.parent / row["Image"] for row in csv.DictReader(fh)]


def _import_catalog_csv(store, csv_path: Path) -> Iterator[Any]:
    """Catalog CSV (Image,Id) -> confirmed references, by the store's importer; returns its report."""
    from whaleid_gui.core.catalog.importers import iter_import_catalog

    report = yield from sub(iter_import_catalog(store, csv_path))
    return report


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
        # the save dialog has already asked before replacing an existing file
        out = getattr(exporters, f"export_{kind}")(store, out_path, overwrite=True)
    finally:
        store.close()
    return str(out)


def export_sharing(folder: str | Path, kind: str, out_path: str | Path, options: dict) -> Any:
    """A sharing export (wildbook, dwca, capture-history; worker job); returns its ExportReport
    (what it wrote and what it skipped). The dialogs have already asked before replacing."""
    from whaleid_gui.core.catalog import sharing
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        return sharing.export(store, kind, out_path, overwrite=True, **options)
    finally:
        store.close()


def import_wildbook(folder: str | Path, sheet: str | Path) -> Iterator[Any]:
    """A Wildbook / Flukebook spreadsheet into the project (worker job); returns the ImportReport."""
    from whaleid_gui.core.catalog.import_wildbook import iter_import_wildbook
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder)
    try:
        report = yield from sub(iter_import_wildbook(store, Path(sheet)))
    finally:
        store.close()
    return report


# ------------------------------------------------------------------------------- training
@dataclass(frozen=True)
class TrainSettings:
    """What the training panel asks for (plain data: the job runs in a worker)."""

    out: str  # the weights file to write (project/models/<timestamp>.pt); resume continues it
    branch: str = "efficientnet-lite0"  # or "reference"
    objective: str = "siamese"  # or "arcface"
    fast: bool = True  # frozen early backbone (the CPU mode)
    epochs: int = 10
    image_size: int = 384
    learning_rate: float = 64e-5
    k_values: tuple[float, ...] | None = None  # None: the preset scaled to the epochs
    device: str = "auto"
    validation_fraction: float = 0.2
    seed: int = 0
    batch_size: int = 16
    mine_every: int = 5
    init_weights: str | None = None  # start from these weights (the active ones); None = default
    resume: bool = False


@dataclass(frozen=True)
class TrainOutcome:
    weights: str
    weights_id: str
    card: str  # the model card written beside the weights (JSON)
    reports: list
    summary: Any  # core.training_data.DataSummary
    settings: TrainSettings
    started_at: str
    finished_at: str


@dataclass(frozen=True)
class Comparison:
    """Validation MAP@5 (leave-one-out over the held-out individuals) of both models."""

    active_id: str
    active_map5: float
    new_id: str
    new_map5: float
    val_photos: int
    val_individuals: int


def k_preset(epochs: int) -> list[float]:
    """SIAMESE.md's K schedule scaled to the epochs (core.mining.k_schedule; numpy only)."""
    from whaleid_gui.core.mining import k_schedule

    return list(k_schedule(max(int(epochs), 1)))


def device_report(requested: str = "auto") -> tuple[str, str]:
    """(device, why) for the training panel: auto takes CUDA when torch sees a GPU (worker job)."""
    import torch

    if requested == "cpu":
        return "cpu", "CPU: chosen in the panel"
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        return "cuda", f"GPU ({name}): CUDA is available" + ("" if requested == "cuda" else ", so auto uses it")
    if requested == "cuda":
        return "cpu", "CPU: CUDA was asked for, but torch sees no CUDA GPU here"
    why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU was found"
    return "cpu", f"CPU: {why} (fast mode recommended)"


def training_summary(folder: str | Path, fraction: float, seed: int) -> Any:
    """The data the panel shows before a run: photos, individuals, train/validation split."""
    from whaleid_gui.core import training_data
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        data = training_data.gather(store)
    finally:
        store.close()
    return training_data.summarize(data, fraction, seed)


def settings_path(out: str | Path) -> Path:
    """Where a run keeps the settings it started with: ``<out>.settings.json`` (Resume reads it)."""
    return Path(str(out) + ".settings.json")


def _train_config(s: TrainSettings):
    from whaleid_gui.core.training import TrainConfig

    return TrainConfig(epochs=s.epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                       mine_every=s.mine_every, k_values=list(s.k_values) if s.k_values else None,
                       seed=s.seed, validation_fraction=s.validation_fraction, objective=s.objective,
                       fast=s.fast, weight_decay=4e-4 if s.branch == "reference" else 0.0)


def write_train_settings(s: TrainSettings, config: Any) -> Path:
    """Write the run's settings (the TrainConfig values, branch, image size, split seed) beside it."""
    import json
    from dataclasses import asdict

    path = settings_path(s.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"weights_file": Path(s.out).name, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "settings": {k: v for k, v in asdict(s).items() if k not in ("out", "resume")},
            "train_config": asdict(config)}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_train_settings(out: str | Path) -> TrainSettings:
    """The settings an (interrupted) run started with; OSError / ValueError when missing or unreadable."""
    import json
    from dataclasses import fields

    path = settings_path(out)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["settings"]
        if not isinstance(saved, dict):
            raise TypeError("'settings' is not an object")
    except OSError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from None
    known = {f.name for f in fields(TrainSettings)} - {"out", "resume"}
    values = {k: v for k, v in saved.items() if k in known}
    if values.get("k_values") is not None:
        values["k_values"] = tuple(float(v) for v in values["k_values"])
    try:
        return TrainSettings(out=str(out), resume=False, **values)
    except TypeError as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from None


def _initial_model(s: TrainSettings):
    from whaleid_gui.core.model import build_model, load_model, resolve_device

    device = resolve_device(s.device)
    if s.resume:  # continue the interrupted run from the state saved beside its weights
        model = None
        if Path(s.out).exists():
            model = load_model(s.out, device=str(device), image_size=s.image_size)
    else:
        model = None
    if model is None:
        if s.branch == "reference":
            model = build_model("reference", image_size=s.image_size, imagenet=False, distance_head=False)
        else:
            model = load_model(s.init_weights, device=str(device), image_size=s.image_size)
            if model.card.architecture != s.branch:  # active weights of another branch: start fresh
                model = build_model(s.branch, image_size=s.image_size)
    model.card.image_size = int(s.image_size)
    return model.to(device)


def train_project(folder: str | Path, s: TrainSettings) -> Iterator[Any]:
    """Worker job: fine-tune on the project's confirmed photos. Yields core Progress and
    EpochReport events (the panel plots them); returns a TrainOutcome. Pause and cancel act
    between two yields (workers.Worker); a cancelled run resumes from its .resume file."""
    import json

    from whaleid_gui.core import training_data
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.model.checkpoint import weights_id_of

    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    config = _train_config(s)
    if not (s.resume and settings_path(s.out).exists()):  # Resume reads these back, never the form
        write_train_settings(s, config)
    yield Step(0, 1, "Reading the catalog")
    store = ProjectStore.open(folder, read_only=True)
    try:
        data = training_data.gather(store)
    finally:
        store.close()
    yield Step(0, 1, "Loading the model")
    from whaleid_gui.core.training import train_job

    summary = training_data.summarize(data, s.validation_fraction, s.seed)
    model = _initial_model(s)
    reports = yield from sub(train_job(model, data.items(), data.ids, s.out, config, resume=s.resume,
                                       known_negatives=data.known_negatives))
    card_path = Path(s.out).with_suffix(".card.json")
    card = model.card.to_dict() if hasattr(model.card, "to_dict") else {}
    card = {**card, "weights_file": Path(s.out).name, "trained_in": "WhaleID training panel",
            "data_summary": summary.__dict__, "settings": {k: v for k, v in s.__dict__.items()}}
    tmp = card_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(card, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, card_path)
    return TrainOutcome(weights=str(s.out), weights_id=weights_id_of(s.out), card=str(card_path),
                        reports=list(reports or []), summary=summary, settings=s, started_at=started,
                        finished_at=time.strftime("%Y-%m-%dT%H:%M:%S"))


def compare_models(folder: str | Path, new_weights: str, engine: EngineConfig, fraction: float,
                   seed: int) -> Iterator[Any]:
    """Worker job: leave-one-out MAP@5 of the active and the new model on the validation split."""
    from whaleid_gui.core import training_data
    from whaleid_gui.core.catalog.store import ProjectStore
    from whaleid_gui.core.features import iter_features
    from whaleid_gui.core.model import load_model
    from whaleid_gui.core.training import leave_one_out_map5

    store = ProjectStore.open(folder, read_only=True)
    try:
        data = training_data.gather(store)
    finally:
        store.close()
    _train, val = training_data.split(data, fraction, seed)
    if not val:
        raise RuntimeError("no validation individuals (set a validation share above 0, with 3+ individuals "
                           "of 2+ photos)")
    items = [data.items()[i] for i in val]
    ids = [data.ids[i] for i in val]
    out = []
    for n, (label, path, size) in enumerate((("active", engine.weights, engine.image_size),
                                             ("new", new_weights, None))):
        yield Step(n, 2, f"Scoring the validation photos with the {label} model")
        if label == "active" and engine.model_factory is not None:
            model = engine.model_factory()
        else:
            model = load_model(path, device=engine.device, image_size=size)
        fs = yield from sub(iter_features(model, items))
        feats = fs.features
        if fs.errors:  # unreadable photos would score NaN: rank the readable ones only
            keep = [i for i in range(len(ids)) if i not in fs.errors]
            feats, scored_ids = feats[keep], [ids[i] for i in keep]
        else:
            scored_ids = ids
        out.append((str(getattr(model, "weights_id", "?")), float(leave_one_out_map5(model, feats, scored_ids))))
    yield Step(2, 2, "Done")
    return Comparison(out[0][0], out[0][1], out[1][0], out[1][1], len(ids), len(set(ids)))


# ------------------------------------------------------------------------------- keypoint evidence
@dataclass(frozen=True)
class KeypointLines:
    lines: Any  # (K, 4) float32 (uq, vq, uc, vc): fractions of the displayed query and candidate crops
    inliers: int
    tentative: int


def _display_fractions(points, box: BoundingBox | None, image_size: tuple[int, int], rotation: int, flip: bool,
                       margin: float = 0.05):
    """Photo pixels -> fractions (u, v) of the crop that crop_rgb displays (same margin, oriented)."""
    import numpy as np

    w, h = image_size
    if box is not None:
        b = box.clipped(w, h)
        mx, my = b.width * margin, b.height * margin
        x0, y0 = int(max(b.x0 - mx, 0)), int(max(b.y0 - my, 0))
        x1, y1 = int(min(b.x1 + mx, w)), int(min(b.y1 + my, h))
    else:
        x0, y0, x1, y1 = 0, 0, w, h
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    u = (pts[:, 0] - x0) / max(x1 - x0, 1)
    v = (pts[:, 1] - y0) / max(y1 - y0, 1)
    if rotation == 180:
        u, v = 1.0 - u, 1.0 - v
    if flip:
        u = 1.0 - u
    return np.stack([u, v], axis=1)


def keypoint_lines(folder: str | Path | None, query: tuple, candidate: tuple) -> KeypointLines:
    """Worker job: verify the query against one candidate photo by keypoints and return the
    matched pairs ready to draw. query / candidate: (path, box, rotation, flip)."""
    import numpy as np

    from whaleid_gui.core.keypoints import KeypointVerifier

    verifier = KeypointVerifier(cache_dir=keypoint_cache_dir(folder) if folder is not None else None)
    # A mirrored photo is described mirrored (as the matcher does); photo_points undoes it.
    qd = verifier.describe(query[0], query[1], bool(query[3]))
    cd = verifier.describe(candidate[0], candidate[1], bool(candidate[3]))
    result = verifier.verify(qd, cd)
    m = np.asarray(result.matches, dtype=np.float32).reshape(-1, 4)
    if not len(m):
        return KeypointLines(np.zeros((0, 4), np.float32), int(result.inliers), int(result.tentative))
    qf = _display_fractions(qd.photo_points(m[:, :2]), query[1], qd.image_size, query[2], query[3])
    cf = _display_fractions(cd.photo_points(m[:, 2:]), candidate[1], cd.image_size, candidate[2], candidate[3])
    lines = np.concatenate([qf, cf], axis=1)
    inside = np.all((lines >= 0.0) & (lines <= 1.0), axis=1)  # the keypoint crop is a bit wider than shown
    return KeypointLines(lines[inside].astype(np.float32), int(result.inliers), int(result.tentative))
