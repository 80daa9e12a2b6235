"""Benchmark SemanticCache.lookup latency (flat vs HNSW), memory, snapshot cost, HNSW recall.

Usage: .venv/bin/python -m benchmarks.index_bench [--out benchmarks/results/index_bench.json]
       [--sizes 1000,10000,100000] [--queries 2000] [--real 20000]

One scope, random L2-normalized 384-d vectors (seeded), ~1 KB bodies. Half of the queries are
near-duplicates of stored prompts (cosine ~0.95, hits), half random (misses); threshold 0.9.
Memory is the RSS delta of filling a cache in a fresh subprocess (default HNSW switch-over),
so allocator state from earlier runs does not blur it; the same child times a snapshot write,
a load (saved HNSW graphs re-attached) and a load of the same snapshot without its graphs
(every scope rebuilt, as version 1 snapshots and the fallback do).

Random 384-d vectors are the worst case for HNSW (no neighbourhood structure): `--real N`
adds build time and recall against exact search on N real MiniLM vectors of QQP questions
(plus 2000 held-out dev questions as queries), embedded once with the ONNX encoder and cached
under $SIDECAR_BENCH_CACHE (default /work/.bench-cache). Runs in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from cache.hnsw import HNSW_EF_CONSTRUCTION, HNSW_M, faiss_threads
from cache.snapshot import write_snapshot
from cache.store import SemanticCache

DIM = 384
BODY = b'{"choices":[{"message":{"content":"' + b"x" * 960 + b'"}}]}'
FLAT_100K_QUERIES = 200  # flat at 100k is ~15 ms a query; enough samples for p99
DATA_DIR = Path(os.environ.get("SIDECAR_DATA_DIR", "/work/shared/data")) / "pairs"
BENCH_CACHE = Path(os.environ.get("SIDECAR_BENCH_CACHE", "/work/.bench-cache"))
REAL_QUERIES = 2000


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
        row["snapshot_load_s"] = timed_load(path, n)
        # The same snapshot without graphs: what every load cost before they were saved.
        write_snapshot(path, dataclasses.replace(cache.export_snapshot(), graphs=()))
        del cache
        gc.collect()
        row["snapshot_load_rebuild_s"] = timed_load(path, n)
    return row


def timed_load(path: str, n: int) -> float:
    """Seconds to load a snapshot of n entries into a fresh default-config cache."""
    start = time.perf_counter()
    loaded = SemanticCache(max_entries=n + 1, max_bytes=2**40).load_snapshot(path)
    seconds = round(time.perf_counter() - start, 2)
    assert loaded == n
    return seconds


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


def qqp_questions(path: Path, n: int, skip: frozenset[str] = frozenset()) -> list[str]:
    """The first n distinct questions of a QQP JSON-lines file, leaving out `skip`."""
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            pair = json.loads(line)
            for text in (pair["a"].strip(), pair["b"].strip()):
                if text and text not in skip:
                    seen.setdefault(text)
            if len(seen) >= n:
                break
    return list(seen)[:n]


def real_vectors(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n train questions, REAL_QUERIES dev questions) as MiniLM vectors, cached on disk."""
    cache_file = BENCH_CACHE / f"index_bench-qqp-{n}.npz"
    if cache_file.exists():
        with np.load(cache_file) as saved:
            return saved["base"], saved["queries"]
    from cache.encoders import load_encoder
    from sidecar.config import configured_model_dir

    encoder = load_encoder("onnx", configured_model_dir(os.environ))
    base_texts = qqp_questions(DATA_DIR / "qqp_train.jsonl", n)
    query_texts = qqp_questions(DATA_DIR / "qqp_dev.jsonl", REAL_QUERIES, frozenset(base_texts))
    base, queries = (
        np.concatenate([encoder.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        for texts in (base_texts, query_texts)
    )
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache_file, base=base, queries=queries)
    return base, queries


def hnsw_recall(n: int) -> dict[str, Any]:
    """HNSW build time and recall@1/@4 against exact search on real MiniLM vectors."""
    base, queries = real_vectors(n)
    exact = faiss.IndexFlatIP(DIM)
    exact.add(base)
    sims, truth = exact.search(queries, 4)
    near = sims[:, 0] >= 0.8  # queries with a close neighbour: the ones a cache can serve
    rows = []
    for ef_construction in (HNSW_EF_CONSTRUCTION, 80, 200):
        index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        start, cpu = time.perf_counter(), time.process_time()
        with faiss_threads(1):
            index.add(base)
        row: dict[str, Any] = {
            "ef_construction": ef_construction,
            "build_s": round(time.perf_counter() - start, 2),
            "build_cpu_s": round(time.process_time() - cpu, 2),
        }
        for ef_search in (16, 32, 64, 128):
            index.hnsw.efSearch = ef_search
            start = time.perf_counter()
            for q in queries[:500]:
                index.search(q[None], 4)
            ms = (time.perf_counter() - start) / 500 * 1000
            _, got = index.search(queries, 4)
            recall4 = np.mean([len(set(a) & set(b)) for a, b in zip(got, truth, strict=True)]) / 4
            row[f"ef_search_{ef_search}"] = {
                "recall_at_1": round(float((got[:, 0] == truth[:, 0]).mean()), 4),
                "recall_at_4": round(float(recall4), 4),
                "recall_at_1_sim_ge_0.8": round(float((got[near, 0] == truth[near, 0]).mean()), 4),
                "mean_ms": round(ms, 4),
            }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return {
        "entries": n,
        "queries": len(queries),
        "queries_sim_ge_0.8": int(near.sum()),
        "runs": rows,
    }


def main() -> None:
    """Run the benchmark and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/index_bench.json")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--memory-sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--real", type=int, default=20000, help="real vectors (0: skip)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": "one scope, random unit 384-d vectors, ~1 KB bodies, threshold 0.9, k=4, "
        f"HNSW M={HNSW_M} efConstruction={HNSW_EF_CONSTRUCTION} efSearch=64, faiss 1 thread "
        "(snapshot loads: 2); half near-duplicate queries, half random",
        "lookup": latency([int(s) for s in args.sizes.split(",")], args.queries),
        "memory": memory([int(s) for s in args.memory_sizes.split(",")]),
    }
    if args.real:
        result["hnsw_recall_real_minilm"] = hnsw_recall(args.real)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
