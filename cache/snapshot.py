"""Snapshot file format for SemanticCache: atomic writes, all-or-nothing validated reads.

Layout (little endian), version 2:
    MAGIC (8 bytes)
    u32 n + header JSON  {"version", "family", "dim", "count", "vectors", "graphs"}
    u64 n + metadata JSON: one list per entry (see _META_FIELDS), LRU order, oldest first
    u64 n + vectors: raw float32, "vectors" rows of "dim"
    u64 n + bodies: concatenated response bodies, lengths in the metadata
    per item of "graphs" ([scope, first row, rows]): u64 n + faiss HNSW graph without storage
    u32 CRC-32 of every byte before it

A graph covers the vector rows [first, first + rows) of one scope in its storage order, rows of
removed entries included (they are tombstones in the running index), so loading re-attaches
vectors to it instead of rebuilding HNSW (cache/index.py validates it; if it does not fit, the
scope is rebuilt from the same rows). Version 1 is version 2 without graphs and still loads.

The CRC catches garbage and truncation anywhere; the length prefixes let the reader slice
without parsing. JSON (orjson) plus raw buffers keeps 100k entries at well under a second
each way. A snapshot of another model family or dim is refused (its vectors would not be
comparable). `read_snapshot` never raises: any problem is one warning on "cache.snapshot"
and None, and nothing is applied until the whole file has been decoded.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

if TYPE_CHECKING:
    from cache.index import IndexDump
    from cache.store import Entry

log = logging.getLogger("cache.snapshot")

MAGIC = b"LSCSNAP\x00"
VERSION = 2
READABLE_VERSIONS = (1, 2)
_META_FIELDS = (
    "id",
    "scope",
    "text",
    "model",
    "tier",
    "tier_rank",
    "created",
    "expires",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)


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
    """Entries (vector=None) with `rows[i]` = row of entry i in `vectors`, or -1."""

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
    stacked = np.concatenate(vectors) if parts else np.empty((0, dim), np.float32)
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


def write_snapshot(path: str, data: SnapshotData) -> None:
    """Write atomically: temp file in the same directory, flush, fsync, os.replace."""
    meta = [
        [getattr(e, f) for f in _META_FIELDS] + [int(r), len(e.body)]
        for e, r in zip(data.entries, data.rows.tolist(), strict=True)
    ]
    header = orjson.dumps(
        {
            "version": VERSION,
            "family": data.family,
            "dim": data.dim,
            "count": len(data.entries),
            "vectors": len(data.vectors),
            "graphs": [[g.scope, g.start, g.rows] for g in data.graphs],
        }
    )
    vectors = np.ascontiguousarray(data.vectors, dtype="<f4").tobytes()
    parts = [MAGIC, struct.pack("<I", len(header)), header]
    blocks = [orjson.dumps(meta), vectors, b"".join(e.body for e in data.entries)]
    for block in blocks + [g.blob.tobytes() for g in data.graphs]:
        parts += [struct.pack("<Q", len(block)), block]
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            for part in parts:
                f.write(part)
            f.write(struct.pack("<I", crc))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def read_snapshot(path: str, family: str, dim: int) -> SnapshotData | None:
    """Decode a snapshot; None (with a warning) if missing, corrupt or of another model."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cache snapshot %s unreadable, starting empty: %s", path, exc)
        return None
    try:
        return _decode(raw, family, dim)
    except Exception as exc:  # any decoding failure means "corrupt": never fatal at start
        log.warning("cache snapshot %s skipped, starting empty: %s", path, exc)
        return None


def _decode(raw: bytes, family: str, dim: int) -> SnapshotData:
    """Validate and decode a whole snapshot file; raise on any problem."""
    if len(raw) < len(MAGIC) + 8 or not raw.startswith(MAGIC):
        raise SnapshotError("not a cache snapshot (bad magic or too short)")
    (crc,) = struct.unpack_from("<I", raw, len(raw) - 4)
    if zlib.crc32(memoryview(raw)[:-4]) != crc:
        raise SnapshotError("checksum mismatch (truncated or corrupted)")
    view = memoryview(raw)[:-4]
    header_bytes, pos = _block(view, len(MAGIC), "<I")
    header = orjson.loads(header_bytes)
    if header.get("version") not in READABLE_VERSIONS:
        raise SnapshotError(f"unsupported format version {header.get('version')!r}")
    if header.get("family") != family or header.get("dim") != dim:
        raise SnapshotError(
            f"model {header.get('family')!r}/{header.get('dim')} != {family!r}/{dim}"
        )
    meta_bytes, pos = _block(view, pos, "<Q")
    vec_bytes, pos = _block(view, pos, "<Q")
    bodies, pos = _block(view, pos, "<Q")
    graphs = []
    for scope, start, rows in header.get("graphs", []):
        blob, pos = _block(view, pos, "<Q")
        graphs.append(Graph(str(scope), int(start), int(rows), blob))
    if pos != len(view):
        raise SnapshotError("trailing bytes")
    meta: list[list[Any]] = orjson.loads(meta_bytes)
    n_vec = int(header["vectors"])
    if len(meta) != header["count"] or len(vec_bytes) != n_vec * dim * 4:
        raise SnapshotError("counts do not match the header")
    if any(g.start < 0 or g.rows < 0 or g.start + g.rows > n_vec for g in graphs):
        raise SnapshotError("a graph points outside the vectors")
    # A view into `raw`, not a copy: the index copies what it keeps.
    vectors = np.frombuffer(vec_bytes, dtype="<f4").astype(np.float32, copy=False)
    entries, rows = _entries(meta, bodies, n_vec)
    return SnapshotData(family, dim, entries, rows, vectors.reshape(n_vec, dim), tuple(graphs))


def _entries(
    meta: list[list[Any]], bodies: memoryview, n_vec: int
) -> tuple[list[Entry], np.ndarray]:
    """Build entries from metadata rows and the body block; validate rows and lengths."""
    from cache.store import Entry  # cache.store imports this module at load time

    entries: list[Entry] = []
    rows = np.empty(len(meta), np.int64)
    offset = 0
    n_fields = len(_META_FIELDS)
    for i, item in enumerate(meta):
        if len(item) != n_fields + 2:
            raise SnapshotError(f"entry {i} has {len(item)} fields")
        row, body_len = int(item[n_fields]), int(item[n_fields + 1])
        if not -1 <= row < n_vec or body_len < 0 or offset + body_len > len(bodies):
            raise SnapshotError(f"entry {i} points outside the file")
        fields = dict(zip(_META_FIELDS, item[:n_fields], strict=True))
        entries.append(Entry(vector=None, body=bytes(bodies[offset : offset + body_len]), **fields))
        rows[i] = row
        offset += body_len
    if offset != len(bodies):
        raise SnapshotError("body block length does not match the entries")
    return entries, rows


def _block(view: memoryview, pos: int, fmt: str) -> tuple[memoryview, int]:
    """Read a length-prefixed block at pos; return it and the position after it."""
    size = struct.calcsize(fmt)
    if pos + size > len(view):
        raise SnapshotError("truncated")
    (length,) = struct.unpack_from(fmt, view, pos)
    start = pos + size
    if start + length > len(view):
        raise SnapshotError("truncated")
    return view[start : start + length], start + length


def _unlink_quietly(path: str) -> None:
    """Remove a temp file left by a failed write."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(directory: str) -> None:
    """Persist the rename itself (POSIX needs the directory fsynced too)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
