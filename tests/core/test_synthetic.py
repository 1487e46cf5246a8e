"""Tests of the procedural fluke-photo generator (tiny images: fast on 2 cores)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.labels import NEW_WHALE
from whaleid_gui.core.synthetic import (
    FlukeIdentity,
    generate_catalog,
    render_details,
    render_photo,
    write_demo,
)

SIZE = (192, 128)


def _ident(seed: int) -> FlukeIdentity:
    return FlukeIdentity.random(np.random.default_rng(seed))


def _pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float32)


def test_same_seed_gives_same_identity_and_photo():
    a, b = _ident(11), _ident(11)
    assert a == b
    img_a, box_a = render_photo(a, np.random.default_rng(5), SIZE)
    img_b, box_b = render_photo(b, np.random.default_rng(5), SIZE)
    assert box_a == box_b
    assert np.array_equal(_pixels(img_a), _pixels(img_b))


def test_photo_is_rgb_of_requested_size():
    img, _ = render_photo(_ident(1), np.random.default_rng(0), (200, 90))
    assert img.mode == "RGB"
    assert img.size == (200, 90)


@pytest.mark.parametrize("seed", range(12))
def test_box_is_inside_image_and_holds_the_fluke(seed):
    out = render_details(_ident(100 + seed), np.random.default_rng(seed), SIZE)
    box = BoundingBox(*out.box)
    w, h = out.image.size
    assert 0 <= box.x0 < box.x1 <= w and 0 <= box.y0 < box.y1 <= h
    mask = out.fluke_mask
    assert mask.sum() > 20, "some of the fluke must be visible"
    ys, xs = np.nonzero(mask)
    inside = (xs >= box.x0) & (xs < box.x1) & (ys >= box.y0) & (ys < box.y1)
    assert inside.mean() > 0.99
    # the box is tight: the mask touches all four sides
    assert xs.min() == box.x0 and xs.max() + 1 == box.x1
    assert ys.min() == box.y0 and ys.max() + 1 == box.y1


def test_fluke_differs_from_its_surroundings():
    # the tail must actually be drawn where the box says it is
    diffs = []
    for seed in range(6):
        ind = _ident(200 + seed)
        rng_state = np.random.default_rng(seed)
        out = render_details(ind, rng_state, SIZE)
        box = BoundingBox(*out.box)
        assert box.width > 4 and box.height > 2
        pix = _pixels(out.image).mean(axis=2)
        mask = out.fluke_mask
        ring = np.zeros_like(mask)
        ring[max(0, int(box.y0) - 6):int(box.y1) + 6, max(0, int(box.x0) - 6):int(box.x1) + 6] = True
        ring &= ~mask
        diffs.append(abs(pix[mask].std() - pix[ring].std()) + abs(pix[mask].mean() - pix[ring].mean()))
    assert np.mean(diffs) > 5


def test_same_individual_shares_identity_but_photos_differ():
    ind = _ident(7)
    before = ind.canonical().rgba.tobytes()
    img1, box1 = render_photo(ind, np.random.default_rng(1), SIZE)
    img2, box2 = render_photo(ind, np.random.default_rng(2), SIZE)
    assert ind == _ident(7)  # rendering does not alter the individual
    assert ind.canonical().rgba.tobytes() == before
    assert not np.array_equal(_pixels(img1), _pixels(img2))
    assert box1 != box2


def test_different_individuals_differ_in_edge_and_pattern():
    a, b = _ident(1), _ident(2)
    assert a != b
    assert a.shape.marks != b.shape.marks
    ca = np.asarray(a.canonical().rgba, dtype=np.float32)
    cb = np.asarray(b.canonical().rgba, dtype=np.float32)
    both = (ca[..., 1] > 128) & (cb[..., 1] > 128)
    assert both.sum() > 1000
    # pigment (R) differs clearly where both tails are
    assert np.abs(ca[..., 0][both] - cb[..., 0][both]).mean() > 10
    # outlines differ
    assert ((ca[..., 1] > 128) != (cb[..., 1] > 128)).sum() > 500


def test_white_fraction_spans_dark_to_white_tails():
    fractions = []
    for seed in range(40):
        canon = np.asarray(_ident(300 + seed).canonical().rgba, dtype=np.float32)
        lobes = canon[..., 2] > 128
        fractions.append((canon[..., 0][lobes] > 128).mean())
    assert min(fractions) < 0.15 and max(fractions) > 0.85


def test_generate_catalog_writes_images_csvs_and_rows(tmp_path):
    rows = generate_catalog(tmp_path, n_individuals=3, photos_per_individual=(2, 3), image_size=(96, 64), seed=1)
    ids = {r.individual for r in rows}
    assert ids == {"HW-0001", "HW-0002", "HW-0003"}
    assert 6 <= len(rows) <= 9
    for r in rows:
        with Image.open(tmp_path / r.image) as im:
            assert im.size == (96, 64)
        assert 0 <= r.box.x0 < r.box.x1 <= 96 and 0 <= r.box.y0 < r.box.y1 <= 64
    with open(tmp_path / "catalog.csv") as f:
        assert [(d["Image"], d["Id"]) for d in csv.DictReader(f)] == [(r.image, r.individual) for r in rows]
    events = []
    generate_catalog(tmp_path / "again", 2, (1, 1), (64, 48), seed=1, progress=events.append)
    assert [e.done for e in events] == [1, 2] and events[-1].total == 2


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"), seed=3, small=True)


def test_write_demo_small_layout(demo):
    refs, queries, train = _read(demo.references_csv), _read(demo.queries_csv), _read(demo.train_csv)
    boxes = _read(demo.boxes_csv)
    assert refs and queries and train
    assert demo.images_dir.is_dir()
    all_images = [r["Image"] for r in refs + queries + train]
    assert len(set(all_images)) == len(all_images)
    assert {b["Image"] for b in boxes} == set(all_images)
    for row in refs + queries + train:
        assert row["Image"].startswith("images/")
        path = demo.root / row["Image"]
        assert path.is_file()
        with Image.open(path) as im:
            im.verify()
    for b in boxes:
        with Image.open(demo.root / b["Image"]) as im:
            w, h = im.size
        x0, y0, x1, y1 = (float(b[k]) for k in ("x0", "y0", "x1", "y1"))
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


def test_write_demo_small_labels(demo):
    refs, queries, train = _read(demo.references_csv), _read(demo.queries_csv), _read(demo.train_csv)
    ref_ids = {r["Id"] for r in refs}
    train_ids = {r["Id"] for r in train}
    query_ids = [q["Id"] for q in queries]
    assert not ref_ids & train_ids, "training whales must be held out of the catalog"
    assert NEW_WHALE not in ref_ids | train_ids
    assert NEW_WHALE in query_ids
    known = [q for q in query_ids if q != NEW_WHALE]
    assert known and set(known) <= ref_ids
    # training needs individuals with at least two photos
    counts = {}
    for r in train:
        counts[r["Id"]] = counts.get(r["Id"], 0) + 1
    assert min(counts.values()) >= 2
    # a query is a different photo from every reference photo
    assert not {q["Image"] for q in queries} & {r["Image"] for r in refs}


def test_write_demo_is_deterministic(demo, tmp_path):
    again = write_demo(tmp_path, seed=3, small=True)
    assert _read(again.queries_csv) == _read(demo.queries_csv)
    assert _read(again.boxes_csv) == _read(demo.boxes_csv)
    first = _read(demo.references_csv)[0]["Image"]
    assert (again.root / first).read_bytes() == (demo.root / first).read_bytes()
