"""ARCHITECTURE.md: whaleid_gui/core never imports Qt, so the science runs and tests without a screen."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "whaleid_gui" / "core"
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "superqt", "qtpy")


def test_no_core_module_imports_qt_in_its_source():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in QT]
    assert not offenders, offenders


def test_importing_every_core_module_loads_no_qt():
    modules = sorted("whaleid_gui.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
                     for p in CORE.rglob("*.py") if p.name != "__init__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


APPLICATION = CORE.parent / "application"


def test_the_application_layer_imports_neither_qt_nor_the_gui():
    """Issue 12: whaleid_gui/application (the use cases the CLI and the app share) sits on core only."""
    banned = ("whaleid_gui.gui", "whaleid_gui.workers", "whaleid_gui.cli")
    offenders = []
    for path in APPLICATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in QT or n.startswith(banned)]
    assert APPLICATION.is_dir() and not offenders, offenders


CATALOG = CORE / "catalog"
# What the store may build on: value types and plain file I/O (the photo reader, progress events,
# errors, table reading). Matching, features, the model, keypoints, crops and training are science:
# what joins them to the store lives in the application layer (issue 12).
CATALOG_MAY_IMPORT = ("boxes", "errors", "labels", "csv_io", "progress", "photo_files", "atomic_write", "catalog")


def _core_imports(path: Path) -> list[str]:
    """The whaleid_gui.core modules a catalog file imports (absolute, or relative from the catalog)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("whaleid_gui.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("whaleid_gui."):
                found.append(node.module)
            elif node.level == 1:  # from . import x / from .x import y: inside the catalog
                found.append("whaleid_gui.core.catalog")
            elif node.level == 2:  # from .. import x / from ..x import y: core itself
                mods = [node.module] if node.module else [a.name for a in node.names]
                found += [f"whaleid_gui.core.{m}" for m in mods]
    return found


def test_the_store_imports_no_science_module():
    offenders = []
    for path in CATALOG.rglob("*.py"):
        for name in _core_imports(path):
            parts = name.split(".")
            if parts[:2] != ["whaleid_gui", "core"] or len(parts) < 3 or parts[2] not in CATALOG_MAY_IMPORT:
                offenders.append(f"{path.name}: {name}")
    assert not offenders, offenders


def test_importing_the_store_loads_no_science_module():
    science = ("features", "images", "matching", "model", "keypoints", "keypoint_matching", "rerank",
               "training", "mining", "augment", "arcface", "box_proposer", "synthetic", "threshold")
    code = ("import importlib, pkgutil, sys\n"
            "import whaleid_gui.core.catalog as c\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('whaleid_gui.core.catalog.' + m.name)\n"
            f"bad = [m for m in sys.modules if m.startswith('whaleid_gui.core.') and m.split('.')[2] in {science!r}]\n"
            "bad += [m for m in ('torch', 'cv2') if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
