"""Tests for cache/index.py: flat and HNSW search, removal, tombstones, migration."""

from __future__ import annotations

import numpy as np
import pytest

from cache.index import ScopeIndex

DIM = 32


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    """Seeded random L2-normalized float32 vectors."""
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def filled(n: int, hnsw_min_size: int = 4096) -> tuple[ScopeIndex, np.ndarray]:
    """An index holding n vectors under labels 0..n-1."""
    vecs = unit_vectors(n)
    index = ScopeIndex(DIM, hnsw_min_size=hnsw_min_size)
    index.add_many(np.arange(n), vecs)
    return index, vecs


def test_flat_search_returns_self_first_sorted_desc() -> None:
    index, vecs = filled(50)
    hits = index.search(vecs[7], 4)
    assert index.kind == "flat"
    assert hits[0][0] == 7 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and len(hits) == 4


def test_empty_index_and_small_k() -> None:
    index = ScopeIndex(DIM)
    assert index.search(unit_vectors(1)[0], 4) == []
    index.add(3, unit_vectors(1)[0])
    assert [label for label, _ in index.search(unit_vectors(1)[0], 4)] == [3]


def test_flat_remove_leaves_search_and_vector() -> None:
    index, vecs = filled(20)
    index.remove(5)
    index.remove(999)  # unknown labels are ignored
    assert len(index) == 19
    assert 5 not in [label for label, _ in index.search(vecs[5], 19)]
    with pytest.raises(KeyError):
        index.vector(5)
    np.testing.assert_allclose(index.vector(6), vecs[6])


def test_wrong_dim_is_rejected() -> None:
    with pytest.raises(ValueError):
        ScopeIndex(DIM).add(1, np.ones(DIM + 1, np.float32))


def test_migrates_to_hnsw_and_keeps_results() -> None:
    index, vecs = filled(99, hnsw_min_size=100)
    before = [index.search(v, 1)[0][0] for v in vecs[:20]]
    index.add(99, unit_vectors(1, seed=9)[0])
    assert index.kind == "hnsw" and len(index) == 100
    assert [index.search(v, 1)[0][0] for v in vecs[:20]] == before
    np.testing.assert_allclose(index.vector(42), vecs[42])


def test_hnsw_remove_uses_tombstones_filtered_from_search() -> None:
    index, vecs = filled(200, hnsw_min_size=100)
    index.remove(10)
    index.remove(10)  # twice is harmless
    assert index.tombstones == 1 and len(index) == 199
    labels = [label for label, _ in index.search(vecs[10], 4)]
    assert 10 not in labels and len(labels) == 4
    with pytest.raises(KeyError):
        index.vector(10)
    keys, exported = index.export()
    assert 10 not in keys.tolist() and len(keys) == len(exported) == 199


def test_hnsw_rebuilds_when_tombstones_exceed_ratio() -> None:
    index, vecs = filled(300, hnsw_min_size=100)
    for label in range(70):  # > 20% of 300 triggers a rebuild
        index.remove(label)
    assert index.tombstones < 70 and len(index) == 230 and index.kind == "hnsw"
    for label in range(70, 300, 23):
        assert index.search(vecs[label], 1)[0][0] == label


def test_rebuild_falls_back_to_flat_when_scope_shrinks() -> None:
    index, _ = filled(120, hnsw_min_size=100)
    for label in range(80):
        index.remove(label)
    assert index.kind == "flat" and len(index) == 40 and index.tombstones == 0


def test_hnsw_recall_against_flat() -> None:
    flat, vecs = filled(600)
    hnsw = ScopeIndex(DIM, hnsw_min_size=100)
    hnsw.add_many(np.arange(600), vecs)
    queries = unit_vectors(50, seed=3)
    agree = sum(flat.search(q, 1)[0][0] == hnsw.search(q, 1)[0][0] for q in queries)
    assert agree >= 48
