"""Snapshot file format for SemanticCache: atomic writes, all-or-nothing validated reads.

Layout (little endian), version 3:
    MAGIC (8 bytes)
    u32 n + header JSON  {"version", "family", "dim", "count", "vectors", "graphs"}
    u64 n + metadata JSON: one list per entry (cache/snapshot_data.py), LRU order, oldest first
    u64 n + vectors: raw float16, "vectors" rows of "dim" (versions 1 and 2: float32)
    u64 n + bodies: concatenated response bodies, lengths in the metadata
    per item of "graphs" ([scope, first row, rows]): u64 n + faiss HNSW graph without storage
    u32 CRC-32 of every byte before it

A graph covers the vector rows [first, first + rows) of one scope in its storage order, rows of
removed entries included (they are tombstones in the running index), so loading re-attaches
vectors to it instead of rebuilding HNSW (cache/index.py validates it; if it does not fit, the
scope is rebuilt from the same rows). Version 2 (float32 vectors, graphs saved over float32
storage) and version 1 (version 2 without graphs) still load; their vectors become float16.

Memory: the reader reads block by block (never the whole file at once) and drops the metadata
and body blocks once decoded, so loading peaks at about the decoded entries plus one float16
copy of the vectors; the writer streams vectors and bodies instead of joining them.

The CRC catches garbage and truncation anywhere (checked before anything is decoded); the
length prefixes are checked against the file size before a block is read. JSON (orjson) plus
raw buffers keeps 100k entries at well under a second each way. Repeated short strings (scope,
model, tier) are interned. A snapshot of another model family or dim is refused (its vectors
would not be comparable). `read_snapshot` never raises: any problem is one warning on
"cache.snapshot" and None, and nothing is applied until the whole file has been decoded.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from typing import Any, BinaryIO

import numpy as np
import orjson

from cache.snapshot_data import (
    Graph,
    SnapshotData,
    SnapshotError,
    collect_vectors,
    entries_from_meta,
    meta_json,
    select_entries,
)

# The cache (cache/store.py) takes the whole snapshot API from here.
__all__ = [
    "Graph",
    "SnapshotData",
    "SnapshotError",
    "collect_vectors",
    "read_snapshot",
    "select_entries",
    "write_snapshot",
]

log = logging.getLogger("cache.snapshot")

MAGIC = b"LSCSNAP\x00"
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)


def write_snapshot(path: str, data: SnapshotData) -> None:
    """Write atomically: temp file in the same directory, flush, fsync, os.replace."""
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
    vectors = np.ascontiguousarray(data.vectors, dtype="<f2").reshape(-1).view(np.uint8)
    bodies = [e.body for e in data.entries]
    blocks: list[list[Any]] = [meta_json(data), [vectors], bodies]
    blocks += [[np.frombuffer(g.blob, np.uint8)] for g in data.graphs]
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            crc = _write(f, [MAGIC, struct.pack("<I", len(header)), header], 0)
            for chunks in blocks:  # length-prefixed, written piece by piece (no joined copy)
                size = sum(memoryview(c).nbytes for c in chunks)  # TypeError if not a buffer
                crc = _write(f, [struct.pack("<Q", size), *chunks], crc)
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
        f = open(path, "rb")  # closed below; OSError and decode errors differ
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cache snapshot %s unreadable, starting empty: %s", path, exc)
        return None
    try:
        with f:
            return _decode(_Reader(f), family, dim)
    except Exception as exc:  # any read or decoding failure means "corrupt": never fatal
        log.warning("cache snapshot %s skipped, starting empty: %s", path, exc)
        return None


class _Reader:
    """Reads a snapshot block by block, checking lengths against the file, CRC as it goes."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.left = os.fstat(f.fileno()).st_size
        self.crc = 0

    def take(self, n: int) -> bytes:
        """The next n bytes (counted in the CRC); SnapshotError if the file is shorter."""
        if n > self.left:
            raise SnapshotError("truncated")
        data = self.f.read(n)
        if len(data) != n:
            raise SnapshotError("truncated")
        self.left -= n
        self.crc = zlib.crc32(data, self.crc)
        return data

    def block(self, fmt: str) -> bytes:
        """A length-prefixed block."""
        (length,) = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
        return self.take(length)

    def check_end(self) -> None:
        """The stored CRC-32 must match and be the last 4 bytes."""
        if self.left != 4:
            raise SnapshotError("trailing bytes" if self.left > 4 else "truncated")
        (crc,) = struct.unpack("<I", self.f.read(4))
        if crc != self.crc:
            raise SnapshotError("checksum mismatch (truncated or corrupted)")


def _decode(reader: _Reader, family: str, dim: int) -> SnapshotData:
    """Read, validate and decode a whole snapshot; raise on any problem."""
    if reader.left < len(MAGIC) + 8 or reader.take(len(MAGIC)) != MAGIC:
        raise SnapshotError("not a cache snapshot (bad magic or too short)")
    header = orjson.loads(reader.block("<I"))
    version = header.get("version")
    if version not in READABLE_VERSIONS:
        raise SnapshotError(f"unsupported format version {version!r}")
    if header.get("family") != family or header.get("dim") != dim:
        raise SnapshotError(
            f"model {header.get('family')!r}/{header.get('dim')} != {family!r}/{dim}"
        )
    n_vec = int(header["vectors"])
    width = 2 if version >= 3 else 4
    meta_bytes = reader.block("<Q")
    vec_bytes = reader.block("<Q")
    if len(vec_bytes) != n_vec * dim * width:
        raise SnapshotError("counts do not match the header")
    bodies = reader.block("<Q")
    graphs = []
    for scope, start, rows in header.get("graphs", []):
        blob = np.frombuffer(reader.block("<Q"), np.uint8)
        graphs.append(Graph(str(scope), int(start), int(rows), blob))
    reader.check_end()  # nothing is decoded from a file that fails its checksum
    if any(g.start < 0 or g.rows < 0 or g.start + g.rows > n_vec for g in graphs):
        raise SnapshotError("a graph points outside the vectors")
    # float16 (version 3) is a view of the block, no copy; older float32 blocks are converted.
    vectors = np.frombuffer(vec_bytes, "<f2" if width == 2 else "<f4").astype(np.float16)
    del vec_bytes
    meta: list[list[Any]] = orjson.loads(meta_bytes)
    del meta_bytes
    if len(meta) != header["count"]:
        raise SnapshotError("counts do not match the header")
    entries, rows = entries_from_meta(meta, memoryview(bodies), n_vec)
    return SnapshotData(family, dim, entries, rows, vectors.reshape(n_vec, dim), tuple(graphs))


def _write(f: BinaryIO, chunks: list[Any], crc: int) -> int:
    """Write buffers in order; return the CRC-32 continued over them."""
    for chunk in chunks:
        f.write(chunk)
        crc = zlib.crc32(chunk, crc)
    return crc


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
