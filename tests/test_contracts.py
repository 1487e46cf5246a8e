"""The house as executable contracts (issue 12, point 5): the import-linter contracts and mypy,
both configured in pyproject.toml, run here so that a violation fails the test command.

The contracts say: layers __main__ > cli > gui > workers > application > core with no import back
up; the catalog imports no science (and no torch); core and the application layer import no Qt;
no two sibling modules import each other (directly or around a circle). ARCHITECTURE.md explains
them. The last tests show the contracts can fail: a copy of the package with one violation of
each kind must break each one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTRACTS = {
    "layers": "Layers:",
    "store-without-science": "The catalog (storage) imports no science",
    "no-qt-below-workers": "core and the application layer are Qt-free",
    "no-circles": "No import circles between sibling modules",
}


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = None if pythonpath is None else {**os.environ, "PYTHONPATH": str(pythonpath)}
    # The contracts are read from the repository's pyproject.toml whatever the package's folder.
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache", "--no-logo", str(REPO / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def verdicts(output: str) -> dict[str, str]:
    """Contract id -> KEPT or BROKEN, as lint-imports printed it (titles may wrap over two lines)."""
    text = " ".join(output.split())
    found = {}
    for contract, title in CONTRACTS.items():
        match = re.search(re.escape(title) + r".{0,200}? (KEPT|BROKEN)\b", text)
        found[contract] = match.group(1) if match else "missing"
    return found


def test_import_contracts_are_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(verdicts(result.stdout).values()) == {"KEPT"}, result.stdout


def test_mypy_passes_on_core_and_the_application_layer():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr
    # "Success: no issues found in N source files" (with errors: "... (checked N source files)")
    checked = int(re.search(r"(?:no issues found in|checked) (\d+) source files?", result.stdout).group(1))
    ours = [p for layer in ("core", "application") for p in (REPO / "whaleid_gui" / layer).rglob("*.py")]
    assert checked >= len(ours), f"mypy checked {checked} files, core and application have {len(ours)}"


# -------------------------------------------------------------------------------------------
# The contracts can fail

VIOLATIONS = {
    # file in the copy -> a line that breaks one contract
    "core/boxes.py": "from whaleid_gui.application import steps  # core importing upward",
    "core/catalog/timeutil.py": "from whaleid_gui.core import features  # the store importing science",
    "application/steps.py": "import PySide6.QtCore  # Qt in the application layer",
    "core/errors.py": "from whaleid_gui.core import boxes  # boxes imports errors: a circle",
}


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(REPO / "whaleid_gui", root / "whaleid_gui", ignore=shutil.ignore_patterns("__pycache__"))
    for name, line in VIOLATIONS.items():
        path = root / "whaleid_gui" / name
        assert path.exists(), f"{name} moved: pick another file for this violation"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    return root


def test_each_contract_breaks_on_a_violation(broken_copy):
    result = lint_imports(broken_copy, pythonpath=broken_copy)
    assert result.returncode != 0, result.stdout
    assert str(broken_copy) in _analyzed_package(broken_copy), "lint-imports did not read the broken copy"
    assert set(verdicts(result.stdout).values()) == {"BROKEN"}, result.stdout


def _analyzed_package(root: Path) -> str:
    """Where `import whaleid_gui` resolves with the copy first on the path (the folder grimp reads)."""
    return subprocess.run([sys.executable, "-c", "import whaleid_gui; print(whaleid_gui.__file__)"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": str(BIN)}, capture_output=True, text=True,
                          check=True).stdout


def test_mypy_reports_a_type_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def width() -> int:\n    return 'wide'\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
                             "--no-incremental", str(bad)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Incompatible return value type" in result.stdout, result.stdout
