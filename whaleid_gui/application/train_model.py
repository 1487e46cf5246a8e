"""Train a model: the one use case behind the training panel and `whaleid train`.

A run writes ``<out>.settings.json`` when it starts (train_settings), picks its initial model
(initial_model: one rule for both front ends), trains with checkpoints every epoch (core.training:
a cancelled or interrupted run resumes from ``<out>.resume``), and writes the model card
``<out>.card.json`` when it ends. The data is a project's confirmed photos (train_project) or an
Image,Id CSV (csv_training_data).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generator

from whaleid_gui.core.progress import Progress
from whaleid_gui.core.training_data import DataSummary, TrainingData, TrainingPhoto

from .steps import Step, sub
from .train_settings import TrainSettings, settings_path, train_config, write_json, write_train_settings


@dataclass(frozen=True)
class TrainOutcome:
    weights: str
    weights_id: str
    card: str  # the model card written beside the weights (JSON)
    reports: list
    summary: DataSummary
    settings: TrainSettings
    started_at: str
    finished_at: str


@dataclass(frozen=True)
class ModelReady(Progress):
    """The initial model is loaded and training starts (the command line prints what it trains)."""

    architecture: str = ""
    image_size: int = 0
    device: str = "cpu"
    summary: DataSummary | None = None


def card_path(out: str | Path) -> Path:
    """The model card a finished run writes beside its weights (a run without one did not finish)."""
    return Path(out).with_suffix(".card.json")


def architecture_of(weights: str | Path) -> str:
    """The branch of a weights file (read from its model card) or of a named model such as
    "untrained" (built); WeightsError names a bad file."""
    from whaleid_gui.core.model import ModelCard, load_model
    from whaleid_gui.core.model.checkpoint import read_weights_file

    if Path(weights).is_file():
        return ModelCard.from_dict(read_weights_file(weights)["card"]).architecture
    return load_model(str(weights), device="cpu").card.architecture


def initial_model(s: TrainSettings) -> Any:
    """The model a run starts from (torch: worker only).

    Resume: the interrupted run's last saved epoch (its .resume state is loaded by the trainer).
    scratch, or the reference branch without initial weights: random weights (the reference
    branch has no pretrained weights). Otherwise init_weights (None: the default model, core.model_names); when
    they hold another branch than s.branch (the project's active weights may), a fresh model of
    s.branch (EfficientNet-Lite0 from ImageNet).
    """
    from whaleid_gui.core.model import (DEFAULT_IMAGE_SIZE, build_model, check_image_size, load_model,
                                        resolve_device)

    device = resolve_device(s.device)
    size = int(s.image_size) if s.image_size else None

    def fresh(imagenet: bool):
        return build_model(s.branch, image_size=size or DEFAULT_IMAGE_SIZE, imagenet=imagenet,
                           distance_head=imagenet)

    if s.resume and Path(s.out).exists():
        model = load_model(s.out, device=str(device), image_size=size)
    elif s.scratch or (s.branch == "reference" and s.init_weights is None):
        model = fresh(imagenet=False)
    else:
        model = load_model(s.init_weights, device=str(device), image_size=size)
        if model.card.architecture != s.branch:
            model = fresh(imagenet=s.branch != "reference")
    if size is not None:
        model.card.image_size = check_image_size(model.card.architecture, size)
    return model.to(device)


def csv_training_data(train_csv: str | Path, boxes_csv: str | Path | None = None) -> tuple[TrainingData, list[Path]]:
    """(data, missing files) of an Image,Id CSV with optional Image,x0,y0,x1,y1 boxes; rows whose
    image file is missing are left out (the caller says so)."""
    from whaleid_gui.core.csv_io import read_boxes, read_labels

    rows = read_labels(train_csv)
    boxes = read_boxes(boxes_csv) if boxes_csv else {}
    photos, missing = [], []
    for i, row in enumerate(rows):
        if row.path.is_file():
            photos.append(TrainingPhoto(i, row.path, str(row.id), boxes.get(row.path.resolve())))
        else:
            missing.append(row.path)
    return TrainingData(photos), missing


def project_training_data(folder: str | Path) -> TrainingData:
    """A project's confirmed photos and its scientists' rejections (known hard negatives)."""
    from whaleid_gui.core import training_data
    from whaleid_gui.core.catalog.store import ProjectStore

    store = ProjectStore.open(folder, read_only=True)
    try:
        return training_data.gather(store)
    finally:
        store.close()


def train_model(s: TrainSettings, read_data: Callable[[], TrainingData],
                trained_in: str) -> Generator[Any, None, TrainOutcome]:
    """Generator: yields Progress, ModelReady and core EpochReport events; returns a TrainOutcome.
    Cancel between two yields; a cancelled run resumes from its .resume file. trained_in: what ran
    it, for the model card ("WhaleID training panel", "whaleid train")."""
    from whaleid_gui.core import training_data
    from whaleid_gui.core.errors import WhaleIDError
    from whaleid_gui.core.model.checkpoint import weights_id_of
    from whaleid_gui.core.training import state_path, train_job

    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    config = train_config(s)
    if not s.resume:  # Resume reads these back, never the form
        write_train_settings(s, config)
    yield Step(0, 1, "Reading the catalog")
    if s.resume:
        if not state_path(Path(s.out)).exists():
            raise WhaleIDError(f"{state_path(Path(s.out))}: nothing to resume (no interrupted run here)")
        if not settings_path(s.out).exists():  # a run from before settings were saved: its state says
            from .recover_run import recovered_settings

            s = recovered_settings(s)
            config = train_config(s)
            write_train_settings(s, config)
    data = read_data()
    yield Step(0, 1, "Loading the model")
    summary = training_data.summarize(data, s.validation_fraction, s.seed)
    model = initial_model(s)
    yield ModelReady(0, 1, f"Training {model.card.architecture} at {model.image_size} px on {model.device.type}",
                     architecture=model.card.architecture, image_size=int(model.image_size),
                     device=model.device.type, summary=summary)
    reports = yield from sub(train_job(model, data.items(), data.ids, s.out, config, resume=s.resume,
                                       known_negatives=data.known_negatives))
    card = model.card.to_dict() if hasattr(model.card, "to_dict") else {}
    card = {**card, "weights_file": Path(s.out).name, "trained_in": trained_in,
            "data_summary": summary.__dict__, "settings": dict(s.__dict__)}
    written = write_json(card_path(s.out), card)
    return TrainOutcome(weights=str(s.out), weights_id=weights_id_of(s.out), card=str(written),
                        reports=list(reports or []), summary=summary, settings=s, started_at=started,
                        finished_at=time.strftime("%Y-%m-%dT%H:%M:%S"))


def train_project(folder: str | Path, s: TrainSettings) -> Generator[Any, None, TrainOutcome]:
    """The training panel's job: fine-tune on the project's confirmed photos (see train_model)."""
    return (yield from train_model(s, lambda: project_training_data(folder), "WhaleID training panel"))


# ------------------------------------------------------------------------------- before a run
def k_preset(epochs: int) -> list[float]:
    """ALGORITHM.md's K schedule scaled to the epochs (core.mining.k_schedule; numpy only)."""
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


def training_summary(folder: str | Path, fraction: float, seed: int) -> DataSummary:
    """The data the panel shows before a run: photos, individuals, train/validation split."""
    from whaleid_gui.core import training_data

    return training_data.summarize(project_training_data(folder), fraction, seed)
