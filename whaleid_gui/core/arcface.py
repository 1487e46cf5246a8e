"""ArcFace (additive angular margin) on the branch embeddings: the classification-style metric
learning of the best Kaggle whale entries. Each training individual is a class with a learned
centre on the unit sphere; the target logit is s * cos(theta + m). After training, photos are
compared by the cosine of their embeddings (the class centres are discarded)."""

from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


class ArcMarginHead(nn.Module):
    def __init__(self, feature_size: int, n_classes: int, scale: float = 30.0, margin: float = 0.3):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, feature_size))
        nn.init.xavier_uniform_(self.weight)
        self.scale = scale
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, cosine logits without margin) for a batch."""
        cosine = F.linear(F.normalize(embeddings.float(), dim=1), F.normalize(self.weight, dim=1))
        cosine = cosine.clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cosine)
        target = torch.cos(theta + self.margin)
        # Past pi - m the angle would wrap: fall back to a linear penalty (as in InsightFace).
        target = torch.where(theta + self.margin < math.pi, target, cosine - self.margin * math.sin(self.margin))
        onehot = F.one_hot(labels, num_classes=cosine.shape[1]).bool()
        logits = torch.where(onehot, target, cosine) * self.scale
        return F.cross_entropy(logits, labels), cosine
