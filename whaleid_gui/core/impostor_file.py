"""The catalog's impostor scores (Matcher.impostor_best_scores) saved beside the feature cache, so
that reopening an unchanged catalog does not score every catalog photo against every other again.

Why: those scores (each sampled catalog photo's best score against the other individuals) are the
new-individual threshold and the score scale of every mode; at 1,000 photos they are a million
head evaluations, 1.1 s of a project's opening on two cores (issue 15). They are a function of
the model and the catalog's features alone, so a digest of those (the feature cache's keys, the
individuals, the sampling) names them exactly: the same digest gives the same scores, any change
of a photo, box, individual or model gives another digest and they are computed again.

One file per model (the latest catalog's scores); written whole or not at all. No Qt (core).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

from .atomic_write import atomic_write

FORMAT = "impostors-v1"


def impostor_digest(model_identity: str, keys: Sequence[str | None], ids: Sequence[str], extra: str) -> str:
    """What the scores depend on: the model, each reference's feature key (None: unreadable) and
    individual, in order, and the sampling settings (extra)."""
    h = hashlib.sha1(f"{FORMAT}|{model_identity}|{extra}".encode())
    for key, individual in zip(keys, ids):
        h.update(f"\n{key or '-'}\t{individual}".encode())
    return h.hexdigest()


def impostor_file(folder: str | Path, model_identity: str) -> Path:
    return Path(folder) / f"impostors-{hashlib.sha1(model_identity.encode()).hexdigest()[:16]}.npz"


def load_impostors(path: Path, digest: str) -> np.ndarray | None:
    """The saved scores when they were computed for this digest (else None)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["digest"]) != digest:
                return None
            return np.asarray(z["scores"], dtype=np.float64)
    except Exception:  # noqa: BLE001 - missing or damaged: computed again, never trusted
        return None


def save_impostors(path: Path, digest: str, scores: np.ndarray) -> None:
    try:
        with atomic_write(path, "wb", fsync=False) as fh:  # a cache: no fsync
            np.savez(fh, digest=np.asarray(digest), scores=np.asarray(scores, dtype=np.float64))
    except OSError:
        pass  # a cache that cannot be written is computed again next time
