"""Snapshots of a `Storage`: export its live entries and vectors, load them back whole.

Contract (the snapshot half of `cache.store.SemanticCache`, which subclasses `Persistent`):
- `export_snapshot()` collects the live entries (LRU order, oldest first), their vectors and
  each HNSW scope's graph: the only O(n) step that must stay on the event loop's thread;
  writing the file (`cache.snapshot.write_snapshot`, format in cache/snapshot.py) may then run
  in a worker thread. `snapshot(path)` does both inline.
- `load_snapshot(path)` builds a fresh storage from the file (entries chosen within the bounds
  by `select_entries`) and swaps it in only when complete: no partial loads; an unusable file
  (other model family or dim, corrupt) loads 0 entries and keeps the contents.
- Loading re-attaches each HNSW scope's saved graph to its vectors (no rebuild); a scope whose
  graph is missing (version 1, flat) or does not fit is built from its vectors, with
  `load_threads` faiss threads since nothing is served from the cache yet. Entries that expired
  while the process was down leave tombstones that are compacted before the swap.
"""

from __future__ import annotations

import numpy as np

from cache.index import faiss_threads
from cache.snapshot import (
    Graph,
    SnapshotData,
    collect_vectors,
    read_snapshot,
    select_entries,
    write_snapshot,
)
from cache.storage import Storage, log


class Persistent(Storage):
    """Snapshot export and load for a `Storage` (set `model_family` and `load_threads`)."""

    model_family: str  # written into snapshots; a snapshot of another family is not loaded
    load_threads: int  # faiss threads for index builds while loading (before serving)

    def export_snapshot(self) -> SnapshotData:
        """Collect the live entries (LRU order, oldest first) and their vectors."""
        now = self._clock()
        slots = [s for s in self._slots.values() if s.entry.expires > now]
        labels = np.fromiter((s.label for s in slots), np.int64, len(slots))
        dumps = [(scope, index.dump()) for scope, index in self._indexes.items()]
        rows, vectors, graphs = collect_vectors(labels, dumps, self.dim)
        entries = [s.entry for s in slots]
        return SnapshotData(self.model_family, self.dim, entries, rows, vectors, graphs)

    def snapshot(self, path: str) -> None:
        """Write a snapshot atomically (temp file in the same dir, fsync, os.replace)."""
        write_snapshot(path, self.export_snapshot())

    def load_snapshot(self, path: str) -> int:
        """Replace the contents with a snapshot; return entries loaded (0 if unusable)."""
        data = read_snapshot(path, self.model_family, self.dim)
        if data is None:
            return 0
        # Only the storage of `fresh` is used: its bounds, clock and index parameters.
        fresh = Persistent(
            self.max_entries,
            self.max_bytes,
            self.default_ttl,
            self.hnsw_min_size,
            clock=self._clock,
            dim=self.dim,
            ef_search=self.ef_search,
        )
        with faiss_threads(self.load_threads):
            fresh._bulk_load(data)  # builds inline: loading happens before serving
        for index in fresh._indexes.values():
            index.executor = self.rebuild_executor
            index.compact()  # entries expired while we were down leave tombstones
        # Swap in only after the whole snapshot was built: no partial loads.
        self._adopt(fresh)
        return self.entries

    def _bulk_load(self, data: SnapshotData) -> None:
        """Fill an empty cache from snapshot data: restore saved graphs, else add per scope."""
        chosen = select_entries(data, self._clock(), self.max_entries, self.max_bytes)
        per_scope: dict[str, tuple[list[int], list[int]]] = {}
        for entry, row, size in chosen:
            label = self._store_slot(entry, size, has_vector=row >= 0)
            if row >= 0:
                labels, rows = per_scope.setdefault(entry.scope, ([], []))
                labels.append(label)
                rows.append(row)
        graphs = {g.scope: g for g in data.graphs}
        for scope, (labels, rows) in per_scope.items():
            keys, at = np.array(labels, np.int64), np.array(rows, np.int64)
            graph = graphs.get(scope)
            if graph is None or not self._restore(scope, graph, keys, at, data.vectors):
                self._index_for(scope).add_many(keys, data.vectors[at])

    def _restore(
        self, scope: str, graph: Graph, keys: np.ndarray, rows: np.ndarray, vectors: np.ndarray
    ) -> bool:
        """Give a scope its saved graph if its rows are distinct and all inside the graph's."""
        pos = rows - graph.start
        if pos.min() < 0 or pos.max() >= graph.rows or len(np.unique(pos)) != len(pos):
            log.warning("snapshot graph of a scope does not match its entries; rebuilding")
            return False
        row_keys = np.full(graph.rows, -1, np.int64)
        row_keys[pos] = keys
        rows_of_graph = vectors[graph.start : graph.start + graph.rows]
        return self._index_for(scope).restore(graph.blob, rows_of_graph, row_keys)
