"""core/exact_neighbours.py: the vote index's exact search finds what a brute-force sort finds,
across its blocks, after rows are appended, and with fewer rows than neighbours asked for."""

from __future__ import annotations

import numpy as np

from whaleid_gui.core import exact_neighbours
from whaleid_gui.core.exact_neighbours import ExactNeighbours


def brute_force(rows: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    d2 = ((queries[:, None, :].astype(np.float64) - rows[None, :, :]) ** 2).sum(-1)
    order = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d2, order, axis=1), order


def test_search_finds_the_brute_force_neighbours_across_blocks_and_appends(monkeypatch):
    monkeypatch.setattr(exact_neighbours, "BLOCK_ROWS", 37)  # many blocks, the last one short
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(300, 16)).astype(np.float32)
    index = ExactNeighbours(16, rows[:200])
    index.add(rows[200:250])
    index.add(rows[250:])  # appended as a confirm does, past the first capacity
    assert index.ntotal == 300 and np.array_equal(index.rows(), rows)
    queries = rows[[5, 77, 299]] + rng.normal(scale=0.05, size=(3, 16)).astype(np.float32)
    dist, found = index.search(queries, 6)
    want_d, want_i = brute_force(rows, queries, 6)
    assert np.array_equal(found, want_i)
    assert np.allclose(dist, want_d, atol=1e-3)
    assert list(found[:, 0]) == [5, 77, 299]  # each query's own row first


def test_fewer_rows_than_neighbours_are_marked_missing():
    index = ExactNeighbours(4, np.eye(4, dtype=np.float32)[:2])
    dist, found = index.search(np.eye(4, dtype=np.float32)[:1], 4)
    assert list(found[0]) == [0, 1, -1, -1]
    assert dist[0, 0] == 0.0 and np.isclose(dist[0, 1], 2.0) and np.isinf(dist[0, 2:]).all()
    empty_d, empty_i = ExactNeighbours(4).search(np.ones((2, 4), np.float32), 3)
    assert (empty_i == -1).all() and np.isinf(empty_d).all()
