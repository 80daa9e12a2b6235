"""faiss building blocks for `cache/index.py`: thread pinning, building a filled flat or HNSW
index, the HNSW over float16 storage, and loading a saved graph only after checking it.

float16 storage halves the largest item in memory at the same recall@1 (measured figures:
docs/benchmarks.md, "Vector index"). A saved graph is checked link by link before use because
faiss search follows its links without bounds checks. OpenMP's thread count is per thread:
every thread that calls faiss pins itself to one thread on first use (single queries only get
slower with more); `faiss_threads` lifts that for a bulk build in the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import faiss
import numpy as np

HNSW_M = 16


HNSW_EF_CONSTRUCTION = 40  # faiss's default; see benchmarks/results/index_bench.json


BUILD_CHUNK = 8192  # vectors converted to float32 at a time when building from float16


_thread_state = threading.local()


def pin_faiss_thread() -> None:
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


def as_matrix(vecs: np.ndarray, dim: int) -> np.ndarray:
    """Return vecs as a C-contiguous (n, dim) float32 matrix, or raise ValueError."""
    mat = np.ascontiguousarray(vecs, dtype=np.float32).reshape(-1, dim)
    if mat.shape[1] != dim:
        raise ValueError(f"expected vectors of dim {dim}, got {vecs.shape}")
    return mat


def build_index(
    dim: int, hnsw: bool, ef_search: int, keys: np.ndarray, vecs: np.ndarray
) -> tuple[faiss.Index, faiss.IndexIDMap2]:
    """Build a filled (inner, IDMap2) pair; pure, so it may run in a worker thread."""
    pin_faiss_thread()
    inner: faiss.Index = new_hnsw(dim, ef_search) if hnsw else faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    # In chunks: float16 input becomes float32 only a chunk at a time.
    for start in range(0, len(keys), BUILD_CHUNK):
        mat = as_matrix(vecs[start : start + BUILD_CHUNK], dim)
        index.add_with_ids(mat, np.ascontiguousarray(keys[start : start + BUILD_CHUNK], np.int64))
    return inner, index


def new_hnsw(dim: int, ef_search: int) -> faiss.IndexHNSWSQ:
    """An empty HNSW index over float16 storage (half the memory of float32)."""
    fp16 = faiss.ScalarQuantizer.QT_fp16  # an int to faiss; its stubs say ScalarQuantizer
    inner = faiss.IndexHNSWSQ(dim, fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]
    inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    inner.hnsw.efSearch = ef_search
    return inner


def fp16_storage(inner: faiss.Index) -> faiss.IndexScalarQuantizer:
    """The float16 storage of an HNSW index made by `new_hnsw`."""
    storage = faiss.downcast_index(cast(faiss.IndexHNSW, inner).storage)
    if not isinstance(storage, faiss.IndexScalarQuantizer):
        raise TypeError(f"expected float16 storage, got {type(storage).__name__}")
    return storage


def fill_codes(storage: faiss.IndexScalarQuantizer, mat: np.ndarray) -> None:
    """Make float16 rows the contents of an empty float16 storage, copied once, in place."""
    size = mat.size * 2
    storage.codes.resize(size)
    if size:
        dest = faiss.rev_swig_ptr(storage.codes.data(), size)
        dest[:] = mat.view(np.uint8).reshape(-1)
    storage.ntotal = len(mat)


def load_graph(graph: memoryview | np.ndarray, dim: int, n: int) -> faiss.IndexHNSW:
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


def attach_graph(
    graph: memoryview | np.ndarray, mat: np.ndarray, dim: int, ef_search: int
) -> faiss.IndexHNSWSQ:
    """A float16 HNSW over ``mat`` (float16 rows) using a saved graph, without a rebuild.

    ValueError (or faiss's RuntimeError) when the graph does not fit ``mat``.
    """
    loaded = load_graph(graph, dim, len(mat))
    inner = new_hnsw(dim, ef_search)
    inner.hnsw = loaded.hnsw  # a copy of the graph; `loaded` is freed on return
    del loaded
    fill_codes(fp16_storage(inner), mat)
    inner.ntotal = len(mat)
    inner.hnsw.efSearch = ef_search
    return inner


def wrap_filled(inner: faiss.Index, keys: np.ndarray) -> faiss.IndexIDMap2:
    """An IDMap2 over an already filled index (faiss's constructor insists on an empty one)."""
    n = inner.ntotal
    inner.ntotal = 0
    index = faiss.IndexIDMap2(inner)
    inner.ntotal = n
    index.ntotal = n
    faiss.copy_array_to_vector(keys, index.id_map)
    index.construct_rev_map()
    return index
