"""Tests for cache/index.py: flat and HNSW search, removal, tombstones, migration."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

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


class ManualExecutor(Executor):
    """Runs submitted work only when `run_all()` is called: a build 'in flight' on demand."""

    def __init__(self) -> None:
        self.pending: list[tuple[Future[Any], Callable[[], Any]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.pending.append((future, lambda: fn(*args, **kwargs)))
        return future

    def run_all(self) -> None:
        for future, work in self.pending:
            future.set_result(work())
        self.pending.clear()


def test_background_migration_serves_and_replays_changes() -> None:
    executor = ManualExecutor()
    vecs = unit_vectors(130)
    index = ScopeIndex(DIM, hnsw_min_size=100, executor=executor)
    index.add_many(np.arange(100), vecs[:100])
    assert index.rebuilding and index.kind == "flat" and len(executor.pending) == 1
    index.add_many(np.arange(100, 130), vecs[100:])  # while building: old index + log
    index.remove(3)
    index.remove(120)
    assert index.search(vecs[125], 1)[0][0] == 125 and len(index) == 128
    executor.run_all()
    assert index.kind == "hnsw" and not index.rebuilding and len(index) == 128
    assert index.search(vecs[125], 1)[0][0] == 125
    for gone in (3, 120):
        assert gone not in [label for label, _ in index.search(vecs[gone], 4)]


def test_background_tombstone_rebuild_with_thread_pool() -> None:
    vecs = unit_vectors(300)
    with ThreadPoolExecutor(1) as pool:
        index = ScopeIndex(DIM, hnsw_min_size=100, executor=pool)
        index.add_many(np.arange(300), vecs)
        index.wait()
        for label in range(70):
            index.remove(label)
        index.wait()
    # Removals made during the build are replayed as tombstones on the new index.
    assert index.kind == "hnsw" and len(index) == 230 and index.tombstones < 70
    assert index.search(vecs[200], 1)[0][0] == 200


def test_failed_background_build_keeps_serving(caplog: pytest.LogCaptureFixture) -> None:
    executor = ManualExecutor()
    index = ScopeIndex(DIM, hnsw_min_size=10, executor=executor)
    index.add_many(np.arange(10), unit_vectors(10))
    future, _ = executor.pending.pop()
    future.set_exception(MemoryError())
    assert index.kind == "flat" and len(index) == 10 and "rebuild failed" in caplog.text
