"""Faults: SIGKILL during an import and during a stream of decisions, a full disk, a read-only
project folder. After each: reopen, check() passes, nothing committed is lost."""

from __future__ import annotations

import signal
import subprocess

import pytest
from catalog_helpers import make_image, run_python

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import DiskFullError, ProjectReadOnlyError, ProjectStore

IMPORT = """
import sys
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.core.catalog.import_photos import iter_import_folder
s = ProjectStore.open(sys.argv[1])
for event in iter_import_folder(s, sys.argv[2], batch=10):
    if "saved" in getattr(event, "message", ""):
        print("saved", s.count_photos(), flush=True)
print("finished", flush=True)
"""

DECIDE = """
import sys
from whaleid_gui.core.catalog import ProjectStore
s = ProjectStore.open(sys.argv[1])
photos = s.photos()
ind = s.individuals()[0]
i = 0
while True:
    p = photos[i % len(photos)]
    d = s.decide(p.id, "rejected" if i % 2 else "skipped", individual_id=ind.id, score=0.5, rank=1, weights_id="w")
    print("decided", d.id, flush=True)
    i += 1
"""


def _kill_after(child: subprocess.Popen, word: str, count: int) -> list[str]:
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.startswith(word) and len([x for x in lines if x.startswith(word)]) >= count:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL, child.stderr.read()
    return lines


def test_sigkill_during_import(tmp_path):
    folder = tmp_path / "many"
    for i in range(300):
        make_image(folder / f"p{i:03d}.png", seed=1000 + i, size=(24, 16))
    ProjectStore.create(tmp_path / "p").close()
    child = run_python(IMPORT, str(tmp_path / "p"), str(folder))
    lines = _kill_after(child, "saved", 3)
    assert "finished" not in lines
    committed = int(lines[-1].split()[1])
    with ProjectStore.open(tmp_path / "p") as s:  # the dead holder's lock is taken over
        report = s.check()
        assert report.ok, report
        held = s.photos()
        assert committed <= len(held) < 300
        assert all(p.sha1 and p.phash is not None and p.width == 24 for p in held)  # no half rows
        again = s.import_folder(folder)  # resumes
        assert again.already_present == len(held) and s.count_photos() == 300


def test_sigkill_during_decisions(tmp_path, photos_dir):
    with ProjectStore.create(tmp_path / "p") as s:
        s.import_folder(photos_dir)
        s.create_individual("HW-001")
    child = run_python(DECIDE, str(tmp_path / "p"))
    lines = _kill_after(child, "decided", 150)
    seen = [int(x.split()[1]) for x in lines if x.startswith("decided")]
    with ProjectStore.open(tmp_path / "p") as s:
        assert s.check().ok
        ids = {d.id for d in s.decisions()}
        assert set(seen) <= ids  # every decision reported committed is there
        assert all(d.weights_id == "w" and d.score == 0.5 for d in s.decisions())


def test_full_disk_loses_nothing(tmp_path, photos_dir):
    extra = tmp_path / "extra"
    for i in range(40):
        make_image(extra / f"e{i}.png", seed=500 + i)
    with ProjectStore.create(tmp_path / "p") as s:
        s.import_folder(photos_dir)
        p = s.photos()[0]
        s.set_box(p.id, BoundingBox(1, 1, 20, 20))
        pages = s.pragma("PRAGMA page_count")[0][0]
        s.pragma(f"PRAGMA max_page_count = {pages}")  # emulate a full disk: the file cannot grow
        with pytest.raises(DiskFullError, match="disk is full"):
            s.import_folder(extra)
        with pytest.raises(DiskFullError):
            for _ in range(200):
                s.decide(p.id, "skipped")
        s.pragma("PRAGMA max_page_count = 1073741823")  # space freed
        assert s.check().ok
        assert s.count_photos() == 6 and s.box(p.id) is not None
        n = len(s.decisions())
        s.decide(p.id, "skipped")  # still usable
        assert len(s.decisions()) == n + 1
        assert s.import_folder(extra).added == 40


def _chattr(flag: str, *paths) -> bool:
    try:
        return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def test_read_only_project_folder(tmp_path, photos_dir):
    """Root ignores chmod, so the folder and its files are made immutable (chattr +i), which
    root honours. Without chattr support the test is skipped."""
    folder = tmp_path / "p"
    with ProjectStore.create(folder) as s:
        s.import_folder(photos_dir)
    files = sorted(folder.iterdir())
    if not _chattr("+i", folder, *files):
        pytest.skip("chattr +i not supported here")
    try:
        with pytest.raises(ProjectReadOnlyError, match="cannot write the project folder"):
            ProjectStore.open(folder)
        with ProjectStore.open(folder, read_only=True) as s:
            assert s.count_photos() == 6
            with pytest.raises(ProjectReadOnlyError):
                s.create_individual("HW-1")
    finally:
        _chattr("-i", folder, *files)
    with ProjectStore.open(folder) as s:
        assert s.check().ok and s.count_photos() == 6


def test_export_to_unwritable_place(filled, tmp_path):
    from whaleid_gui.core.errors import BadInputError
    from whaleid_gui.core.catalog.exporters import export_catalog

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(BadInputError, match="does not exist"):
        export_catalog(filled, blocker / "out.csv")  # a file where the folder should be
