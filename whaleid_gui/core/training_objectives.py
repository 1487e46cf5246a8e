"""The two training objectives behind one interface.

SiameseObjective (ALGORITHM.md): pairs, binary cross-entropy on the pair head; hard non-matching pairs
mined by a linear assignment on the score matrix every `mine_every` epochs.
ArcFaceObjective: batches of photos, additive-angular-margin softmax over the training individuals
on the branch embeddings; photos are then compared by cosine.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .arcface import ArcMarginHead
from .mining import NegativeMiner, matching_pairs

OBJECTIVES = ("siamese", "arcface")


class SiameseObjective:
    name = "siamese"

    def __init__(self, model, ids: Sequence[str], batch_size: int, mine_every: int,
                 known_negatives: Sequence[tuple[int, int]] = ()):
        self.ids = list(ids)
        self.batch_size = batch_size
        self.mine_every = mine_every
        self.miner = NegativeMiner(self.ids, known_negatives)
        self.mined_once = False

    def parameters(self) -> list[torch.nn.Parameter]:
        return []

    def state(self) -> dict:
        return {"used": torch.from_numpy(self.miner.used)}

    def load_state(self, state: dict) -> None:
        self.miner.used = state["used"].numpy().astype(bool)

    def plan_epoch(self, epoch: int, k: float, rng: np.random.Generator, source, model) -> tuple[list, dict]:
        t0 = time.perf_counter()
        if not self.mined_once or epoch % self.mine_every == 0:
            feats = source.mining_features(model)
            self.miner.set_scores(model.score_matrix(feats, feats))
            self.mined_once = True
        negatives = self.miner.epoch_pairs(k, rng)
        hard = float(self.miner.scores[negatives[:, 0], negatives[:, 1]].mean()) if len(negatives) else float("nan")
        pairs, labels = interleave(matching_pairs(self.ids, rng), negatives, rng)
        batches = [(pairs[s:s + self.batch_size], labels[s:s + self.batch_size])
                   for s in range(0, len(pairs), self.batch_size)]
        return batches, {"hard_pair_score": hard, "mining_seconds": time.perf_counter() - t0}

    def load(self, source, batch, rng) -> tuple:
        pairs, labels = batch
        return source.load(pairs[:, 0], rng), source.load(pairs[:, 1], rng), torch.from_numpy(labels)

    def step(self, model, source, inputs, device, use_amp: bool) -> tuple[torch.Tensor, float, int]:
        xa, xb, y = (t.to(device) for t in inputs)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = model.head(source.encode(model, xa), source.encode(model, xb))
        loss = F.binary_cross_entropy_with_logits(logits.float(), y)
        correct = float(((logits.detach().float() > 0) == (y > 0.5)).sum())
        return loss, correct, len(y)


class ArcFaceObjective:
    name = "arcface"
    # The class centres start random while the network starts pretrained: they learn at 10x the
    # network's rate (on real nyala photos, benchmarks/train_real.py, the head at the network's
    # rate was still near chance after the epochs a CPU run affords).
    LR_SCALE = 10.0

    def __init__(self, model, ids: Sequence[str], batch_size: int, **_ignored):
        names = sorted(set(ids))
        self.labels = np.array([names.index(i) for i in ids], dtype=np.int64)
        # Pairs carry two photos each: twice the photos per step gives the same work per step.
        self.batch_size = 2 * batch_size
        self.head = ArcMarginHead(model.feature_size, len(names)).to(model.device)
        self.imprinted = False

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.head.parameters())

    def state(self) -> dict:
        return {"arcface": self.head.state_dict()}

    def load_state(self, state: dict) -> None:
        self.head.load_state_dict(state["arcface"])
        self.imprinted = True  # a resumed run keeps its learned centres

    def imprint(self, source, model) -> None:
        """Each class centre starts at the mean direction of its photos' embeddings (weight
        imprinting) instead of a random direction: the first epochs then refine a pretrained
        network instead of pulling it towards random centres (the validation dip after epoch 1)."""
        feats = torch.from_numpy(np.asarray(source.mining_features(model), dtype=np.float32))
        feats = F.normalize(feats, dim=1)
        labels = torch.from_numpy(self.labels)
        sums = torch.zeros(self.head.weight.shape, dtype=torch.float32).index_add_(0, labels, feats)
        with torch.no_grad():
            self.head.weight.copy_(F.normalize(sums, dim=1).to(self.head.weight.device))
        self.imprinted = True

    def plan_epoch(self, epoch: int, k: float, rng: np.random.Generator, source, model) -> tuple[list, dict]:
        t0 = time.perf_counter()
        if not self.imprinted:
            self.imprint(source, model)
        order = rng.permutation(len(self.labels))
        batches = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        return batches, {"hard_pair_score": float("nan"), "mining_seconds": time.perf_counter() - t0}

    def load(self, source, batch, rng) -> tuple:
        return source.load(batch, rng), torch.from_numpy(self.labels[batch])

    def step(self, model, source, inputs, device, use_amp: bool) -> tuple[torch.Tensor, float, int]:
        x, y = (t.to(device) for t in inputs)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
            emb = source.encode(model, x)
        loss, cosine = self.head(emb.float(), y)
        correct = float((cosine.argmax(dim=1) == y).sum())
        return loss, correct, len(y)


def make_objective(name: str, model, ids, batch_size: int, mine_every: int, known_negatives=()):
    if name == "siamese":
        return SiameseObjective(model, ids, batch_size, mine_every, known_negatives)
    if name == "arcface":
        return ArcFaceObjective(model, ids, batch_size)
    raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}")


def interleave(positives: np.ndarray, negatives: np.ndarray, rng: np.random.Generator):
    """Alternate matching and non-matching pairs (labels 1, 0), each list shuffled."""
    positives = positives[rng.permutation(len(positives))]
    negatives = negatives[rng.permutation(len(negatives))]
    n = max(len(positives), len(negatives))
    pairs, labels = [], []
    for i in range(n):
        if i < len(positives):
            pairs.append(positives[i])
            labels.append(1.0)
        if i < len(negatives):
            pairs.append(negatives[i])
            labels.append(0.0)
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2), np.asarray(labels, dtype=np.float32)
