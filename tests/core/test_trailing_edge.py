"""The fin's trailing edge (core/trailing_edge.py) and its evidence for a matcher
(core/edge_evidence.py), on drawn fins whose notches are known; real fins run in
tests/e2e/test_modes_on_real_fins.py."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from whaleid_gui.core import trailing_edge as te
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.edge_evidence import EdgeEvidence
from whaleid_gui.core.errors import ImageError
from whaleid_gui.core.features import ImageItem

# A dorsal fin: the leading edge up to the tip, the trailing edge down to the back (x, y).
LEADING = [(20, 319), (90, 200), (150, 100), (205, 35)]
TRAILING = [(215, 30), (228, 70), (222, 120), (210, 170), (215, 230), (250, 290), (300, 319)]


def fin(notches: tuple[int, ...], size: int = 320) -> np.ndarray:
    """A dark fin on light water (gray, size x size) with round bites in its trailing edge at the
    given rows (of the 320-row drawing)."""
    image = np.full((320, 320), 200, np.uint8)
    cv2.fillPoly(image, [np.array(LEADING + TRAILING, np.int32)], 40)
    xs, ys = zip(*TRAILING)
    for y in notches:
        cv2.circle(image, (int(np.interp(y, ys, xs)) + 2, y), 7, 200, -1)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) if size != 320 else image


def test_the_same_fin_smaller_and_mirrored_is_closer_than_a_fin_notched_elsewhere():
    a = te.edge_descriptor(fin((90, 160)))
    # the same animal photographed from its other side, further away: the tip leans left
    again = te.edge_descriptor(np.ascontiguousarray(fin((90, 160), size=200)[:, ::-1]))
    other = te.edge_descriptor(fin((130, 215)))
    assert a is not None and again is not None and other is not None
    assert a.shape == (te.POINTS, len(te.SCALES))
    assert te.edge_similarity(a, a) == 0.0
    assert te.edge_similarity(a, again) > te.edge_similarity(a, other)


def test_no_dark_part_rising_from_the_foot_is_no_edge():
    water = np.full((240, 320), 190, np.uint8)
    cv2.circle(water, (160, 100), 40, 30, -1)  # a dark blob floating: a bird, not a fin
    assert te.edge_descriptor(water) is None
    assert te.edge_descriptor(np.full((240, 320), 128, np.uint8)) is None


def test_a_photo_is_read_through_its_box_and_an_unreadable_one_is_named(tmp_path):
    photo = np.full((500, 700), 210, np.uint8)
    photo[100:420, 250:570] = fin((90, 160))
    path = tmp_path / "fin.png"
    Image.fromarray(photo).save(path)
    boxed = te.photo_edge(path, BoundingBox(250, 100, 570, 420))
    assert np.array_equal(boxed, te.edge_descriptor(fin((90, 160))))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    with pytest.raises(ImageError, match="broken.jpg"):
        te.photo_edge(broken)


def _save(folder: Path, name: str, gray: np.ndarray) -> Path:
    path = folder / f"{name}.png"
    Image.fromarray(gray).save(path)
    return path


def test_edges_are_cached_on_disk_and_a_photo_without_one_is_remembered_as_none(tmp_path, monkeypatch):
    finned = ImageItem(_save(tmp_path, "fin", fin((90, 160))))
    empty = ImageItem(_save(tmp_path, "water", np.full((200, 300), 180, np.uint8)))
    first = EdgeEvidence(tmp_path / "cache")
    edge = first.describe(finned)
    assert edge is not None and first.describe(empty) is None
    files = sorted((tmp_path / "cache" / "edges").glob("*.npy"))
    assert len(files) == 2
    assert EdgeEvidence(tmp_path / "cache").describe(ImageItem(tmp_path / "missing.jpg")) is None
    real_photo_edge = te.photo_edge

    def not_again(*args, **kwargs):
        raise AssertionError("described again instead of read from the cache")

    monkeypatch.setattr(te, "photo_edge", not_again)
    again = EdgeEvidence(tmp_path / "cache")  # a new process: read back, not described again
    assert np.array_equal(again.describe(finned), edge) and again.describe(empty) is None
    # A cache file cut short (a process killed while writing, a full disk) is described again.
    monkeypatch.setattr(te, "photo_edge", real_photo_edge)
    for f in files:
        f.write_bytes(b"")
    repaired = EdgeEvidence(tmp_path / "cache")
    assert np.array_equal(repaired.describe(finned), edge) and repaired.describe(empty) is None
    assert all(f.stat().st_size > 0 for f in files)


def _finish(job):
    """Run a job (a generator of progress) to its end; its return value."""
    try:
        while True:
            next(job)
    except StopIteration as stop:
        return stop.value


def test_a_query_shares_most_with_the_individual_whose_notches_it_has(tmp_path):
    notches = {"A": (90, 160), "B": (130, 215), "C": (60, 250)}
    items, ids = [], []
    for code, rows in notches.items():
        for size in (320, 260):
            items.append(ImageItem(_save(tmp_path, f"{code}{size}", fin(rows, size))))
            ids.append(code)
    evidence = EdgeEvidence(None)
    _finish(evidence.fit_job(items, ids, np.random.default_rng(0)))
    assert len(evidence.impostors) == 6  # every photo's best against the other two individuals
    query = ImageItem(_save(tmp_path, "query", np.ascontiguousarray(fin((90, 160), 230)[:, ::-1])))
    shares, photos = evidence.shares(query, items, np.array([0, 0, 1, 1, 2, 2]), 3)
    assert shares.argmax() == 0 and shares[0] > 0
    assert np.all((shares >= 0) & (shares < 1))
    assert [p // 2 for p in photos] == [0, 1, 2]  # each individual's best photo is one of its own two
    no_edge = ImageItem(_save(tmp_path, "water", np.full((200, 300), 180, np.uint8)))
    shares, photos = evidence.shares(no_edge, items, np.array([0, 0, 1, 1, 2, 2]), 3)
    assert not shares.any() and list(photos) == [-1, -1, -1]


def test_the_impostor_scale_of_a_sample_is_measured_against_the_whole_catalog(tmp_path, monkeypatch):
    """A query's edge meets every catalog photo, so a sampled photo's impostor score must be its
    best against every other individual's photo, not only against the sample."""
    from whaleid_gui.core import edge_evidence

    notches = [(90, 160), (130, 215), (60, 250), (100, 200), (75, 140), (150, 230)]
    items = [ImageItem(_save(tmp_path, f"f{n}", fin(rows))) for n, rows in enumerate(notches)]
    ids = ["A", "B", "C", "D", "E", "F"]
    monkeypatch.setattr(edge_evidence, "EDGE_FIT_PHOTOS", 2)
    evidence = EdgeEvidence(None)
    _finish(evidence.fit_job(items, ids, np.random.default_rng(1)))
    edges = [te.photo_edge(it.path) for it in items]
    best_of_each = {max(te.edge_similarity(e, o) for o in edges if o is not e) for e in edges}
    assert len(evidence.impostors) == 2 and set(evidence.impostors.tolist()) <= best_of_each
    shares = _finish(evidence.anchor_shares_job(items, ids, np.arange(6)))  # the threshold's side
    assert shares.shape == (6,) and np.all((shares >= 0) & (shares < 1))
