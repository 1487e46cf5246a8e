"""Procedural humpback fluke photos with known identities and exact boxes.

Used for the demo project (`whaleid demo DIR`), tests and training experiments
without real data. Every individual (FlukeIdentity) has a fixed outline with its
own trailing-edge marks and a fixed underside pattern; every photo of it draws a
new pose, scale, light, sea, water line, spray, occlusion, blur and noise. The
box of each photo is measured from the rendered tail mask, so it is exact. A few demo queries are
upside-down or mirrored, as in real archives (a camera held wrongly, a slide scanned from the back):
the scientist's rotate/mirror fix (R, M) must bring them back; orientations.csv says which.

The drawing lives in synthetic_parts/ (shape, pigment, scene, render); this
module holds the public API. numpy + PIL (+ scipy) only: no Qt, no torch.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
from PIL import Image

from .boxes import BoundingBox
from .labels import NEW_WHALE
from .synthetic_parts.pigment import CanonicalFluke, PigmentParams, build_canonical
from .synthetic_parts.render import Rendered, render
from .synthetic_parts.shape import ShapeParams

try:  # the lead's progress event; a stand-in keeps this module usable on its own
    from .progress import Progress
except ImportError:  # pragma: no cover - only before progress.py exists
    class Progress(NamedTuple):  # type: ignore[no-redef]
        done: int
        total: int
        message: str = ""

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class FlukeIdentity:
    """What makes one whale recognisable: outline + trailing edge + pigment and scars."""

    shape: ShapeParams
    pigment: PigmentParams

    @classmethod
    def random(cls, rng: np.random.Generator) -> "FlukeIdentity":
        return cls(ShapeParams.random(rng), PigmentParams.random(rng))

    def canonical(self) -> CanonicalFluke:
        """The individual drawn once in its own frame (cached: photos only warp it)."""
        return _canonical(self)


@functools.lru_cache(maxsize=32)
def _canonical(identity: FlukeIdentity) -> CanonicalFluke:
    return build_canonical(identity.shape, identity.pigment)


def render_details(individual: FlukeIdentity, rng: np.random.Generator,
                   size: tuple[int, int] = (640, 427)) -> Rendered:
    """Like render_photo, plus the visible fluke mask and the pose (for tests and tools)."""
    return render(individual.canonical(), rng, (int(size[0]), int(size[1])))


def render_photo(individual: FlukeIdentity, rng: np.random.Generator,
                 size: tuple[int, int] = (640, 427)) -> tuple[Image.Image, BoundingBox]:
    """One RGB photo of `individual` and the box of the visible tail (clipped to the photo)."""
    out = render_details(individual, rng, size)
    w, h = out.image.size
    return out.image, BoundingBox(*out.box).clipped(w, h)


class CatalogRow(NamedTuple):
    image: str  # path relative to the output folder, e.g. "images/img_0001.jpg"
    individual: str
    box: BoundingBox


def individual_code(number: int, prefix: str = "HW") -> str:
    return f"{prefix}-{number:04d}"


def _identity(seed: int, number: int) -> FlukeIdentity:
    # one stream per individual number, so an individual never depends on how many others exist
    return FlukeIdentity.random(np.random.default_rng([seed, 1, number]))


def _photo_rng(seed: int, group: int, number: int, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, 2, group, number, k])


UPRIGHT, UPSIDE_DOWN, MIRRORED = "upright", "upside-down", "mirrored"


def oriented(image: Image.Image, box: BoundingBox, orientation: str) -> tuple[Image.Image, BoundingBox]:
    """The photo as an upside-down or mirrored original would look, and its box in that frame."""
    w, h = image.size
    if orientation == UPSIDE_DOWN:
        return image.transpose(Image.Transpose.ROTATE_180), BoundingBox(w - box.x1, h - box.y1, w - box.x0, h - box.y0)
    if orientation == MIRRORED:
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), BoundingBox(w - box.x1, box.y0, w - box.x0, box.y1)
    return image, box


class _Job(NamedTuple):
    file_name: str
    label: str  # what the CSV says (an individual code, or new_whale)
    number: int  # the individual drawn
    group: int  # separates photo streams of different sets
    k: int  # photo index within the individual and group
    orientation: str = UPRIGHT  # how the photo is stored (the fix that brings it back: orientations.csv)


def _render_jobs(out_dir: Path, jobs: list[_Job], size: tuple[int, int], seed: int, quality: int,
                 progress: ProgressCallback | None, done0: int = 0, total: int | None = None
                 ) -> list[CatalogRow]:
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    total = len(jobs) if total is None else total
    rows: list[CatalogRow | None] = [None] * len(jobs)
    # render grouped by individual so each one's canonical drawing is built once
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].number)
    for done, i in enumerate(order, start=1):
        job = jobs[i]
        img, box = render_photo(_identity(seed, job.number), _photo_rng(seed, job.group, job.number, job.k), size)
        img, box = oriented(img, box, job.orientation)
        img.save(images / job.file_name, "JPEG", quality=quality)
        rows[i] = CatalogRow(f"images/{job.file_name}", job.label, box)
        if progress is not None:
            progress(Progress(done0 + done, total, job.file_name))
    return rows  # type: ignore[return-value]


def _write_labels(path: Path, rows: list[CatalogRow]) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Image", "Id"])
        out.writerows((r.image, r.individual) for r in rows)


def _write_boxes(path: Path, rows: list[CatalogRow]) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Image", "x0", "y0", "x1", "y1"])
        out.writerows((r.image, *(f"{v:.1f}" for v in r.box.as_tuple())) for r in rows)


def _photo_jobs(rng: np.random.Generator, numbers: list[int], counts: tuple[int, int], prefix: str,
                group: int, label_prefix: str = "HW") -> list[_Job]:
    jobs: list[_Job] = []
    for number in numbers:
        for k in range(int(rng.integers(counts[0], counts[1] + 1))):
            jobs.append(_Job(f"{prefix}{len(jobs) + 1:04d}.jpg", individual_code(number, label_prefix),
                             number, group, k))
    return jobs


def generate_catalog(out_dir: str | Path, n_individuals: int = 20,
                     photos_per_individual: tuple[int, int] = (2, 6),
                     image_size: tuple[int, int] = (640, 427), seed: int = 0,
                     progress: ProgressCallback | None = None, *, size: tuple[int, int] | None = None,
                     prefix: str = "HW", first_number: int = 1, quality: int = 90) -> list[CatalogRow]:
    """Render n_individuals whales with a random number of photos each into out_dir/images.

    Also writes out_dir/catalog.csv (Image,Id) and out_dir/boxes.csv (Image,x0,y0,x1,y1).
    `size` is an alias of image_size. Returns one CatalogRow per photo.
    """
    out = Path(out_dir)
    width, height = size or image_size
    rng = np.random.default_rng([seed, 3])
    numbers = list(range(first_number, first_number + n_individuals))
    jobs = _photo_jobs(rng, numbers, photos_per_individual, "img_", group=0, label_prefix=prefix)
    rows = _render_jobs(out, jobs, (int(width), int(height)), seed, quality, progress)
    _write_labels(out / "catalog.csv", rows)
    _write_boxes(out / "boxes.csv", rows)
    return rows


@dataclass(frozen=True)
class DemoPaths:
    root: Path
    references_csv: Path
    train_csv: Path
    queries_csv: Path
    boxes_csv: Path
    images_dir: Path
    orientations_csv: Path | None = None  # Image,rotation,flip of the queries stored turned


@dataclass(frozen=True)
class _DemoSizes:
    references: int  # individuals in the catalog
    ref_photos: tuple[int, int]
    known_queries: int  # queries of catalogued individuals
    unknown: int  # individuals seen only as queries (truth new_whale)
    unknown_queries: int
    train: int  # training individuals, disjoint from the above
    train_photos: tuple[int, int]
    size: tuple[int, int]
    turned: int = 0  # queries of catalogued whales stored upside-down or mirrored (alternately)


DEFAULT_SIZES = _DemoSizes(40, (1, 4), 48, 9, 12, 60, (3, 5), (640, 427), turned=4)
SMALL_SIZES = _DemoSizes(6, (1, 3), 6, 2, 2, 8, (2, 3), (256, 171))
TRAIN_FIRST_NUMBER = 1001  # training whales get HW-1001.. so they never collide with catalog ones


def write_demo(out_dir: str | Path, seed: int = 0, small: bool = False,
               progress: ProgressCallback | None = None) -> DemoPaths:
    """A ready-made demo: a reference catalog, queries to match and a training set.

    references.csv: the catalog (Image,Id). queries.csv: new photos of catalogued whales
    plus some of whales not in the catalog (Id new_whale). train.csv: other individuals
    (disjoint ids) to train on, so evaluation is on held-out whales. boxes.csv: every image.
    """
    out = Path(out_dir)
    sz = SMALL_SIZES if small else DEFAULT_SIZES
    rng = np.random.default_rng([seed, 4])
    ref_numbers = list(range(1, sz.references + 1))
    unknown_numbers = list(range(sz.references + 1, sz.references + sz.unknown + 1))
    train_numbers = list(range(TRAIN_FIRST_NUMBER, TRAIN_FIRST_NUMBER + sz.train))

    ref_jobs = _photo_jobs(rng, ref_numbers, sz.ref_photos, "ref_", group=1)
    # queries: each catalogued whale at least once while there are enough queries, then random ones
    picks = list(rng.permutation(ref_numbers))[:sz.known_queries]
    picks += list(rng.choice(ref_numbers, max(0, sz.known_queries - len(picks))))
    picks_unknown = list(unknown_numbers) + list(rng.choice(unknown_numbers, max(0, sz.unknown_queries
                                                                                   - len(unknown_numbers))))
    query_specs = [(int(n), individual_code(int(n))) for n in picks]
    query_specs += [(int(n), NEW_WHALE) for n in picks_unknown[:sz.unknown_queries]]
    order = rng.permutation(len(query_specs))
    query_jobs: list[_Job] = []
    seen: dict[int, int] = {}
    for i, j in enumerate(order):
        number, label = query_specs[j]
        seen[number] = seen.get(number, 0) + 1
        query_jobs.append(_Job(f"q_{i + 1:04d}.jpg", label, number, 2, seen[number]))
    train_jobs = _photo_jobs(rng, train_numbers, sz.train_photos, "train_", group=3)
    query_jobs = turn_some(query_jobs, sz.turned, np.random.default_rng([seed, 5]))

    total = len(ref_jobs) + len(query_jobs) + len(train_jobs)
    refs = _render_jobs(out, ref_jobs, sz.size, seed, 90, progress, 0, total)
    queries = _render_jobs(out, query_jobs, sz.size, seed, 90, progress, len(refs), total)
    train = _render_jobs(out, train_jobs, sz.size, seed, 90, progress, len(refs) + len(queries), total)

    paths = DemoPaths(root=out, references_csv=out / "references.csv", train_csv=out / "train.csv",
                      queries_csv=out / "queries.csv", boxes_csv=out / "boxes.csv", images_dir=out / "images",
                      orientations_csv=out / "orientations.csv")
    _write_labels(paths.references_csv, refs)
    _write_labels(paths.queries_csv, queries)
    _write_labels(paths.train_csv, train)
    _write_boxes(paths.boxes_csv, refs + queries + train)
    with open(out / "orientations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Image", "rotation", "flip"])  # the fix each turned photo needs (R: 180, M: flip)
        w.writerows((f"images/{j.file_name}", 180 if j.orientation == UPSIDE_DOWN else 0,
                     j.orientation == MIRRORED) for j in query_jobs if j.orientation != UPRIGHT)
    return paths


def turn_some(jobs: list[_Job], n: int, rng: np.random.Generator) -> list[_Job]:
    """n of the catalogued whales' photos stored turned, alternately upside-down and mirrored (a
    stream of its own: the rest of the demo does not change with n)."""
    known = [i for i, j in enumerate(jobs) if j.label != NEW_WHALE]
    picked = sorted(rng.choice(known, size=min(n, len(known)), replace=False)) if n and known else []
    out = list(jobs)
    for k, i in enumerate(picked):
        out[int(i)] = jobs[int(i)]._replace(orientation=UPSIDE_DOWN if k % 2 == 0 else MIRRORED)
    return out
