"""One writer per project: a second process gets ProjectInUseError or read-only access; a dead
holder's lock is taken over; stores in the same process share the lock."""

from __future__ import annotations

import os
import signal

import pytest
from catalog_helpers import run_python

from whaleid_gui.core.catalog import ProjectInUseError, ProjectReadOnlyError, ProjectStore

HOLD = """
import sys, time
from whaleid_gui.core.catalog import ProjectStore
s = ProjectStore.open(sys.argv[1], user="bob")
print("open", flush=True)
time.sleep(60)
"""

TRY_OPEN = """
import sys
from whaleid_gui.core.catalog import ProjectStore, ProjectInUseError
try:
    ProjectStore.open(sys.argv[1], user="eve")
    print("opened")
except ProjectInUseError as err:
    print("in use:", err)
with ProjectStore.open(sys.argv[1], read_only=True) as s:
    print("read-only photos:", len(s.photos()), s.read_only)
"""


def test_second_process_is_refused_then_reads(tmp_path, photos_dir):
    with ProjectStore.create(tmp_path / "p", user="ann") as s:
        s.import_folder(photos_dir)
        holder_pid = os.getpid()
        out = run_python(TRY_OPEN, str(tmp_path / "p")).communicate(timeout=30)[0]
    assert f"in use: {tmp_path / 'p'}: project is in use by ann@" in out
    assert f"(pid {holder_pid}) since 20" in out
    assert "read-only photos: 6 True" in out


def test_dead_holder_is_taken_over(tmp_path):
    ProjectStore.create(tmp_path / "p").close()
    child = run_python(HOLD, str(tmp_path / "p"))
    try:
        assert child.stdout.readline().strip() == "open"
        with pytest.raises(ProjectInUseError) as err:
            ProjectStore.open(tmp_path / "p")
        assert "bob@" in err.value.holder and err.value.since.startswith("20")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    with ProjectStore.open(tmp_path / "p", user="ann") as s:  # stale lock: taken over
        assert not s.read_only
        assert "ann@" in (tmp_path / "p" / "project.lock").read_text()


def test_same_process_opens_share_the_lock(tmp_path):
    a = ProjectStore.create(tmp_path / "p")
    b = ProjectStore.open(tmp_path / "p")  # e.g. a GUI worker's own connection
    b.create_individual("HW-001")
    b.close()
    assert [i.code for i in a.individuals()] == ["HW-001"]
    a.close()


def test_read_only_store_refuses_writes(tmp_path):
    ProjectStore.create(tmp_path / "p").close()
    with ProjectStore.open(tmp_path / "p", read_only=True) as s:
        with pytest.raises(ProjectReadOnlyError, match="read-only"):
            s.create_individual("HW-001")
        assert s.individuals() == []
