"""Branch networks, the pair head, the Siamese model and weights files.

Named models (`--weights NAME`, a project's model setting), besides weights files:
- "imagenet" (the default, `load_model(None)`): the zero-shot model, EfficientNet-Lite0's ImageNet
  features of colour photos kept in shape, cosine centred on the catalog. Chosen on real photos
  (benchmarks/eval_real.py, RESULTS.md): it beat the synthetic-trained weights on every real set.
- "flukes": the shipped Siamese weights trained on synthetic flukes (gray 2.15:1 fluke crops),
  the demo project's model.
- "untrained": the older baseline, Lite0 + a random 512-d projection + the distance head, gray.
"""

from __future__ import annotations

from pathlib import Path

from ..model_names import DEFAULT_MODEL, FLUKES, MODEL_NAMES, UNTRAINED, ZERO_SHOT, describe_model
from ..shipped_files import model_weights_dir
from .checkpoint import load_model_file, save_model
from .head import PairHead
from .siamese import (BRANCHES, DEFAULT_IMAGE_SIZE, ModelCard, SiameseModel, check_image_size, make_branch,
                      resolve_device)

UNTRAINED_ID = "untrained-lite0-distance-v1"
ZERO_SHOT_ID = "imagenet-lite0-rgb-centred-v1"
SHIPPED_WEIGHTS = model_weights_dir() / "whaleid-siamese.pt"


def build_model(branch: str = "efficientnet-lite0", image_size: int = DEFAULT_IMAGE_SIZE,
                imagenet: bool = True, distance_head: bool = True) -> SiameseModel:
    """A fresh model. With distance_head the head scores by feature distance until trained."""
    net = make_branch(branch, imagenet=imagenet, feature_size=512)
    head = PairHead(net.feature_size)
    if distance_head:
        head.init_as_distance()
    card = ModelCard(architecture=branch, image_size=image_size, feature_size=net.feature_size,
                     training_data={"source": "ImageNet (branch) only" if imagenet else "none"},
                     notes="untrained head: feature-distance comparator")
    weights_id = UNTRAINED_ID if (branch == "efficientnet-lite0" and imagenet and distance_head) else "fresh"
    return SiameseModel(net, head, card, weights_id)


def build_zero_shot_model(image_size: int = DEFAULT_IMAGE_SIZE) -> SiameseModel:
    """The zero-shot model: EfficientNet-Lite0's ImageNet features as they are (1280, no
    projection), colour photos kept in shape, cosine after centring on the catalog (the distance
    head on unit features is monotone in cosine). Chosen on real photos: benchmarks/eval_real.py."""
    net = make_branch("efficientnet-lite0", imagenet=True, feature_size=1280)
    head = PairHead(net.feature_size)
    head.init_as_distance()
    card = ModelCard(architecture="efficientnet-lite0", image_size=image_size, feature_size=net.feature_size,
                     training_data={"source": "ImageNet (branch) only"}, input_style="rgb-square",
                     centre_on_catalog=True,
                     notes="zero-shot: ImageNet features, colour, aspect kept, cosine centred on the catalog")
    return SiameseModel(net, head, card, ZERO_SHOT_ID)


def load_model(path: str | Path | None = None, device: str = "auto", image_size: int | None = None) -> SiameseModel:
    """The model in a weights file, or the default (see module doc). image_size overrides the card's.

    path: a weights file or a model name (MODEL_NAMES); None: DEFAULT_MODEL."""
    dev = resolve_device(device)
    if path is None:
        path = DEFAULT_MODEL
    if str(path) == FLUKES:
        if not SHIPPED_WEIGHTS.exists():
            from ..errors import WeightsError

            raise WeightsError(SHIPPED_WEIGHTS, "the shipped fluke weights are missing from this installation")
        path = SHIPPED_WEIGHTS
    if str(path) == ZERO_SHOT:
        model = build_zero_shot_model().to(dev)
    elif str(path) == UNTRAINED:
        model = build_model().to(dev)
    else:
        model = load_model_file(path, dev)
    if image_size is not None and image_size != model.card.image_size:
        model.card.image_size = check_image_size(model.card.architecture, int(image_size))
        model.weights_id = f"{model.weights_id}@{image_size}"
    model.eval()
    return model


__all__ = [
    "BRANCHES", "DEFAULT_IMAGE_SIZE", "ModelCard", "PairHead", "SiameseModel", "build_model", "load_model",
    "load_model_file", "make_branch", "resolve_device", "save_model", "UNTRAINED_ID", "ZERO_SHOT", "ZERO_SHOT_ID",
    "FLUKES", "DEFAULT_MODEL", "MODEL_NAMES", "describe_model",
    "build_zero_shot_model",
]
