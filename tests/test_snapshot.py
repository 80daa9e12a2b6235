"""Tests for snapshot persistence: round trip, HNSW graphs, atomic writes, corrupt, foreign
and version 1 files."""

from __future__ import annotations

import dataclasses
import logging
import os
import struct
import zlib
from pathlib import Path

import faiss
import numpy as np
import orjson
import pytest

from cache import snapshot, snapshot_data
from cache.store import Entry, SemanticCache

DIM = 384
FAMILY = "all-MiniLM-L6-v2"


class Clock:
    """A manually advanced clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    """Seeded random L2-normalized float32 vectors."""
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def filled_cache(n: int = 60, clock: Clock | None = None, **kw: int) -> SemanticCache:
    """A cache with n entries in three scopes, one without a vector, varied TTLs."""
    cache = SemanticCache(clock=clock or Clock(), model_family=FAMILY, **kw)
    for i, vec in enumerate(unit_vectors(n)):
        cache.put(
            f"s{i % 3}",
            f"text {i} ü",
            None if i == 5 else vec,
            body=f'{{"answer": {i}}}'.encode() * (i % 7 + 1),
            model="gpt",
            tier="small",
            tier_rank=i % 3,
            ttl=50.0 if i % 10 == 0 else 500.0,
            prompt_tokens=i,
            completion_tokens=2 * i,
            cost_usd=i / 1000,
        )
    return cache


def all_entries(cache: SemanticCache) -> list[Entry]:
    """Every entry, with vectors, in LRU order."""
    return [e for e in (cache.get(i) for i in list(cache._slots)) if e is not None]


def assert_same(a: Entry, b: Entry) -> None:
    """Entries are equal including their vectors."""
    assert a == b
    if a.vector is None:
        assert b.vector is None
    else:
        assert b.vector is not None
        np.testing.assert_array_equal(a.vector, b.vector)


def test_round_trip_entries_vectors_and_lookups(tmp_path: Path) -> None:
    clock = Clock()
    cache = filled_cache(clock=clock, hnsw_min_size=10)
    cache.lookup_exact("s0", "text 0 ü")  # LRU order must survive too
    path = str(tmp_path / "cache.snap")
    cache.snapshot(path)
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    assert loaded.load_snapshot(path) == cache.entries == 60
    before, after = all_entries(cache), all_entries(loaded)
    for a, b in zip(before, after, strict=True):
        assert_same(a, b)
    assert loaded.bytes == cache.bytes
    for i, vec in enumerate(unit_vectors(60)):
        got, want = (c.lookup(f"s{i % 3}", "q", vec, 0.9) for c in (loaded, cache))
        assert got.result == want.result and got.entry == want.entry
    assert not os.path.exists(path + ".tmp")


def test_load_skips_expired_and_respects_bounds(tmp_path: Path) -> None:
    clock = Clock()
    path = str(tmp_path / "cache.snap")
    filled_cache(clock=clock).snapshot(path)
    clock.now += 100  # the six ttl=50 entries are now expired
    assert SemanticCache(clock=clock, model_family=FAMILY).load_snapshot(path) == 54
    small = SemanticCache(max_entries=10, clock=clock, model_family=FAMILY)
    assert small.load_snapshot(path) == 10
    assert small.lookup_exact("s2", "text 59 ü") is not None  # most recent ones kept


def test_missing_file_is_zero(tmp_path: Path) -> None:
    assert SemanticCache(model_family=FAMILY).load_snapshot(str(tmp_path / "nope")) == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "flip_graph", "empty"])
def test_corrupt_snapshot_is_skipped_and_keeps_contents(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.snap"
    filled_cache(hnsw_min_size=10).snapshot(str(path))  # with graphs, the last blocks
    raw = path.read_bytes()
    at = len(raw) - 100 if damage == "flip_graph" else 100
    damaged = {
        "truncate": raw[: len(raw) // 2],
        "garbage": os.urandom(4096),
        "flip": raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :],
        "flip_graph": raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :],
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    target = filled_cache(5)
    with caplog.at_level(logging.WARNING, logger="cache.snapshot"):
        assert target.load_snapshot(str(path)) == 0
    assert target.entries == 5  # nothing partially applied
    assert "skipped" in caplog.text


def test_other_model_family_or_dim_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "cache.snap")
    filled_cache().snapshot(path)
    with caplog.at_level(logging.WARNING, logger="cache.snapshot"):
        assert SemanticCache(model_family="bge-small").load_snapshot(path) == 0
        assert SemanticCache(model_family=FAMILY, dim=768).load_snapshot(path) == 0
    assert "bge-small" in caplog.text


def test_snapshot_overwrites_atomically(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.snap")
    filled_cache(10).snapshot(path)
    filled_cache(20).snapshot(path)
    assert sorted(os.listdir(tmp_path)) == ["cache.snap"]
    assert SemanticCache(clock=Clock(), model_family=FAMILY).load_snapshot(path) == 20


def test_failed_write_leaves_old_snapshot_and_no_tmp(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.snap")
    cache = filled_cache(10)
    cache.snapshot(path)
    cache.put(
        "s0",
        "bad",
        None,
        body="not bytes",
        model="m",  # type: ignore[arg-type]
        tier="t",
        tier_rank=0,
    )
    with pytest.raises(TypeError):
        cache.snapshot(path)
    assert sorted(os.listdir(tmp_path)) == ["cache.snap"]
    assert SemanticCache(clock=Clock(), model_family=FAMILY).load_snapshot(path) == 10


def test_empty_cache_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.snap")
    SemanticCache(model_family=FAMILY).snapshot(path)
    assert SemanticCache(model_family=FAMILY).load_snapshot(path) == 0


def index_state(cache: SemanticCache) -> dict[str, tuple[str, int, int]]:
    """Per scope: index kind, live vectors, tombstones."""
    return {s: (i.kind, len(i), i.tombstones) for s, i in sorted(cache._indexes.items())}


def test_hnsw_scopes_load_their_saved_graph(tmp_path: Path) -> None:
    clock = Clock()
    cache = filled_cache(90, clock=clock, hnsw_min_size=10)
    for i in (3, 4, 6):  # tombstones in two HNSW scopes: a rebuild would drop them
        cache.remove(cache._exact[(f"s{i % 3}", f"text {i} ü")])
    path = str(tmp_path / "cache.snap")
    cache.snapshot(path)
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    assert loaded.load_snapshot(path) == 87
    assert index_state(loaded) == index_state(cache)
    assert [t for _, _, t in index_state(loaded).values()] == [2, 1, 0]
    for a, b in zip(all_entries(cache), all_entries(loaded), strict=True):
        assert_same(a, b)
    for i, vec in enumerate(unit_vectors(90)):
        got, want = (c.lookup(f"s{i % 3}", "q", vec, 0.9) for c in (loaded, cache))
        assert got.result == want.result and got.entry == want.entry


def test_expired_rows_become_tombstones_then_compacted(tmp_path: Path) -> None:
    clock = Clock()
    path = str(tmp_path / "cache.snap")
    filled_cache(90, clock=clock, hnsw_min_size=10).snapshot(path)
    clock.now += 100  # the nine ttl=50 entries expire: 3 of each scope's 30 rows (10%)
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    assert loaded.load_snapshot(path) == 81
    assert {s: t for s, (_, _, t) in index_state(loaded).items()} == {"s0": 3, "s1": 3, "s2": 3}
    clock.now -= 100
    big_drop = SemanticCache(max_entries=40, clock=clock, model_family=FAMILY, hnsw_min_size=10)
    assert big_drop.load_snapshot(path) == 40  # over the tombstone ratio: compacted on load
    assert all(t == 0 and n >= 13 for _, n, t in index_state(big_drop).values())


@pytest.mark.parametrize("damage", ["garbage", "other_scope"])
def test_graph_that_does_not_fit_is_rebuilt(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    cache = filled_cache(clock=clock, hnsw_min_size=10)
    data = cache.export_snapshot()
    assert len(data.graphs) == 3
    if damage == "garbage":  # written with a valid checksum: only the index can object
        junk = np.frombuffer(os.urandom(500), np.uint8)
        graphs = tuple(dataclasses.replace(g, blob=junk) for g in data.graphs)
    else:  # s0's graph claimed by s1: s1's rows lie outside it
        graphs = tuple(
            dataclasses.replace(g, scope=f"s{(i + 1) % 3}") for i, g in enumerate(data.graphs)
        )
    path = str(tmp_path / "cache.snap")
    snapshot.write_snapshot(path, dataclasses.replace(data, graphs=graphs))
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    with caplog.at_level(logging.WARNING):
        assert loaded.load_snapshot(path) == 60
    assert "rebuilding" in caplog.text
    assert {kind for kind, _, _ in index_state(loaded).values()} == {"hnsw"}
    for i, vec in enumerate(unit_vectors(60)):
        got, want = (c.lookup(f"s{i % 3}", "q", vec, 0.99) for c in (loaded, cache))
        assert got.result == want.result and got.entry == want.entry


def write_old_version(path: Path, data: snapshot.SnapshotData, version: int) -> None:
    """Versions 1 and 2 spelled out: float32 vectors; version 2 adds graphs built over float32
    storage (IndexHNSWFlat), version 1 has no "graphs" in the header and no graph blocks."""
    meta = [
        [getattr(e, f) for f in snapshot_data.META_FIELDS] + [int(r), len(e.body)]
        for e, r in zip(data.entries, data.rows.tolist(), strict=True)
    ]
    vectors = data.vectors.astype("<f4")
    head: dict[str, object] = {
        "version": version,
        "family": data.family,
        "dim": data.dim,
        "count": len(data.entries),
        "vectors": len(data.vectors),
    }
    blocks = [orjson.dumps(meta), vectors.tobytes(), b"".join(e.body for e in data.entries)]
    if version == 2:
        head["graphs"] = [[g.scope, g.start, g.rows] for g in data.graphs]
        for g in data.graphs:
            flat = faiss.IndexHNSWFlat(data.dim, 16, faiss.METRIC_INNER_PRODUCT)
            flat.add(vectors[g.start : g.start + g.rows])
            blocks.append(faiss.serialize_index(flat, faiss.IO_FLAG_SKIP_STORAGE).tobytes())
    header = orjson.dumps(head)
    out = snapshot.MAGIC + struct.pack("<I", len(header)) + header
    for block in blocks:
        out += struct.pack("<Q", len(block)) + block
    path.write_bytes(out + struct.pack("<I", zlib.crc32(out)))


def test_version_2_snapshot_loads_its_float32_graphs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    cache = filled_cache(clock=clock, hnsw_min_size=10)
    path = tmp_path / "cache.snap"
    write_old_version(path, cache.export_snapshot(), 2)
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    with caplog.at_level(logging.WARNING):
        assert loaded.load_snapshot(str(path)) == 60
    assert "rebuilding" not in caplog.text  # the graphs were re-attached, not rebuilt
    assert index_state(loaded) == index_state(cache)
    for i, vec in enumerate(unit_vectors(60)):
        got, want = (c.lookup(f"s{i % 3}", "q", vec, 0.99) for c in (loaded, cache))
        assert got.result == want.result and got.entry == want.entry


def test_version_1_snapshot_loads_by_rebuilding(tmp_path: Path) -> None:
    clock = Clock()
    cache = filled_cache(clock=clock, hnsw_min_size=10)
    path = tmp_path / "cache.snap"
    write_old_version(path, cache.export_snapshot(), 1)
    loaded = SemanticCache(clock=clock, model_family=FAMILY, hnsw_min_size=10)
    assert loaded.load_snapshot(str(path)) == 60
    assert index_state(loaded) == index_state(cache)
    for a, b in zip(all_entries(cache), all_entries(loaded), strict=True):
        assert_same(a, b)


def test_unknown_version_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cache.snap"
    write_old_version(path, filled_cache(10).export_snapshot(), 1)
    raw = path.read_bytes()[:-4].replace(b'"version":1', b'"version":9')
    path.write_bytes(raw + struct.pack("<I", zlib.crc32(raw)))
    with caplog.at_level(logging.WARNING, logger="cache.snapshot"):
        assert SemanticCache(model_family=FAMILY).load_snapshot(str(path)) == 0
    assert "unsupported format version 9" in caplog.text
