"""A real install works (issue 12, point 7): the wheel that `pip install .` builds carries
model_weights/ and resources/ inside the package, and `whaleid match` run from the installed
package (not from this checkout) ranks with the shipped weights (`--weights flukes`: the default
model is the zero-shot one, built from the ImageNet weights package).

Offline and quick (about 15-30 s): the wheel is built without build isolation from a copy of the
checkout (the build writes build/ and *.egg-info next to its sources, and other work may be going
on in the checkout), installed with --no-deps into a target folder, and run with this venv's
interpreter, which supplies torch and the other dependencies from its site-packages.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHIPPED = {"model_weights": ["whaleid-siamese.pt", "box_proposer.pt"], "resources": ["whaleid.svg"]}
# What the wheel build reads from the checkout (pyproject's readme, setup.py's hook, MANIFEST.in).
BUILD_INPUTS = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "whaleid_gui", *SHIPPED]

# Runs the installed console script and, at exit, writes where every whaleid_gui module and the
# default weights came from; the script itself ends with sys.exit(main()).
PROBE = """
import atexit, json, runpy, sys
report = sys.argv[1]
def _report():
    from whaleid_gui.core import model
    modules = {n: getattr(m, "__file__", None) for n, m in sys.modules.items() if n.startswith("whaleid_gui")}
    with open(report, "w") as f:
        json.dump({"modules": modules, "weights": str(model.SHIPPED_WEIGHTS)}, f)
atexit.register(_report)
script, sys.argv = sys.argv[2], [sys.argv[2], *sys.argv[3:]]
runpy.run_path(script, run_name="__main__")
"""


def _sha16(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _fluke_like(path: Path, seed: int) -> None:
    """A small grey photo with a blob pattern of its own (the model only needs something to rank)."""
    rng = np.random.default_rng(seed)
    pixels = np.full((64, 96), 90, np.uint8)
    for _ in range(12):
        y, x = rng.integers(4, 60), rng.integers(4, 92)
        pixels[max(0, y - 4):y + 4, max(0, x - 6):x + 6] = rng.integers(150, 255)
    Image.fromarray(pixels).save(path)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(source)], check=True, timeout=240)
    (built,) = out.glob("whaleid-*.whl")
    return built


def test_the_wheel_carries_weights_and_resources_as_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, files in SHIPPED.items():
        for name in files:
            assert f"whaleid_gui/{folder}/{name}" in names, f"{folder}/{name} is not in {wheel.name}"
    assert not any(n.startswith(("model_weights/", "resources/")) for n in names), "shipped outside the package"


def test_installed_whaleid_match_uses_the_shipped_weights(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(target), str(wheel)], check=True, timeout=240)
    installed_weights = target / "whaleid_gui" / "model_weights" / "whaleid-siamese.pt"
    assert _sha16(installed_weights) == _sha16(REPO / "model_weights" / "whaleid-siamese.pt")

    work = tmp_path / "elsewhere"  # the command runs outside the checkout, on files of its own
    (work / "photos").mkdir(parents=True)
    rows = []
    for i, whale in enumerate(["W-alpha", "W-alpha", "W-beta", "W-beta"]):
        _fluke_like(work / "photos" / f"r{i}.png", seed=i)
        rows.append(f"photos/r{i}.png,{whale}")
    (work / "references.csv").write_text("Image,Id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    _fluke_like(work / "photos" / "q0.png", seed=0)
    (work / "queries.csv").write_text("Image\nphotos/q0.png\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHONPATH=str(target), WHALEID_CACHE_DIR=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    report = tmp_path / "probe.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), str(target / "bin" / "whaleid"), "match", "references.csv",
         "queries.csv", "--out", "PRED.csv", "--weights", "flukes", "--image-size", "64", "--rerank", "none",
         "--device", "cpu"],
        cwd=work, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr

    probe = json.loads(report.read_text())
    assert Path(probe["weights"]) == installed_weights
    assert f"model {_sha16(installed_weights)}@64 " in result.stderr, result.stderr
    assert probe["modules"], "the probe saw no whaleid_gui module"
    outside = {name: file for name, file in probe["modules"].items()
               if file is not None and not Path(file).is_relative_to(target)}
    assert not outside, f"imported from outside the installed package: {outside}"
    lines = (work / "PRED.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Image,Id" and lines[1].startswith("photos/q0.png,")
    assert "W-alpha" in lines[1] and "W-beta" in lines[1]
