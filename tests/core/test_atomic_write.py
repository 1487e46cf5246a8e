"""The one atomic writer: a file is replaced whole or left as it was, and no temporary file stays."""

from __future__ import annotations

import os

import pytest

from whaleid_gui.core.atomic_write import atomic_write, replacing, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "settings.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target, encoding="utf-8") as fh:
            fh.write("half of the new")
            raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_a_write_replaces_the_file_with_a_plain_mode(tmp_path):
    target = write_text_atomic(tmp_path / "sub" / "card.json", "new")
    assert target.read_text(encoding="utf-8") == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    assert sorted(p.name for p in target.parent.iterdir()) == ["card.json"]


def test_create_only_refuses_an_existing_file(tmp_path):
    target = tmp_path / "export.csv"
    target.write_text("theirs", encoding="utf-8")
    with pytest.raises(FileExistsError):
        with replacing(target, overwrite=False) as tmp:
            tmp.write_text("ours", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
