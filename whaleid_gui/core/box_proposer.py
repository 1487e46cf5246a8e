"""Box proposals: a small CNN that regresses the fluke's bounding box from the whole photo.

Reference design (the Kaggle humpback bounding-box model): the photo, in grayscale, is placed in
a 128 x 128 input whose square stands for a region of aspect 2.15 (width / height), i.e. the photo
is squashed horizontally by 2.15 like the identification crops. The whole photo stays visible: the
part of the square the photo does not cover is filled with the photo's mean gray. The network
predicts (x0, y0, x1, y1) normalised to the INPUT square (0..1); `Placement` maps that back to
pixels of the EXIF-oriented photo. Predicting in input coordinates (not photo coordinates) keeps
the target where the pixels are, which a small convolutional net learns more easily.

Weights files are a plain dict (format tag, model card, state_dict) written atomically and read
with torch.load(weights_only=True) only: no pickled code is ever executed. No Qt here (core).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from PIL import Image
from torch import nn

from .boxes import BoundingBox
from .errors import ImageError, WeightsError
from .photo_files import load_image
from .progress import Progress
from .shipped_files import model_weights_dir

__all__ = [
    "INPUT_SIZE",
    "ANISOTROPY",
    "DEFAULT_WEIGHTS",
    "FORMAT",
    "Placement",
    "place_photo",
    "BoxNet",
    "BoxProposer",
    "save_box_proposer",
    "read_box_weights",
    "iou_stats",
]

INPUT_SIZE = 128
ANISOTROPY = 2.15  # width / height of the photo region that fills the square input (reference)
DEFAULT_CHANNELS = (12, 24, 48, 64, 96)
FORMAT = "whaleid-box-proposer"
FORMAT_VERSION = 1
DEFAULT_WEIGHTS = model_weights_dir() / "box_proposer.pt"


# --------------------------------------------------------------------------------------------
# Geometry: photo <-> input square


@dataclass(frozen=True)
class Placement:
    """Where a photo (width x height px) lies in the size x size input: u = ox + x * sx."""

    width: int
    height: int
    sx: float  # input px per photo px, horizontally (squashed: smaller than sy by ~2.15)
    sy: float
    ox: float  # input position of the photo's left edge
    oy: float
    size: int = INPUT_SIZE

    def to_input(self, box: BoundingBox) -> np.ndarray:
        """The box as (x0, y0, x1, y1) normalised to the input square (0..1)."""
        x0, y0, x1, y1 = box.as_tuple()
        return np.array([self.ox + x0 * self.sx, self.oy + y0 * self.sy,
                         self.ox + x1 * self.sx, self.oy + y1 * self.sy], dtype=np.float64) / self.size

    def to_photo(self, t: Sequence[float]) -> BoundingBox:
        """A predicted (x0, y0, x1, y1) in input units (0..1) -> a box in photo pixels, clipped.

        The network may swap corners or predict a degenerate box; the result is always valid.
        """
        u = np.asarray(t, dtype=np.float64) * self.size
        xs = sorted(((u[0] - self.ox) / self.sx, (u[2] - self.ox) / self.sx))
        ys = sorted(((u[1] - self.oy) / self.sy, (u[3] - self.oy) / self.sy))
        x0 = min(max(xs[0], 0.0), self.width - 1.0)
        y0 = min(max(ys[0], 0.0), self.height - 1.0)
        x1 = max(min(xs[1], float(self.width)), x0 + 1.0)
        y1 = max(min(ys[1], float(self.height)), y0 + 1.0)
        return BoundingBox(float(x0), float(y0), float(x1), float(y1))


def _gray(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def place_photo(image: Image.Image, size: int = INPUT_SIZE, zoom_out: float = 1.0,
                offset: tuple[float, float] = (0.5, 0.5)) -> tuple[np.ndarray, Placement]:
    """The network input (float32 (size, size) in [0, 1]) and the photo's placement in it.

    The smallest region of aspect ANISOTROPY that holds the whole photo is mapped onto the square;
    the photo is resized (antialiased) to its share of the square and pasted on the photo's mean
    gray. zoom_out >= 1 shrinks the photo further and `offset` (0..1 each) says where it sits in the
    free space (training augmentation; inference uses the defaults: centred, no zoom).
    """
    gray = _gray(image)
    w, h = gray.size
    region_w = max(float(w), h * ANISOTROPY)
    region_h = region_w / ANISOTROPY
    nw = max(1, min(size, int(round(w * size / region_w / zoom_out))))
    nh = max(1, min(size, int(round(h * size / region_h / zoom_out))))
    hist = gray.histogram()
    mean = float(np.dot(hist, np.arange(256))) / max(w * h, 1) / 255.0
    # reducing_gap: big photos are first box-reduced by whole factors (fast), then resampled.
    small = gray.resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=3.0)
    ox = int(round((size - nw) * float(offset[0])))
    oy = int(round((size - nh) * float(offset[1])))
    out = np.full((size, size), mean, dtype=np.float32)
    out[oy:oy + nh, ox:ox + nw] = np.asarray(small, dtype=np.float32) / np.float32(255.0)
    # The actual scale of the integer-sized resize (not the nominal one), so boxes map exactly.
    return out, Placement(w, h, nw / w, nh / h, float(ox), float(oy), size)


# --------------------------------------------------------------------------------------------
# The network


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BoxNet(nn.Module):
    """5 stride-2 stages (128 -> 4 px) and a small fully connected head -> 4 numbers.

    The head flattens the 4 x 4 map instead of pooling it: a box is about WHERE things are,
    which global pooling would throw away. With the default channels: ~0.36 M parameters.
    """

    def __init__(self, channels: Sequence[int] = DEFAULT_CHANNELS, hidden: int = 128, size: int = INPUT_SIZE):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for i, cout in enumerate(channels):
            layers.append(_conv(cin, cout, 2))
            if 0 < i < len(channels) - 1:  # an extra 3x3 at the middle scales: more context, cheap
                layers.append(_conv(cout, cout, 1))
            cin = cout
        self.features = nn.Sequential(*layers)
        cells = size // (2 ** len(channels))
        out = nn.Linear(hidden, 4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cin * cells * cells, hidden), nn.ReLU(inplace=True), out)
        with torch.no_grad():  # start from a central box: the loss starts small and stable
            out.weight.mul_(0.1)
            out.bias.copy_(torch.tensor([0.25, 0.3, 0.75, 0.7]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Standardise each photo (mean 0, std 1): exposure and contrast vary a lot between surveys.
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-3)
        return self.head(self.features((x - mean) / std))


# --------------------------------------------------------------------------------------------
# Weights files


def _file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def save_box_proposer(net: BoxNet, path: str | Path, card: dict) -> str:
    """Write weights + model card atomically; returns the file's id (content hash)."""
    from .model.checkpoint import atomic_torch_save

    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "card": dict(card), "state_dict": state}
    atomic_torch_save(payload, path)
    return _file_id(Path(path))


def read_box_weights(path: str | Path) -> dict:
    """The validated payload of a box proposer weights file; WeightsError names the file and fault."""
    from .model.checkpoint import load_plain_payload

    path = Path(path)
    payload = load_plain_payload(path)
    if not isinstance(payload, dict):
        raise WeightsError(path, "not a WhaleID box proposer weights file")
    if payload.get("format") != FORMAT:
        if payload.get("format") == "whaleid-weights":
            raise WeightsError(path, "holds identification (Siamese) weights, not a box proposer")
        raise WeightsError(path, "not a WhaleID box proposer weights file (no box proposer model card inside)")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise WeightsError(path, f"made by a newer WhaleID (box proposer format {payload.get('format_version')})")
    if not isinstance(payload.get("card"), dict) or not isinstance(payload.get("state_dict"), dict):
        raise WeightsError(path, "box proposer weights file lacks its model card or its weights")
    return payload


def _net_from_payload(path: Path, payload: dict) -> BoxNet:
    card = payload["card"]
    try:
        net = BoxNet(tuple(int(c) for c in card.get("channels", DEFAULT_CHANNELS)), int(card.get("hidden", 128)),
                     int(card.get("input_size", INPUT_SIZE)))
        net.load_state_dict(payload["state_dict"], strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WeightsError(path, f"weights do not fit the box proposer architecture: {first}") from exc
    return net


# --------------------------------------------------------------------------------------------
# Inference


ProgressCallback = Callable[[Progress], None]


class BoxProposer:
    """Proposes the fluke's box for a photo. Load once, call many times (CPU, ~ms per photo)."""

    def __init__(self, net: BoxNet, card: dict | None = None, path: Path | None = None, weights_id: str = ""):
        self.net = net.eval()
        self.card = dict(card or {})
        self.path = path
        self.weights_id = weights_id
        self.input_size = int(self.card.get("input_size", INPUT_SIZE))

    @classmethod
    def load(cls, path: str | Path | None = None) -> "BoxProposer":
        """The weights at `path`, or the shipped default (model_weights/box_proposer.pt) for None."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        payload = read_box_weights(path)
        return cls(_net_from_payload(path, payload), payload["card"], path, _file_id(path))

    # one photo -------------------------------------------------------------------------------
    def _prepare(self, image_or_path) -> tuple[np.ndarray, Placement]:
        image = image_or_path if isinstance(image_or_path, Image.Image) else load_image(image_or_path)
        return place_photo(image, self.input_size)

    @torch.no_grad()
    def _predict(self, inputs: list[np.ndarray]) -> np.ndarray:
        batch = torch.from_numpy(np.stack(inputs)[:, None])
        return self.net(batch).double().numpy()

    def propose(self, image_or_path) -> BoundingBox:
        """The proposed box in pixels of the EXIF-oriented photo. Raises ImageError for a bad file."""
        x, placement = self._prepare(image_or_path)
        return placement.to_photo(self._predict([x])[0])

    def propose_many(self, paths: Iterable[str | Path], progress: ProgressCallback | None = None,
                     batch_size: int = 32) -> list[BoundingBox | ImageError]:
        """One result per path, in order: the box, or the ImageError of a photo that cannot be read."""
        paths = list(paths)
        results: list[BoundingBox | ImageError | None] = [None] * len(paths)
        pending: list[tuple[int, np.ndarray, Placement]] = []

        def flush() -> None:
            if pending:
                preds = self._predict([x for _, x, _ in pending])
                for (i, _, placement), t in zip(pending, preds):
                    results[i] = placement.to_photo(t)
                pending.clear()

        for i, path in enumerate(paths):
            try:
                x, placement = self._prepare(path)
                pending.append((i, x, placement))
            except ImageError as err:
                results[i] = err
            if len(pending) >= batch_size:
                flush()
            if progress is not None:
                progress(Progress(i + 1, len(paths), f"proposing boxes: {Path(path).name}"))
        flush()
        return results  # type: ignore[return-value]


def iou_stats(ious: Sequence[float]) -> dict:
    """Mean IoU and the shares above 0.5 and 0.7 (what the model card reports)."""
    a = np.asarray(list(ious), dtype=np.float64)
    if a.size == 0:
        return {"n": 0, "mean_iou": math.nan, "iou_gt_0.5": math.nan, "iou_gt_0.7": math.nan}
    return {"n": int(a.size), "mean_iou": round(float(a.mean()), 4), "iou_gt_0.5": round(float((a > 0.5).mean()), 4),
            "iou_gt_0.7": round(float((a > 0.7).mean()), 4)}
