"""Where the files that ship with WhaleID are: the trained weights (model_weights/) and the icon
and other resources (resources/).

In the source checkout (and an editable install) they are top-level folders of the repository,
next to the package. A built wheel carries them inside the package instead (setup.py copies both
folders into whaleid_gui/ at build time), because an installed package has no repository around
it. So the lookup tries the package's own folder first and the checkout second.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["SHIPPED_FOLDERS", "shipped_folder", "model_weights_dir", "resources_dir"]

# The folders setup.py copies into the wheel; keep both lists in step.
SHIPPED_FOLDERS = ("model_weights", "resources")


def _package_dir() -> Path:
    # files() of a package installed as plain files (wheel, editable or checkout) is a real Path;
    # WhaleID is not zip-safe (torch.load and SQLite want real files), so nothing else occurs.
    return Path(str(files("whaleid_gui")))


def shipped_folder(name: str) -> Path:
    """The shipped folder `name` ("model_weights" or "resources"): inside the installed package,
    else the checkout's top-level folder. The path may not exist (a checkout without weights)."""
    if name not in SHIPPED_FOLDERS:
        raise ValueError(f"not a shipped folder: {name!r} (one of {', '.join(SHIPPED_FOLDERS)})")
    package = _package_dir()
    inside = package / name
    return inside if inside.is_dir() else package.parent / name


def model_weights_dir() -> Path:
    return shipped_folder("model_weights")


def resources_dir() -> Path:
    return shipped_folder("resources")
