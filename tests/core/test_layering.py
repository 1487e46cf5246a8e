"""DESIGN.md: whaleid_gui/core never imports Qt, so the science runs and tests without a screen."""

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
    banned = ("whaleid_gui.gui", "whaleid_gui.workers", "whaleid_gui.cli", "whaleid_gui.commands")
    offenders = []
    for path in APPLICATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in QT or n.startswith(banned)]
    assert APPLICATION.is_dir() and not offenders, offenders
