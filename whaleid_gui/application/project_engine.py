"""Which engine matches a project's photos: the base configuration plus the project's settings
(settings.json: the active "weights", a model name such as "imagenet" or "flukes" or a file
relative to the project folder, and "rerank")."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from whaleid_gui.core.model_names import MODEL_NAMES

# What ranks after the embedding (the project's "rerank" setting, `--rerank`): keypoints (the
# default: local features voted and verified, fused on the impostor scale); fin-edges: the same
# plus the dorsal fin's trailing edge (core/trailing_edge.py), a profile for fin catalogs only;
# none: the embedding alone. Chosen on real photos: benchmarks/eval_real.py, RESULTS.md.
FIN_EDGES = "fin-edges"
RERANK_MODES = ("keypoints", FIN_EDGES, "none")

@dataclass(frozen=True)
class EngineConfig:
    """Which model the matcher uses. ``model_factory`` builds a model without a weights file
    (tests and benchmarks use a tiny untrained model: fast on two CPU cores)."""

    weights: str | None = None
    device: str = "auto"
    image_size: int | None = None  # None = the weights' own input size
    model_factory: Callable[[], Any] | None = field(default=None, compare=False)
    top: int = 5
    rerank: str = "none"  # one of RERANK_MODES (the project setting)

    def key(self) -> tuple:
        """Identifies the model (the matcher adds the re-ranking)."""
        return (self.weights, self.device, self.image_size,
                id(self.model_factory) if self.model_factory else None)


def project_engine(settings: dict, folder: str | Path, base: EngineConfig,
                   keep_weights: bool = False, keep_rerank: bool = False) -> tuple[EngineConfig, str | None]:
    """(engine, message): base with the project's active weights and re-ranking.

    A missing weights file keeps base's model and message says so (None otherwise).
    keep_weights / keep_rerank: the caller chose them explicitly (command-line options).
    """
    weights, factory, message = base.weights, base.model_factory, None
    rel = settings.get("weights")
    if rel in MODEL_NAMES and not keep_weights:  # a named model ("imagenet", "flukes"): no file
        weights, factory = rel, None
    elif rel and not keep_weights:
        path = Path(rel) if Path(rel).is_absolute() else Path(folder) / rel
        if path.exists():
            weights, factory = str(path), None
        else:
            message = f"The project's active weights {path} are missing; using the default model"
    saved = settings.get("rerank", "keypoints")
    rerank = base.rerank if keep_rerank else (saved if saved in RERANK_MODES else "none")
    return replace(base, weights=weights, model_factory=factory, rerank=rerank), message


def weights_setting(weights: str | Path, folder: str | Path) -> str:
    """What settings.json stores for a model: a name as it is, a file inside the project relative
    to it (the project may move), any other file as an absolute path; project_engine reads it back."""
    if str(weights) in MODEL_NAMES:
        return str(weights)
    path, root = Path(weights).resolve(), Path(folder).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
