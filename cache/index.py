"""Per-scope vector index: exact flat search when small, HNSW when large.

Contract: one `ScopeIndex` holds the vectors of exactly one cache scope, keyed by int64
labels the store assigns (never reused). `SemanticCache` keeps one instance per scope in a
dict, so a search physically cannot see another scope's vectors: that is the isolation proof
(no post-filter on a scope field that a bug could forget).

Vectors must be L2-normalized float32; scores are inner products = cosine similarity.

Kinds, chosen by size (`hnsw_min_size`):
- flat (`IndexIDMap2(IndexFlatIP)`): exact; measured faster than a numpy matmul at every size
  from 100 to 10k vectors here (1k: 28 us vs 43 us). Removal is `remove_ids` (O(n) compaction).
- HNSW (`IndexIDMap2(IndexHNSWSQ(d, float16, M=16))`, efSearch 64): ~0.1-0.5 ms at 100k.
  float16 storage halves the largest item in memory (100k x 384: 73 MB instead of 147);
  recall@1 on 20k real MiniLM vectors 0.982 vs 0.983 with float32 storage, same build
  (benchmarks/results/memory_bench.json). HNSW cannot
  delete, so removed labels go to a tombstone set that search filters; when tombstones exceed
  `TOMBSTONE_RATIO` of the stored vectors the index is rebuilt from the live vectors (back to
  flat if fewer than `hnsw_min_size // 2` remain; the gap is hysteresis against flapping).

Rebuilds (flat -> HNSW migration, tombstone cleanup) cost one HNSW build of the live vectors:
~50 us per vector with real MiniLM vectors, ~250-500 us with random ones on this machine, so
seconds for a large scope. Without an executor they run inline (tests, tools). With one (the
app passes a single-worker `ThreadPoolExecutor`) the build runs in that thread (faiss drops the
GIL) while the old index keeps serving; adds and removes made meanwhile go to the old index and
to a log that is replayed on the new one when the calling thread swaps it in (checked at the
start of every call). The owner thread only pays the O(n) export copy. Memory for that scope
is doubled during a build.

The index owns the only copy of each vector (`vector(key)` reconstructs it, float16-rounded in
an HNSW scope), which saves ~1.5 KB per entry against also keeping it on the entry. Exports
and dumps are float16 copies; builds convert them to float32 a chunk at a time.

Snapshots (cache/snapshot.py) store an HNSW scope as its vectors in storage order, tombstones
included, plus the faiss graph without its storage (`dump()`); `restore()` re-attaches the
vectors to the validated graph (saved over float16 or, version 2, float32 storage) in O(n)
copies straight into the float16 storage instead of an O(n log n) build (100k random
vectors: ~0.5 s instead of ~70 s). A graph that does not fit is refused and the caller adds the
vectors, i.e. rebuilds.

Threads: OpenMP's thread count is a per-thread setting, so every thread that calls faiss pins
itself to one thread on first use (single queries only get slower with more). `faiss_threads`
lifts that for a bulk build in the calling thread, e.g. loading a snapshot before serving.

Not thread-safe: one thread (the event loop) calls it; the executor only sees copies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import NamedTuple, cast

import faiss
import numpy as np

log = logging.getLogger("cache.index")

TOMBSTONE_RATIO = 0.2
DEFAULT_EF_SEARCH = 64
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 40  # faiss's default; see benchmarks/results/index_bench.json
# Upper bound on extra candidates requested to make up for tombstoned hits.
MAX_TOMBSTONE_EXTRA = 64
BUILD_CHUNK = 8192  # vectors converted to float32 at a time when building from float16

_thread_state = threading.local()


def _pin_faiss_thread() -> None:
    """Pin faiss to one OpenMP thread in the calling thread (once per thread)."""
    if not getattr(_thread_state, "pinned", False):
        faiss.omp_set_num_threads(1)
        _thread_state.pinned = True


@contextmanager
def faiss_threads(n: int) -> Iterator[None]:
    """Let faiss use n OpenMP threads in the calling thread only, for a bulk build."""
    faiss.omp_set_num_threads(max(1, n))
    _thread_state.pinned = True
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


class IndexDump(NamedTuple):
    """A scope's vectors for a snapshot: labels and vectors in storage order, graph or None."""

    keys: np.ndarray
    vectors: np.ndarray
    graph: np.ndarray | None  # uint8 faiss HNSW without storage; rows = keys/vectors order


def _as_matrix(vecs: np.ndarray, dim: int) -> np.ndarray:
    """Return vecs as a C-contiguous (n, dim) float32 matrix, or raise ValueError."""
    mat = np.ascontiguousarray(vecs, dtype=np.float32).reshape(-1, dim)
    if mat.shape[1] != dim:
        raise ValueError(f"expected vectors of dim {dim}, got {vecs.shape}")
    return mat


def build_index(
    dim: int, hnsw: bool, ef_search: int, keys: np.ndarray, vecs: np.ndarray
) -> tuple[faiss.Index, faiss.IndexIDMap2]:
    """Build a filled (inner, IDMap2) pair; pure, so it may run in a worker thread."""
    _pin_faiss_thread()
    inner: faiss.Index = _new_hnsw(dim, ef_search) if hnsw else faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    # In chunks: float16 input becomes float32 only a chunk at a time.
    for start in range(0, len(keys), BUILD_CHUNK):
        mat = _as_matrix(vecs[start : start + BUILD_CHUNK], dim)
        index.add_with_ids(mat, np.ascontiguousarray(keys[start : start + BUILD_CHUNK], np.int64))
    return inner, index


def _new_hnsw(dim: int, ef_search: int) -> faiss.IndexHNSWSQ:
    """An empty HNSW index over float16 storage (half the memory of float32)."""
    fp16 = faiss.ScalarQuantizer.QT_fp16  # an int to faiss; its stubs say ScalarQuantizer
    inner = faiss.IndexHNSWSQ(dim, fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]
    inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    inner.hnsw.efSearch = ef_search
    return inner


class ScopeIndex:
    """Vector index of one scope; flat below `hnsw_min_size`, HNSW from there on."""

    def __init__(
        self,
        dim: int = 384,
        *,
        hnsw_min_size: int = 4096,
        ef_search: int = DEFAULT_EF_SEARCH,
        executor: Executor | None = None,
    ) -> None:
        _pin_faiss_thread()
        self.dim = dim
        self.hnsw_min_size = hnsw_min_size
        self.ef_search = ef_search
        self.executor = executor
        self._build: Future[tuple[faiss.Index, faiss.IndexIDMap2]] | None = None
        self._build_hnsw = False
        # Changes made while a build runs: (labels, vectors) adds and (labels, None) removes.
        self._log: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._install(*build_index(dim, False, ef_search, np.empty(0, np.int64), np.empty(0)))
        self._hnsw = False

    @property
    def kind(self) -> str:
        """Index kind: "flat" or "hnsw"."""
        self._poll()
        return "hnsw" if self._hnsw else "flat"

    @property
    def tombstones(self) -> int:
        """Number of removed-but-still-stored HNSW vectors."""
        return len(self._tombstones)

    @property
    def rebuilding(self) -> bool:
        """Whether a background build is in flight."""
        self._poll()
        return self._build is not None

    def __len__(self) -> int:
        """Number of live vectors."""
        return int(self._index.ntotal) - len(self._tombstones)

    def add(self, key: int, vec: np.ndarray) -> None:
        """Add one vector under a new label."""
        self.add_many(np.array([key], dtype=np.int64), vec)

    def add_many(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        """Add vectors under new labels, migrating to HNSW if the scope grows past the bound."""
        self._poll()
        mat = _as_matrix(vecs, self.dim)
        ids = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1)
        self._index.add_with_ids(mat, ids)
        if self._build is not None:
            self._log.append((ids, mat))
        elif not self._hnsw and len(self) >= self.hnsw_min_size:
            self._start_build(hnsw=True)

    def remove(self, key: int) -> None:
        """Remove a label; unknown labels are ignored."""
        self._poll()
        self._remove_from_current(key)
        if self._build is not None:
            self._log.append((np.array([key], dtype=np.int64), None))
        else:
            self.compact()

    def compact(self) -> None:
        """Rebuild without tombstones once they exceed TOMBSTONE_RATIO (in the executor if any)."""
        self._poll()
        if (
            self._build is None
            and self._hnsw
            and len(self._tombstones) > TOMBSTONE_RATIO * self._index.ntotal
        ):
            self._start_build(hnsw=len(self) >= self.hnsw_min_size // 2)

    def search(self, vec: np.ndarray, k: int = 4) -> list[tuple[int, float]]:
        """Return up to k (label, cosine) pairs of live vectors, best first."""
        self._poll()
        if self._index.ntotal == 0:
            return []
        extra = min(len(self._tombstones), MAX_TOMBSTONE_EXTRA)
        scores, labels = self._index.search(_as_matrix(vec, self.dim), k + extra)
        hits = [
            (int(label), float(score))
            for label, score in zip(labels[0], scores[0], strict=True)
            if label >= 0 and label not in self._tombstones
        ]
        return hits[:k]

    def vector(self, key: int) -> np.ndarray:
        """Return the stored vector of a live label (a copy); KeyError if unknown."""
        if key in self._tombstones:
            raise KeyError(key)
        try:
            return np.asarray(self._index.reconstruct(key), dtype=np.float32)
        except RuntimeError:
            raise KeyError(key) from None

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (labels, float16 vectors) of all live vectors, copies in storage order."""
        keys, vecs = self._stored()
        if self._tombstones:
            live = ~np.isin(keys, np.fromiter(self._tombstones, np.int64))
            keys, vecs = keys[live], vecs[live]
        return keys, vecs

    def dump(self) -> IndexDump:
        """Vectors for a snapshot; an HNSW index adds its graph and keeps tombstoned rows."""
        self._poll()
        if not self._hnsw:
            return IndexDump(*self.export(), None)
        graph = faiss.serialize_index(self._inner, faiss.IO_FLAG_SKIP_STORAGE)
        return IndexDump(*self._stored(), graph)

    def _stored(self) -> tuple[np.ndarray, np.ndarray]:
        """(labels, float16 vectors) of every stored row, tombstones included, as copies."""
        n = int(self._index.ntotal)
        keys = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        if not self._hnsw:
            vecs = self._inner.reconstruct_n(0, n) if n else np.empty((0, self.dim))
            return keys, np.ascontiguousarray(vecs, np.float16).reshape(-1, self.dim)
        # float16 storage: its codes are the vectors; one copy, no float32 detour.
        codes = _fp16_storage(self._inner).codes
        return keys, faiss.vector_to_array(codes).view(np.float16).reshape(-1, self.dim)

    def restore(self, graph: memoryview | np.ndarray, vecs: np.ndarray, keys: np.ndarray) -> bool:
        """Adopt a dumped HNSW graph over its vectors; keys[i] is row i's label, -1 if dead.

        Only into an empty index. Returns False, leaving the index empty, if the graph does not
        fit the vectors or too few rows are live for HNSW: the caller then adds the live vectors.
        Dead rows become tombstones; `compact()` drops them later. A graph saved over float32
        storage (snapshot version 2) is re-attached to float16 storage.
        """
        self._poll()
        keys = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1)
        mat = np.ascontiguousarray(vecs, np.float16).reshape(-1, self.dim)
        live = keys >= 0
        if self._index.ntotal or self._build is not None or len(keys) != len(mat):
            return False
        if int(live.sum()) < max(1, self.hnsw_min_size // 2):
            return False
        try:
            loaded = _load_graph(graph, self.dim, len(mat))
        except (RuntimeError, ValueError) as exc:  # faiss reports bad input as RuntimeError
            log.warning("snapshot HNSW graph unusable, rebuilding the scope: %s", exc)
            return False
        inner = _new_hnsw(self.dim, self.ef_search)
        inner.hnsw = loaded.hnsw  # a copy of the graph; `loaded` is freed on return
        del loaded
        _fill_codes(_fp16_storage(inner), mat)
        inner.ntotal = len(mat)
        inner.hnsw.efSearch = self.ef_search
        dead = np.flatnonzero(~live)
        keys = keys.copy()
        keys[dead] = -2 - dead  # unique, negative: never a store label nor faiss's -1
        self._install(inner, _wrap_filled(inner, keys))
        self._hnsw = True
        self._tombstones.update(keys[dead].tolist())
        return True

    def wait(self) -> None:
        """Block until a background build finishes and swap it in (tests, shutdown)."""
        if self._build is not None:
            self._build.exception()
            self._poll()

    def _remove_from_current(self, key: int) -> None:
        """Remove from the serving index: compaction when flat, a tombstone when HNSW."""
        if not self._hnsw:
            # faiss's Python wrapper accepts an id array; its stubs only know IDSelector.
            self._index.remove_ids(np.array([key], dtype=np.int64))  # type: ignore[arg-type]
        elif key not in self._tombstones and self._contains(key):
            self._tombstones.add(key)

    def _contains(self, key: int) -> bool:
        """Whether the label is stored (live or tombstoned)."""
        try:
            self._index.reconstruct(key)
        except RuntimeError:
            return False
        return True

    def _start_build(self, *, hnsw: bool) -> None:
        """Rebuild from the live vectors: inline, or in the executor while this one serves."""
        keys, vecs = self.export()
        if self.executor is None:
            self._install(*build_index(self.dim, hnsw, self.ef_search, keys, vecs))
            self._hnsw = hnsw
            return
        self._build_hnsw = hnsw
        self._build = self.executor.submit(build_index, self.dim, hnsw, self.ef_search, keys, vecs)

    def _poll(self) -> None:
        """Swap in a finished background build and replay the changes made meanwhile."""
        _pin_faiss_thread()  # the first faiss call of a thread may come through any method
        if self._build is None or not self._build.done():
            return
        build, log_, self._build, self._log = self._build, self._log, None, []
        try:
            inner, index = build.result()
        except Exception:  # e.g. MemoryError: keep serving the old index, retry later
            log.exception("vector index rebuild failed; keeping the current index")
            return
        self._install(inner, index)
        self._hnsw = self._build_hnsw
        for ids, mat in log_:
            if mat is not None:
                self._index.add_with_ids(mat, ids)
            else:
                self._remove_from_current(int(ids[0]))

    def _install(self, inner: faiss.Index, index: faiss.IndexIDMap2) -> None:
        """Make a built index the serving one."""
        # Keep our own reference: the IDMap wrapper does not own the inner index.
        self._inner = inner
        self._index = index
        self._tombstones: set[int] = set()


def _fp16_storage(inner: faiss.Index) -> faiss.IndexScalarQuantizer:
    """The float16 storage of an HNSW index made by `_new_hnsw`."""
    storage = faiss.downcast_index(cast(faiss.IndexHNSW, inner).storage)
    assert isinstance(storage, faiss.IndexScalarQuantizer)
    return storage


def _fill_codes(storage: faiss.IndexScalarQuantizer, mat: np.ndarray) -> None:
    """Make float16 rows the contents of an empty float16 storage, copied once, in place."""
    size = mat.size * 2
    storage.codes.resize(size)
    if size:
        dest = faiss.rev_swig_ptr(storage.codes.data(), size)
        dest[:] = mat.view(np.uint8).reshape(-1)
    storage.ntotal = len(mat)


def _load_graph(graph: memoryview | np.ndarray, dim: int, n: int) -> faiss.IndexHNSW:
    """Deserialize a storage-less HNSW graph; ValueError unless it is one over n rows of dim."""
    inner = faiss.deserialize_index(np.frombuffer(graph, dtype=np.uint8))
    graph_types = (faiss.IndexHNSWFlat, faiss.IndexHNSWSQ)  # float32 (version 2) or float16
    if not isinstance(inner, graph_types) or inner.storage is not None:
        raise ValueError(f"not a storage-less HNSW graph: {type(inner).__name__}")
    if inner.d != dim or inner.ntotal != n or inner.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise ValueError(f"graph of {inner.ntotal} x {inner.d} does not fit {n} x {dim}")
    hnsw = inner.hnsw
    levels = faiss.vector_to_array(hnsw.levels).astype(np.int64)
    offsets = faiss.vector_to_array(hnsw.offsets).astype(np.int64)
    neighbors = faiss.vector_to_array(hnsw.neighbors)
    cum = faiss.vector_to_array(hnsw.cum_nneighbor_per_level).astype(np.int64)
    # Search follows these links without bounds checks: a bad one would read out of bounds.
    if (
        n == 0
        or len(levels) != n
        or len(offsets) != n + 1
        or levels.min() < 1
        or levels.max() >= len(cum)
        or not np.array_equal(np.diff(offsets), cum[levels])
        or offsets[0] != 0
        or offsets[-1] != len(neighbors)
        or neighbors.min() < -1
        or neighbors.max() >= n
        or not 0 <= hnsw.entry_point < n
        or hnsw.max_level != levels.max() - 1
    ):
        raise ValueError("HNSW graph structure is inconsistent")
    return inner


def _wrap_filled(inner: faiss.Index, keys: np.ndarray) -> faiss.IndexIDMap2:
    """An IDMap2 over an already filled index (faiss's constructor insists on an empty one)."""
    n = inner.ntotal
    inner.ntotal = 0
    index = faiss.IndexIDMap2(inner)
    inner.ntotal = n
    index.ntotal = n
    faiss.copy_array_to_vector(keys, index.id_map)
    index.construct_rev_map()
    return index
