"""Where projects live and what engine a project's matcher runs on (the app's start-up questions)."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.catalog import is_project_folder
from .match_photos import device_label, model_for
from .model_label import model_label
from .project_engine import EngineConfig


def user_data_dir() -> Path:
    """Where the app keeps its own files (the demo project); WHALEID_DATA_DIR overrides."""
    env = os.environ.get("WHALEID_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "WhaleID"


def is_project(folder: str | Path) -> bool:
    """A project folder: its catalog in project.sqlite or in the PostgreSQL that project.postgresql names."""
    return is_project_folder(folder)


def engine_info(engine: EngineConfig) -> tuple[str, str]:
    """(the model's name and date, device) of the model the matcher will use; loads it (worker only)."""
    model = model_for(engine)
    return model_label(model, engine.weights), device_label(getattr(model, "device", "cpu"))
