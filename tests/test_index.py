"""Tests for cache/index.py: flat and HNSW search, removal, tombstones, migration, restore."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import faiss
import numpy as np
import pytest

from cache.hnsw import faiss_threads
from cache.index import ScopeIndex

DIM = 32
F16_ATOL = 1e-3  # vectors are stored as float16 (flat: float32, exported as float16)


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
    np.testing.assert_allclose(index.vector(42), vecs[42], atol=F16_ATOL)


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


def restored_copy(index: ScopeIndex, dead: frozenset[int] = frozenset()) -> tuple[ScopeIndex, bool]:
    """A new index restored from `index.dump()`, as the store does: rows of live labels keep
    them, tombstoned rows and labels in `dead` (e.g. expired entries) get -1."""
    dump = index.dump()
    live = np.isin(dump.keys, index.export()[0]) & ~np.isin(dump.keys, list(dead))
    keys = np.where(live, dump.keys, -1)
    copy = ScopeIndex(DIM, hnsw_min_size=index.hnsw_min_size)
    assert dump.graph is not None
    return copy, copy.restore(dump.graph, dump.vectors, keys)


def test_dump_restore_keeps_graph_results_and_tombstones() -> None:
    index, vecs = filled(300, hnsw_min_size=100)
    index.remove(7)  # a tombstone: its row is dumped, without an entry
    copy, ok = restored_copy(index, dead=frozenset({8}))  # 8: as if it expired while down
    assert ok and copy.kind == "hnsw" and len(copy) == 298 and copy.tombstones == 2
    for q in unit_vectors(40, seed=5):
        assert copy.search(q, 4) == [h for h in index.search(q, 5) if h[0] != 8][:4]
    np.testing.assert_allclose(copy.vector(42), vecs[42], atol=F16_ATOL)
    for gone in (7, 8):
        assert gone not in [label for label, _ in copy.search(vecs[gone], 4)]
        with pytest.raises(KeyError):
            copy.vector(gone)
    copy.add(1000, unit_vectors(1, seed=9)[0])  # stays usable: adds and removes
    copy.remove(42)
    assert copy.search(unit_vectors(1, seed=9)[0], 1)[0][0] == 1000 and len(copy) == 298
    keys, _ = copy.export()
    assert sorted(keys.tolist()) == sorted(set(range(300)) - {7, 8, 42} | {1000})


def test_flat_dump_has_no_graph() -> None:
    index, vecs = filled(20)
    dump = index.dump()
    assert dump.graph is None and dump.keys.tolist() == list(range(20))
    np.testing.assert_allclose(dump.vectors, vecs, atol=F16_ATOL)


def test_restore_compacts_many_dead_rows() -> None:
    index, _ = filled(300, hnsw_min_size=100)
    copy, ok = restored_copy(index, dead=frozenset(range(100)))
    assert ok and copy.tombstones == 100
    copy.compact()  # a third dead: rebuilt without them (inline without an executor)
    assert copy.tombstones == 0 and len(copy) == 200 and copy.kind == "hnsw"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other_size", "flat_index", "bad_link"])
def test_restore_refuses_a_graph_that_does_not_fit(
    damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    index, _ = filled(300, hnsw_min_size=100)
    dump = index.dump()
    assert dump.graph is not None
    graph, vecs, keys = dump.graph, dump.vectors, dump.keys
    if damage == "garbage":
        graph = np.frombuffer(b"not a faiss index" * 50, np.uint8)
    elif damage == "truncated":
        graph = graph[: len(graph) // 2]
    elif damage == "other_size":
        vecs, keys = vecs[:-1], keys[:-1]
    elif damage == "flat_index":
        graph = faiss.serialize_index(faiss.IndexFlatIP(DIM))
    else:
        inner = faiss.deserialize_index(graph)
        links = faiss.vector_to_array(inner.hnsw.neighbors)
        links[5] = 10**6
        faiss.copy_array_to_vector(links, inner.hnsw.neighbors)
        graph = faiss.serialize_index(inner, faiss.IO_FLAG_SKIP_STORAGE)
    copy = ScopeIndex(DIM, hnsw_min_size=100)
    assert not copy.restore(graph, vecs, keys)
    assert len(copy) == 0 and copy.kind == "flat"
    assert damage == "other_size" or "rebuilding" in caplog.text


def test_restore_only_into_an_empty_index_and_big_enough_scope() -> None:
    index, _ = filled(300, hnsw_min_size=100)
    dump = index.dump()
    assert dump.graph is not None
    busy, _ = filled(5, hnsw_min_size=100)
    assert not busy.restore(dump.graph, dump.vectors, dump.keys) and len(busy) == 5
    mostly_dead = np.where(dump.keys < 40, dump.keys, -1)  # 40 live < hnsw_min_size // 2
    assert not ScopeIndex(DIM, hnsw_min_size=100).restore(dump.graph, dump.vectors, mostly_dead)


def test_faiss_threads_are_pinned_per_thread() -> None:
    def first_call_in_new_thread() -> int:
        ScopeIndex(DIM).search(unit_vectors(1)[0])
        return faiss.omp_get_max_threads()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(first_call_in_new_thread).result() == 1
    with faiss_threads(2):
        assert faiss.omp_get_max_threads() == 2
    assert faiss.omp_get_max_threads() == 1
