"""Benchmark SemanticCache.lookup latency (flat vs HNSW), memory and snapshot cost.

Usage: .venv/bin/python -m benchmarks.index_bench [--out benchmarks/results/index_bench.json]
       [--sizes 1000,10000,100000] [--queries 2000]

One scope, random L2-normalized 384-d vectors (seeded), ~1 KB bodies. Half of the queries are
near-duplicates of stored prompts (cosine ~0.95, hits), half random (misses); threshold 0.9.
Memory is the RSS delta of filling a cache in a fresh subprocess (default HNSW switch-over),
so allocator state from earlier runs does not blur it. Runs in about two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from cache.store import SemanticCache

DIM = 384
BODY = b'{"choices":[{"message":{"content":"' + b"x" * 960 + b'"}}]}'
FLAT_100K_QUERIES = 200  # flat at 100k is ~15 ms a query; enough samples for p99


def unit_vectors(n: int, seed: int) -> np.ndarray:
    """Seeded random L2-normalized float32 vectors."""
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def fill(n: int, hnsw_min_size: int) -> tuple[SemanticCache, np.ndarray, float]:
    """A cache with n entries in one scope; returns it, the vectors and the fill seconds."""
    cache = SemanticCache(max_entries=n + 1, max_bytes=2**40, hnsw_min_size=hnsw_min_size)
    vecs = unit_vectors(n, seed=n)
    start = time.perf_counter()
    for i, vec in enumerate(vecs):
        # A distinct body object per entry, as in production (a shared one would hide ~1 KB).
        body = BODY + str(i).encode()
        cache.put("scope", f"prompt {i}", vec, body=body, model="m", tier="small", tier_rank=0)
    return cache, vecs, time.perf_counter() - start


def queries(vecs: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Half near-duplicates of stored vectors (with their ids), half random vectors (-1)."""
    rng = np.random.default_rng(7)
    targets = rng.integers(0, len(vecs), count // 2)
    noise = unit_vectors(count // 2, seed=11)
    near = 0.95 * vecs[targets] + 0.31 * noise
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    qs = np.concatenate([near, unit_vectors(count - count // 2, seed=13)]).astype(np.float32)
    want = np.concatenate([targets, np.full(count - count // 2, -1)])
    order = rng.permutation(count)
    return qs[order], want[order]


def time_lookups(cache: SemanticCache, vecs: np.ndarray, count: int) -> dict[str, Any]:
    """Latency percentiles of lookup, plus how many near-duplicates were found."""
    qs, want = queries(vecs, count)
    for q in qs[:20]:  # warm-up
        cache.lookup("scope", "q", q, 0.9)
    times = np.empty(count)
    found = 0
    for i, q in enumerate(qs):
        start = time.perf_counter_ns()
        res = cache.lookup("scope", "q", q, 0.9)
        times[i] = (time.perf_counter_ns() - start) / 1e6
        if want[i] >= 0 and res.entry is not None and res.entry.text == f"prompt {want[i]}":
            found += 1
    return {
        "queries": count,
        "p50_ms": round(float(np.percentile(times, 50)), 4),
        "p99_ms": round(float(np.percentile(times, 99)), 4),
        "mean_ms": round(float(times.mean()), 4),
        "near_duplicate_recall": round(found / int((want >= 0).sum()), 4),
    }


def ef_sweep(cache: SemanticCache, vecs: np.ndarray, count: int) -> dict[str, Any]:
    """Latency and recall of the same HNSW index at other efSearch values."""
    inner = cache._indexes["scope"]._inner
    sweep = {}
    for ef in (16, 128, 256):
        inner.hnsw.efSearch = ef
        sweep[str(ef)] = time_lookups(cache, vecs, count)
    inner.hnsw.efSearch = cache.ef_search
    return sweep


def latency(sizes: list[int], count: int) -> list[dict[str, Any]]:
    """Lookup latency for each size, flat and HNSW."""
    rows = []
    for n in sizes:
        for kind, min_size in (("flat", 2**62), ("hnsw", 1)):
            cache, vecs, fill_s = fill(n, min_size)
            assert cache._indexes["scope"].kind == kind
            q = FLAT_100K_QUERIES if kind == "flat" and n >= 100_000 else count
            row = {"entries": n, "index": kind, "fill_s": round(fill_s, 2)}
            row |= time_lookups(cache, vecs, q)
            if kind == "hnsw" and n >= 100_000:
                row["ef_search_sweep"] = ef_sweep(cache, vecs, count)
            print(json.dumps(row), flush=True)
            rows.append(row)
            del cache, vecs
            gc.collect()
    return rows


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(n: int) -> dict[str, Any]:
    """Fill a default-config cache in this process; report RSS delta and snapshot cost."""
    gc.collect()
    before = rss_bytes()
    cache, vecs, fill_s = fill(n, 4096)
    del vecs
    gc.collect()
    delta = rss_bytes() - before
    row: dict[str, Any] = {
        "entries": n,
        "index": cache._indexes["scope"].kind,
        "rss_delta_mb": round(delta / 2**20, 1),
        "per_entry_bytes": round(delta / n),
        "cache_bytes_mb": round(cache.bytes / 2**20, 1),
        "fill_s": round(fill_s, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cache.snap")
        start = time.perf_counter()
        cache.snapshot(path)
        row["snapshot_write_s"] = round(time.perf_counter() - start, 2)
        row["snapshot_mb"] = round(os.path.getsize(path) / 2**20, 1)
        start = time.perf_counter()
        loaded = SemanticCache(max_entries=n + 1, max_bytes=2**40).load_snapshot(path)
        row["snapshot_load_s"] = round(time.perf_counter() - start, 2)
        assert loaded == n
    return row


def memory(sizes: list[int]) -> list[dict[str, Any]]:
    """Run memory_child for each size in a fresh interpreter."""
    rows = []
    for n in sizes:
        cmd = [sys.executable, "-m", "benchmarks.index_bench", "--memory-child", str(n)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    """Run the benchmark and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/index_bench.json")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--memory-sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": "one scope, random unit 384-d vectors, ~1 KB bodies, threshold 0.9, k=4, "
        "HNSW M=16 efSearch=64, faiss 1 thread; half near-duplicate queries, half random",
        "lookup": latency([int(s) for s in args.sizes.split(",")], args.queries),
        "memory": memory([int(s) for s in args.memory_sizes.split(",")]),
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
