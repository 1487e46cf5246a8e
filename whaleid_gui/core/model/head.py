"""The Siamese head of ALGORITHM.md (706 parameters for 512 features).

For each feature j of a pair (x, y): v_j = [x*y, x+y, |x-y|, (x-y)^2] -> Linear(4, 32) + ReLU ->
Linear(32, 1), shared across features; then Linear(512, 1) over the 512 values; sigmoid.
Every input is symmetric in (x, y), so score(a, b) == score(b, a) by construction.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

HIDDEN = 32


class PairHead(nn.Module):
    def __init__(self, feature_size: int = 512, hidden: int = HIDDEN):
        super().__init__()
        self.feature_size = feature_size
        self.per_feature = nn.Linear(4, hidden)
        self.per_feature_out = nn.Linear(hidden, 1)
        self.combine = nn.Linear(feature_size, 1)

    @staticmethod
    def pair_terms(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d = x - y
        return torch.stack([x * y, x + y, d.abs(), d * d], dim=-1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Logits (N,) for the pairs (x[i], y[i]); apply sigmoid for a score in [0, 1]."""
        hidden = F.relu(self.per_feature(self.pair_terms(x, y)))
        per_feature = self.per_feature_out(hidden).squeeze(-1)
        return self.combine(per_feature).squeeze(-1)

    def init_as_distance(self, sharpness: float = 6.0, midpoint: float = 1.0) -> None:
        """Make the head a feature-distance comparator: score = sigmoid(sharpness * (midpoint - mean_j (x_j - y_j)^2 / 2)).

        Used before any training so that ranking follows feature distance. For features that are
        L2-normalised times sqrt(D) (the EfficientNet branch), mean_j (x-y)^2 / 2 = 1 - cos(x, y),
        so the default midpoint puts score 0.5 at cosine 0.
        """
        with torch.no_grad():
            self.per_feature.weight.zero_()
            self.per_feature.bias.zero_()
            self.per_feature.weight[0, 3] = 1.0  # hidden unit 0 = relu((x-y)^2) = (x-y)^2
            self.per_feature_out.weight.zero_()
            self.per_feature_out.weight[0, 0] = 1.0
            self.per_feature_out.bias.zero_()
            self.combine.weight.fill_(-sharpness / (2.0 * self.feature_size))
            self.combine.bias.fill_(sharpness * midpoint)

    def kernel_weights(self) -> dict[str, np.ndarray | float]:
        """The weights as float32 arrays for the fused score-matrix kernel (see head_kernel.py)."""
        u = self.combine.weight.detach().float().cpu().numpy()[0]
        b2 = float(self.per_feature_out.bias.detach().float().cpu()[0])
        return {
            "w1": self.per_feature.weight.detach().float().cpu().numpy().astype(np.float32),
            "b1": self.per_feature.bias.detach().float().cpu().numpy().astype(np.float32),
            "w2": self.per_feature_out.weight.detach().float().cpu().numpy()[0].astype(np.float32),
            "u": u.astype(np.float32),
            # Constant part of the logit: combine bias + b2 * sum of combine weights.
            "const": float(self.combine.bias.detach().float().cpu()[0]) + b2 * float(u.sum()),
        }
