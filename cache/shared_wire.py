"""The shared cache tier's data layout in Redis: entry bytes, key names, stream IDs.

Contract:
- ``encode_entry`` / ``decode_entry`` are inverses: magic ``LSE1``, u32 header length, header
  JSON (the entry's ``META_FIELDS``, then model family and vector length), raw little-endian
  float32 vector, body. ``decode_entry`` raises ValueError for foreign bytes and for entries of
  another model family or dimension (so replicas running another model never mix vectors).
- Every key shares the stream key's Cluster hash tag (``hash_tag``): one slot for the MULTI-free
  pipelines the writer sends.
- ``stream_id`` turns a Redis stream ID into a comparable ``(ms, seq)``.
Pure functions; no Redis connection here.
"""

from __future__ import annotations

import struct

import numpy as np
import orjson

from cache.entry import META_FIELDS, Entry

_MAGIC = b"LSE1"


def encode_entry(entry: Entry, family: str) -> bytes:
    """Entry as bytes: magic, u32 header length, header JSON, float32 vector, body."""
    vec = b"" if entry.vector is None else np.ascontiguousarray(entry.vector, "<f4").tobytes()
    header = orjson.dumps([getattr(entry, f) for f in META_FIELDS] + [family, len(vec) // 4])
    return b"".join((_MAGIC, struct.pack("<I", len(header)), header, vec, entry.body))


def decode_entry(raw: bytes, family: str, dim: int) -> Entry:
    """Inverse of ``encode_entry``; ValueError if malformed or of another model family/dim."""
    if raw[:4] != _MAGIC or len(raw) < 8:
        raise ValueError("not a shared cache entry")
    (size,) = struct.unpack_from("<I", raw, 4)
    header = orjson.loads(raw[8 : 8 + size])
    values, (fam, n) = header[: len(META_FIELDS)], header[len(META_FIELDS) :]
    if fam != family or n not in (0, dim):
        raise ValueError(f"entry of model {fam!r}/{n}, expected {family!r}/{dim}")
    start = 8 + size
    vector = np.frombuffer(raw, "<f4", n, start).astype(np.float32) if n else None
    fields = dict(zip(META_FIELDS, values, strict=True))
    return Entry(vector=vector, body=bytes(raw[start + 4 * n :]), **fields)


def hash_tag(stream_key: str) -> str:
    """The Cluster hash tag that puts every key in the stream key's slot."""
    start = stream_key.find("{")
    end = stream_key.find("}", start + 1)
    if start >= 0 and end > start + 1:
        return stream_key[start : end + 1]
    return "{" + stream_key + "}"


def stream_id(raw: bytes | str) -> tuple[int, int]:
    """A stream ID as a comparable (ms, seq)."""
    ms, _, seq = (raw.decode() if isinstance(raw, bytes) else raw).partition("-")
    return int(ms), int(seq or 0)
