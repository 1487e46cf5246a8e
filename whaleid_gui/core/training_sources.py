"""Where training pairs get their inputs from.

CropSource (full fine-tuning): every side of every pair is a freshly augmented crop that runs
through the whole branch.
TrunkCacheSource (fast mode, for CPU-only labs): the early backbone is frozen; the trunk activations
of a few augmented crops per photo are computed once and cached in memory (bf16), and each epoch
trains only the last stages, projection and head on them. Scoring for mining runs the small tail
over the unaugmented copy, so it is cheap too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .augment import Augment
from .errors import WhaleIDError
from .features import ImageItem, crops_tensor, item_crop, iter_features, model_input_style
from .input_style import FLUKE
from .model.siamese import bf16_supported
from .progress import Progress, drive

ENCODE_BATCH = 16


class CropSource:
    fast = False

    def __init__(self, items: Sequence[ImageItem], size: int, augment: Augment, seed: int):
        self.items = list(items)
        self.size = size
        self.augment = augment
        self.seed = seed
        self.style = FLUKE  # the model's own input style, read in build()

    def build(self, model):
        self.style = model_input_style(model)
        yield Progress(1, 1, "inputs ready")

    def load(self, indices: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        crops = [item_crop(self.items[i], self.size, self.augment, rng, self.style) for i in indices]
        return crops_tensor(crops)

    def encode(self, model, batch: torch.Tensor) -> torch.Tensor:
        return model.branch(batch)

    def mining_features(self, model) -> np.ndarray:
        result = drive(iter_features(model, self.items, cache=None))
        if result.errors:
            first = next(iter(result.errors.values()))
            raise WhaleIDError(f"{len(result.errors)} training photo(s) cannot be read, first: {first}")
        return result.features


class TrunkCacheSource(CropSource):
    fast = True

    def __init__(self, items: Sequence[ImageItem], size: int, augment: Augment, seed: int, copies: int = 4):
        super().__init__(items, size, augment, seed)
        self.copies = copies
        self.cache: torch.Tensor | None = None  # (n_images, copies, C, H, W) bf16

    @staticmethod
    def freeze_trunk(model) -> None:
        if not hasattr(model.branch, "trunk_modules"):
            raise WhaleIDError(f"fast mode needs the efficientnet-lite0 branch, not {model.card.architecture}")
        for module in model.branch.trunk_modules():
            for p in module.parameters():
                p.requires_grad_(False)

    def build(self, model):
        """Job: computes the trunk cache (copy 0 unaugmented, the others augmented)."""
        n = len(self.items)
        device = model.device
        self.style = model_input_style(model)
        rng = np.random.default_rng([self.seed, 7919])
        jobs = [(i, c) for i in range(n) for c in range(self.copies)]
        model.eval()
        for start in range(0, len(jobs), ENCODE_BATCH):
            chunk = jobs[start:start + ENCODE_BATCH]
            crops = [item_crop(self.items[i], self.size, self.augment if c else None, rng, self.style) for i, c in chunk]
            x = crops_tensor(crops).to(device)
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16_supported(device)):
                h = model.branch.forward_trunk(x).to(torch.bfloat16)
            if self.cache is None:
                self.cache = torch.empty((n, self.copies, *h.shape[1:]), dtype=torch.bfloat16, device=device)
            for (i, c), act in zip(chunk, h):
                self.cache[i, c] = act
            yield Progress(min(start + ENCODE_BATCH, len(jobs)), len(jobs), "caching frozen backbone features")

    def load(self, indices: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        copies = rng.integers(0, self.copies, size=len(indices))
        return self._built()[torch.as_tensor(indices), torch.as_tensor(copies)].float()

    def _built(self) -> torch.Tensor:
        if self.cache is None:
            raise RuntimeError("TrunkCacheSource: build() has not run")
        return self.cache

    def encode(self, model, batch: torch.Tensor) -> torch.Tensor:
        return model.branch.forward_tail(batch)

    def mining_features(self, model) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(self.items), 64):
                h = self._built()[start:start + 64, 0].float()
                out.append(model.branch.forward_tail(h).float().cpu().numpy())
        return np.concatenate(out)
