"""The reference branch of ALGORITHM.md: a ResNet-like encoder of a 1-channel crop into 512 features.

Keras defaults are kept where they change behaviour: BatchNorm momentum 0.01 (Keras 0.99) and
eps 1e-3, "same" padding with biases on every convolution.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .branch import Branch

BN_MOMENTUM = 0.01
BN_EPS = 1e-3
STAGES = ((128, 64), (256, 64), (384, 96), (512, 128))  # (channels C, bottleneck f)
SUBBLOCKS_PER_STAGE = 4


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Conv2d:
    # With stride 2 "same" padding of Keras pads unevenly; k//2 is the closest symmetric choice.
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True)


class Subblock(nn.Module):
    """x = BN(x); y = conv1x1_C(BN(relu(conv3x3_f(BN(relu(conv1x1_f(x))))))); out = relu(x + y)."""

    def __init__(self, channels: int, bottleneck: int):
        super().__init__()
        self.bn_in = _bn(channels)
        self.reduce = _conv(channels, bottleneck, 1)
        self.bn_mid = _bn(bottleneck)
        self.conv = _conv(bottleneck, bottleneck, 3)
        self.bn_out = _bn(bottleneck)
        self.expand = _conv(bottleneck, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn_in(x)
        y = F.relu(self.reduce(x))
        y = F.relu(self.conv(self.bn_mid(y)))
        y = self.expand(self.bn_out(y))
        return F.relu(x + y)


class Stage(nn.Module):
    """maxpool 2 -> BN -> conv1x1 to C + ReLU -> 4 subblocks."""

    def __init__(self, cin: int, channels: int, bottleneck: int):
        super().__init__()
        self.bn = _bn(cin)
        self.widen = _conv(cin, channels, 1)
        self.blocks = nn.Sequential(*[Subblock(channels, bottleneck) for _ in range(SUBBLOCKS_PER_STAGE)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(x, 2)
        x = F.relu(self.widen(self.bn(x)))
        return self.blocks(x)


class ReferenceBranch(Branch):
    """Input (N, 1, S, S) grayscale in [0, 1]; output (N, 512) features (global max pool)."""

    name = "reference"
    feature_size = 512

    def __init__(self) -> None:
        super().__init__()
        self.stem = _conv(1, 64, 9, stride=2)
        self.stem_blocks = nn.ModuleList()
        for _ in range(2):
            self.stem_blocks.append(nn.Sequential(_bn(64), _conv(64, 64, 3)))
        stages = []
        cin = 64
        for channels, bottleneck in STAGES:
            stages.append(Stage(cin, channels, bottleneck))
            cin = channels
        self.stages = nn.Sequential(*stages)

    @staticmethod
    def preprocess(x: torch.Tensor) -> torch.Tensor:
        # ALGORITHM.md standardises each crop to mean 0 / std 1.
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
        return (x - mean) / std

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(self.preprocess(x)))
        x = F.max_pool2d(x, 2)
        for block in self.stem_blocks:
            x = F.relu(block(x))
        return self.stages(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.amax(self.forward_features(x), dim=(2, 3))
