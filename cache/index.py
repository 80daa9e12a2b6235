"""Per-scope vector index: exact flat search when small, HNSW when large.

Contract: one `ScopeIndex` holds the vectors of exactly one cache scope, keyed by int64
labels the store assigns (never reused). `SemanticCache` keeps one instance per scope in a
dict, so a search physically cannot see another scope's vectors: that is the isolation proof
(no post-filter on a scope field that a bug could forget).

Vectors must be L2-normalized float32; scores are inner products = cosine similarity.

Kinds, chosen by size (`hnsw_min_size`):
- flat (`IndexIDMap2(IndexFlatIP)`): exact, and faster than a numpy matmul at the sizes it
  serves. Removal is `remove_ids` (O(n) compaction).
- HNSW (`IndexIDMap2(IndexHNSWSQ(d, float16, M=16))`, see `cache/hnsw.py`): float16 storage
  halves the memory at the same recall@1. HNSW cannot delete, so removed labels go to a
  tombstone set that search filters; when tombstones exceed `TOMBSTONE_RATIO` of the stored
  vectors the index is rebuilt from the live vectors (back to flat if fewer than
  `hnsw_min_size // 2` remain; the gap is hysteresis against flapping).

Rebuilds (flat -> HNSW migration, tombstone cleanup) build the live vectors anew: inline
without an executor (tests, tools); with one (the app passes a single-worker executor) in that
thread while the old index keeps serving, changes made meanwhile logged and replayed on the new
index when the owner thread swaps it in. The scope's memory doubles during a build.

The index owns the only copy of each vector (`vector(key)` reconstructs it, float16-rounded in
an HNSW scope). Snapshots (cache/snapshot.py) keep an HNSW scope's graph without its storage
(`dump()`); `restore()` re-attaches the vectors to the checked graph in O(n) copies instead of
an O(n log n) build, and a graph that does not fit is refused (the caller adds the vectors).

Not thread-safe: one thread (the event loop) calls it; the executor only sees copies.
Measured figures (search latency, recall, memory, build and restore times): docs/benchmarks.md.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future
from typing import NamedTuple

import faiss
import numpy as np

from cache.hnsw import (
    as_matrix,
    attach_graph,
    build_index,
    faiss_threads,
    fp16_storage,
    pin_faiss_thread,
    wrap_filled,
)

# faiss_threads: for callers that bulk-load scopes (cache/store.py loading a snapshot).
__all__ = ["DEFAULT_EF_SEARCH", "IndexDump", "ScopeIndex", "faiss_threads"]

log = logging.getLogger("cache.index")

TOMBSTONE_RATIO = 0.2
DEFAULT_EF_SEARCH = 64
# Upper bound on extra candidates requested to make up for tombstoned hits.
MAX_TOMBSTONE_EXTRA = 64


class IndexDump(NamedTuple):
    """A scope's vectors for a snapshot: labels and vectors in storage order, graph or None."""

    keys: np.ndarray
    vectors: np.ndarray
    graph: np.ndarray | None  # uint8 faiss HNSW without storage; rows = keys/vectors order


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
        pin_faiss_thread()
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
        mat = as_matrix(vecs, self.dim)
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
        scores, labels = self._index.search(as_matrix(vec, self.dim), k + extra)
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
        codes = fp16_storage(self._inner).codes
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
            inner = attach_graph(graph, mat, self.dim, self.ef_search)
        except (RuntimeError, ValueError) as exc:  # faiss reports bad input as RuntimeError
            log.warning("snapshot HNSW graph unusable, rebuilding the scope: %s", exc)
            return False
        dead = np.flatnonzero(~live)
        keys = keys.copy()
        keys[dead] = -2 - dead  # unique, negative: never a store label nor faiss's -1
        self._install(inner, wrap_filled(inner, keys))
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
        pin_faiss_thread()  # the first faiss call of a thread may come through any method
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
