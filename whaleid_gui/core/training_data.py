"""The training data of a project: its confirmed photos, and the scientists' rejections as known
hard negatives.

Plain data only (no torch at import): the training panel shows the summary before anything
heavy loads. The split into train and validation is core.training's own (whole individuals go
to validation), so the panel, the trainer and the model comparison all see the same split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .boxes import BoundingBox


@dataclass(frozen=True)
class TrainingPhoto:
    photo_id: int
    path: Path
    code: str  # the individual (current code, after renames and merges)
    box: BoundingBox | None = None
    rotation: int = 0
    flip: bool = False


@dataclass(frozen=True)
class TrainingData:
    photos: list[TrainingPhoto]
    # (i, j) indices into `photos`: photo i was compared with j's individual and rejected by a
    # scientist (a pair the model confused; core.training uses it as a hard negative)
    known_negatives: list[tuple[int, int]] = field(default_factory=list)
    rejections: int = 0  # rejected decisions in the project (not all give pairs: see gather)

    @property
    def ids(self) -> list[str]:
        return [p.code for p in self.photos]

    def items(self) -> list:
        """The photos as the engine's ImageItems (imports the engine: call in a worker)."""
        from .features import ImageItem

        return [ImageItem(p.path, p.box, rotation=p.rotation, flip=p.flip) for p in self.photos]


@dataclass(frozen=True)
class DataSummary:
    photos: int  # confirmed photos in the project
    individuals: int
    usable_photos: int  # in individuals with 2+ photos (the others cannot form a matching pair)
    usable_individuals: int
    train_photos: int
    train_individuals: int
    val_photos: int
    val_individuals: int
    known_negatives: int
    rejections: int

    def text(self) -> str:
        return (f"{self.photos} confirmed photos of {self.individuals} individuals; "
                f"{self.usable_photos} photos of {self.usable_individuals} individuals with 2+ photos are used: "
                f"train {self.train_photos} photos / {self.train_individuals} individuals, "
                f"validation {self.val_photos} photos / {self.val_individuals} individuals; "
                f"{self.known_negatives} known hard-negative pairs from {self.rejections} rejections")


def gather(store) -> TrainingData:
    """Every confirmed photo of the project (store.references()) with its current box and
    orientation, and the rejections that give known negative pairs.

    A rejection "photo P is not individual X" gives the pairs (P, each photo of X) when P itself
    was identified later (it must be a training photo to be paired); undone rejections are ignored.
    """
    refs = list(store.references())
    by_path = {str(p.path): p for p in store.photos()}
    boxes = store.current_boxes() if hasattr(store, "current_boxes") else {}
    photos: list[TrainingPhoto] = []
    for path, code, box in refs:
        row = by_path.get(str(path))
        if row is None:
            continue
        b = boxes.get(row.id)
        photos.append(TrainingPhoto(row.id, Path(path), code, box,
                                    int(b.rotation or 0) if b is not None else 0,
                                    bool(b.flip) if b is not None else False))
    index_of_photo = {p.photo_id: i for i, p in enumerate(photos)}
    by_code: dict[str, list[int]] = {}
    for i, p in enumerate(photos):
        by_code.setdefault(p.code, []).append(i)
    pairs: set[tuple[int, int]] = set()
    rejections = 0
    for d in store.decisions(include_undone=False):
        if d.decision != "rejected" or d.individual_id is None:
            continue
        rejections += 1
        q = index_of_photo.get(d.photo_id)
        if q is None:
            continue
        code = _current_code(store, d.individual_id)
        if code is None:  # the individual is gone (undone): nothing to pair with
            continue
        for j in by_code.get(code, []):
            if photos[j].code != photos[q].code:  # a later confirmation overrides the rejection
                pairs.add((q, j))
    return TrainingData(photos, sorted(pairs), rejections)


def _current_code(store, individual_id: int) -> str | None:
    try:
        ind = store.individual(individual_id)
        now = store.individual_by_code(ind.code)  # follows merges
        return now.code if now is not None else ind.code
    except Exception:  # an individual removed by an undo: no pairs
        return None


def split(data: TrainingData, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, validation) indices into data.photos, exactly as core.training splits them
    (photos of individuals with 2+ photos only; whole individuals to validation)."""
    from .training import split_by_individual, training_set  # torch: worker only

    ids = data.ids
    kept_items, kept_ids = training_set(list(range(len(ids))), ids)
    train_idx, val_idx = split_by_individual(kept_ids, fraction, seed)
    return [int(kept_items[i]) for i in train_idx], [int(kept_items[i]) for i in val_idx]


def summarize(data: TrainingData, fraction: float, seed: int) -> DataSummary:
    train, val = split(data, fraction, seed)
    ids = data.ids
    return DataSummary(
        photos=len(ids), individuals=len(set(ids)),
        usable_photos=len(train) + len(val), usable_individuals=len({ids[i] for i in train + val}),
        train_photos=len(train), train_individuals=len({ids[i] for i in train}),
        val_photos=len(val), val_individuals=len({ids[i] for i in val}),
        known_negatives=len(data.known_negatives), rejections=data.rejections,
    )
