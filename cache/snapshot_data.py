"""What a cache snapshot holds, apart from its file layout (`cache/snapshot.py`): the entries
with their metadata rows, the float16 vectors and HNSW graphs, and the two cache-side steps —
gathering a running cache's vectors for a snapshot (`collect_vectors`) and choosing which
entries of a snapshot to restore under the cache's bounds (`select_entries`).

Metadata rows are JSON lists (see `META_FIELDS`, then the vector row and the body length);
repeated short strings (scope, model, tier) are interned when entries are rebuilt.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from cache.entry import META_FIELDS, Entry

if TYPE_CHECKING:
    from cache.index import IndexDump

SHARED_FIELDS = ("scope", "model", "tier")


META_CHUNK = 4096


class SnapshotError(ValueError):
    """A snapshot file that cannot be used."""


@dataclass(frozen=True, slots=True)
class Graph:
    """A scope's serialized HNSW graph over vector rows [start, start + rows)."""

    scope: str
    start: int
    rows: int
    blob: np.ndarray | memoryview  # uint8 bytes of faiss.serialize_index


@dataclass(frozen=True, slots=True)
class SnapshotData:
    """Entries (vector=None) with `rows[i]` = row of entry i in float16 `vectors`, or -1."""

    family: str
    dim: int
    entries: list[Entry]
    rows: np.ndarray
    vectors: np.ndarray
    graphs: tuple[Graph, ...] = ()


def collect_vectors(
    labels: np.ndarray, dumps: Iterable[tuple[str, IndexDump]], dim: int
) -> tuple[np.ndarray, np.ndarray, tuple[Graph, ...]]:
    """Stack per-scope dumps; map each wanted label to its row (-1: none); place the graphs."""
    parts = list(dumps)
    all_labels = [d.keys for _, d in parts]
    vectors = [d.vectors for _, d in parts]
    graphs: list[Graph] = []
    start = 0
    for scope, dump in parts:
        if dump.graph is not None:
            graphs.append(Graph(scope, start, len(dump.keys), dump.graph))
        start += len(dump.keys)
    flat_labels = np.concatenate(all_labels) if parts else np.empty(0, np.int64)
    if len(vectors) == 1:  # the common single-scope case: no second copy
        stacked = vectors[0]
    else:
        stacked = np.concatenate(vectors) if parts else np.empty((0, dim), np.float16)
    row_of = dict(zip(flat_labels.tolist(), range(len(flat_labels)), strict=True))
    rows = np.fromiter((row_of.get(label, -1) for label in labels.tolist()), np.int64, len(labels))
    return rows, stacked, tuple(graphs)


def select_entries(
    data: SnapshotData, now: float, max_entries: int, max_bytes: int
) -> list[tuple[Entry, int, int]]:
    """(entry, row, nbytes) to load, oldest first: live, unique, most recent within bounds."""
    vec_bytes = data.dim * 4
    chosen: list[tuple[Entry, int, int]] = []
    seen_keys: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    total = 0
    # Newest first, so the bounds keep the most recently used entries.
    for entry, row in zip(reversed(data.entries), data.rows[::-1].tolist(), strict=True):
        key = (entry.scope, entry.text)
        if entry.expires <= now or key in seen_keys or entry.id in seen_ids:
            continue
        size = entry.nbytes + (vec_bytes if row >= 0 else 0)
        if len(chosen) >= max_entries or total + size > max_bytes:
            break
        seen_keys.add(key)
        seen_ids.add(entry.id)
        chosen.append((entry, row, size))
        total += size
    chosen.reverse()
    return chosen


def meta_json(data: SnapshotData) -> list[bytes]:
    """The metadata block as JSON pieces, one per chunk of entries: the per-entry lists exist
    for one chunk at a time (all at once they cost about as much as the JSON itself)."""
    pieces = [b"["]
    rows = data.rows.tolist()
    for start in range(0, len(data.entries), META_CHUNK):
        chunk = [
            [getattr(e, f) for f in META_FIELDS] + [rows[start + i], len(e.body)]
            for i, e in enumerate(data.entries[start : start + META_CHUNK])
        ]
        pieces += [b"," if start else b"", orjson.dumps(chunk)[1:-1]]
    return [*pieces, b"]"]


def entries_from_meta(
    meta: list[list[Any]], bodies: memoryview, n_vec: int
) -> tuple[list[Entry], np.ndarray]:
    """Build entries from metadata rows and the body block; validate rows and lengths."""
    entries: list[Entry] = []
    rows = np.empty(len(meta), np.int64)
    offset = 0
    n_fields = len(META_FIELDS)
    for i, item in enumerate(meta):
        if len(item) != n_fields + 2:
            raise SnapshotError(f"entry {i} has {len(item)} fields")
        row, body_len = int(item[n_fields]), int(item[n_fields + 1])
        if not -1 <= row < n_vec or body_len < 0 or offset + body_len > len(bodies):
            raise SnapshotError(f"entry {i} points outside the file")
        fields = dict(zip(META_FIELDS, item[:n_fields], strict=True))
        for name in SHARED_FIELDS:  # one string object per distinct value, not per entry
            if isinstance(fields[name], str):
                fields[name] = sys.intern(fields[name])
        entries.append(Entry(vector=None, body=bytes(bodies[offset : offset + body_len]), **fields))
        rows[i] = row
        offset += body_len
    if offset != len(bodies):
        raise SnapshotError("body block length does not match the entries")
    return entries, rows
