"""Weights files: a dict of plain tensors and metadata, saved atomically, loaded with weights_only=True
(no pickled code is ever executed). Each file carries its model card."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import torch

from ..atomic_write import atomic_write
from ..errors import WeightsError
from .head import PairHead
from .siamese import ModelCard, SiameseModel, make_branch

FORMAT = "whaleid-weights"
FORMAT_VERSION = 1


def atomic_torch_save(obj: dict, path: str | Path) -> None:
    """torch.save, whole or not at all: a crash never leaves half a weights file."""
    with atomic_write(path, "wb") as handle:
        torch.save(obj, handle)


def save_model(model: SiameseModel, path: str | Path, extra: dict | None = None) -> str:
    """Save weights + card; returns the new weights id (content hash)."""
    card = model.card
    if not card.created:
        card.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "card": card.to_dict(), "state_dict": state}
    if extra:
        payload["extra"] = extra
    atomic_torch_save(payload, path)
    model.weights_id = weights_id_of(path)
    return model.weights_id


def weights_id_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def load_plain_payload(path: str | Path) -> object:
    """torch.load(weights_only=True) of a file, with every fault as a one-line WeightsError naming it.

    Shared by every kind of weights file: no pickled code is ever executed."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(path, "weights file not found")
    if path.is_dir():
        raise WeightsError(path, "is a directory, not a weights file")
    if path.stat().st_size == 0:
        raise WeightsError(path, "weights file is empty (0 bytes)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt zip/pickle data
        # One line: torch's messages span many lines (and advise weights_only=False, which we never use).
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Weights only load failed" in detail:
            detail = "its content is not plain tensor data (refused: loading it could run code)"
        raise WeightsError(path, f"not a readable weights file (corrupt or not made by WhaleID): {detail}") from exc


def read_weights_file(path: str | Path) -> dict:
    """The raw payload of a Siamese weights file, validated; WeightsError names the file and the fault."""
    path = Path(path)
    payload = load_plain_payload(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(path, "not a WhaleID weights file (no WhaleID model card inside)")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise WeightsError(path, f"made by a newer WhaleID (format {payload.get('format_version')})")
    return payload


def load_model_file(path: str | Path, device: torch.device, expect_architecture: str | None = None) -> SiameseModel:
    payload = read_weights_file(path)
    card = ModelCard.from_dict(payload["card"])
    if expect_architecture and card.architecture != expect_architecture:
        raise WeightsError(path, f"holds a {card.architecture} model, not {expect_architecture}")
    try:
        branch = make_branch(card.architecture, imagenet=False, feature_size=card.feature_size)
    except ValueError as exc:
        raise WeightsError(path, str(exc)) from exc
    model = SiameseModel(branch, PairHead(card.feature_size), card, weights_id_of(path))
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise WeightsError(path, f"weights do not fit the {card.architecture} architecture: {first}") from exc
    return model.to(device)
