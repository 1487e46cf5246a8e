"""SiameseModel = branch (image -> features) + head (pair of features -> score)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from .branch import Branch
from .head import PairHead
from .head_kernel import pair_logits, sigmoid

BRANCHES = ("efficientnet-lite0", "reference")
DEFAULT_IMAGE_SIZE = 384


MIN_IMAGE_SIZE = {"reference": 64, "efficientnet-lite0": 32}  # the branches' total stride


def check_image_size(architecture: str, size: int) -> int:
    from ..errors import WhaleIDError

    smallest = MIN_IMAGE_SIZE.get(architecture, 32)
    if size < smallest:
        raise WhaleIDError(f"image size {size} px is too small for the {architecture} branch (at least {smallest})")
    return size


def make_branch(name: str, imagenet: bool = True, feature_size: int = 512) -> Branch:
    if name == "reference":
        from .reference_branch import ReferenceBranch

        return ReferenceBranch()
    if name == "efficientnet-lite0":
        from .efficientnet_branch import EfficientNetLite0Branch

        return EfficientNetLite0Branch(imagenet=imagenet, feature_size=feature_size)
    raise ValueError(f"unknown branch {name!r}; choose one of {', '.join(BRANCHES)}")


@dataclass
class ModelCard:
    """What a weights file says about itself (stored inside the file)."""

    architecture: str
    image_size: int = DEFAULT_IMAGE_SIZE
    feature_size: int = 512
    created: str = ""
    training_data: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    notes: str = ""
    objective: str = "siamese"
    input_style: str = "gray-fluke"  # core.input_style: how a photo becomes the network's input
    # Score by the features after subtracting the catalog's mean feature (the zero-shot model:
    # what all photos of a catalog share, water and light, says nothing about who is who).
    centre_on_catalog: bool = False

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelCard":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class SiameseModel(nn.Module):
    """features(images) -> (N, D); pair_scores(x, y) -> (N,); score_matrix(A, B) -> (len A, len B)."""

    def __init__(self, branch: Branch, head: PairHead, card: ModelCard, weights_id: str):
        super().__init__()
        self.branch = branch
        self.head = head
        self.card = card
        self.weights_id = weights_id
        self._kernel_cache: tuple[int, dict] | None = None

    @property
    def image_size(self) -> int:
        return self.card.image_size

    @property
    def feature_size(self) -> int:
        return self.head.feature_size

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Training path: logits for pairs of images (N,1,S,S) x (N,1,S,S)."""
        return self.head(self.branch(x), self.branch(y))

    @torch.no_grad()
    def features(self, images: torch.Tensor, autocast: bool = True) -> torch.Tensor:
        """(N, 1, S, S) grayscale in [0, 1] -> (N, D) float32 features (eval mode, no gradient)."""
        was_training = self.training
        self.eval()
        images = images.to(self.device)
        dtype = torch.bfloat16
        enabled = autocast and bf16_supported(self.device)
        with torch.autocast(device_type=self.device.type, dtype=dtype, enabled=enabled):
            out = self.branch(images)
        self.train(was_training)
        return out.float()

    @torch.no_grad()
    def pair_scores(self, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> np.ndarray:
        if self.card.objective == "arcface":
            xn, yn = _normalized(np.asarray(x, dtype=np.float32)), _normalized(np.asarray(y, dtype=np.float32))
            return ((1 + (xn * yn).sum(axis=1)) / 2).astype(np.float32)
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        y = torch.as_tensor(np.asarray(y, dtype=np.float32))
        self.head.eval()
        return torch.sigmoid(self.head(x.to(self.device), y.to(self.device))).float().cpu().numpy()

    def _kernel_weights(self) -> dict:
        # Re-read the head after training steps: the version counter of the parameters tells.
        version = sum(p._version for p in self.head.parameters())
        if self._kernel_cache is None or self._kernel_cache[0] != version:
            self._kernel_cache = (version, self.head.kernel_weights())
        return self._kernel_cache[1]

    @torch.no_grad()
    def score_matrix(self, a: np.ndarray, b: np.ndarray, progress: Callable[[int, int], None] | None = None,
                     logits: bool = False) -> np.ndarray:
        """Head scores in [0, 1] (or logits) of every pair (a[i], b[j]), in bounded memory.

        On the CPU a fused numba kernel; on CUDA the head in chunks of rows."""
        a = np.asarray(a, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
        if self.card.objective == "arcface":
            # ArcFace models compare by cosine; (1 + cos) / 2 keeps scores in [0, 1].
            cos = _normalized(a) @ _normalized(b).T
            if progress is not None:
                progress(len(a), len(a))
            return np.log((1 + cos) / np.clip(1 - cos, 1e-7, None)) if logits else ((1 + cos) / 2).astype(np.float32)
        if self.device.type == "cuda":
            out = self._score_matrix_torch(a, b, progress)
        else:
            out = pair_logits(a, b, self._kernel_weights(), progress=progress)
        return out if logits else sigmoid(out)

    def _score_matrix_torch(self, a: np.ndarray, b: np.ndarray, progress) -> np.ndarray:
        self.head.eval()
        bt = torch.as_tensor(b, device=self.device)
        # The hidden layer holds rows * len(b) * D * 32 float32 (128 bytes per pair-feature): keep it
        # near 512 MB (2**29 bytes) per chunk.
        rows = max(1, int(2**22 // max(1, len(b) * self.feature_size)))
        out = np.empty((len(a), len(b)), dtype=np.float32)
        for start in range(0, len(a), rows):
            at = torch.as_tensor(a[start:start + rows], device=self.device)
            x = at[:, None, :].expand(-1, len(b), -1).reshape(-1, a.shape[1])
            y = bt[None].expand(len(at), -1, -1).reshape(-1, a.shape[1])
            out[start:start + len(at)] = self.head(x, y).reshape(len(at), len(b)).float().cpu().numpy()
            if progress is not None:
                progress(min(start + rows, len(a)), len(a))
        return out


def _normalized(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 autocast pays on this device. On a CPU only where it computes bf16 itself
    (AVX512-BF16 / AMX, cpu_bf16_is_fast): there it nearly doubled encoder throughput. On an
    AVX2-only CPU (most laptops) torch falls back to a reference path: measured 2026-12-03 on a
    2-core AMD EPYC, EfficientNet-Lite0 at 384 px ran 0.8 img/s in bf16 against 7.8 in fp32, and
    preparing a 1,000-photo catalog took 20 minutes instead of 2. WHALEID_NO_BF16=1 turns it off."""
    import os

    if os.environ.get("WHALEID_NO_BF16", "") == "1":
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_bf16_is_fast()
    return False


@functools.cache
def cpu_bf16_is_fast() -> bool:
    """oneDNN has bf16 kernels, and (where the CPU's flags can be read) the CPU computes bf16
    itself: oneDNN also says yes on AVX-512 CPUs without bf16 instructions, where it emulates
    them; that case was not measured here and is treated as slow."""
    try:
        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return False
    except (AttributeError, RuntimeError):  # a torch without oneDNN: no fast bf16 either
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), None)
    except OSError:  # not Linux: oneDNN's word
        return True
    return flags is None or "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(device: str = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU. An explicit 'cuda' without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        from ..errors import WhaleIDError

        raise WhaleIDError("--device cuda was asked for, but no CUDA GPU is available here")
    return torch.device(device)
