"""Benchmark the cache's memory with a pre-filled snapshot: load, traffic, snapshot write.

Usage: .venv/bin/python -m benchmarks.memory_bench [--out benchmarks/results/memory_bench.json]
       [--sizes 10000,100000] [--ops 400] [--recall 20000]

For each size, a snapshot is built once like the sidecar's memory scenario does
(`benchmarks.peers.build_snapshot`: real QQP texts, mock chat bodies, random unit vectors, one
scope, HNSW) and cached under $SIDECAR_BENCH_CACHE/memory_bench/v<snapshot version>/. Then a
fresh subprocess per size records VmRSS / VmHWM (/proc/self/status) and ru_maxrss after each
step: imports, `read_snapshot` alone (decoded file), `load_snapshot` (the sidecar's start),
`--ops` requests' worth of cache work (a quarter exact hits, the rest a semantic lookup plus a
put of a new entry, evicting the oldest at 100k as the sidecar does), and a snapshot write (the
shutdown / periodic path). Deltas are against the imports step, so they are the cache's own
cost; the sidecar adds its models (~160 MB at 0 entries, benchmarks/results/summary.md).
`--recall N` checks that float16 storage keeps HNSW recall@1 against exact search on N real
MiniLM vectors (the vectors benchmarks/index_bench.py caches).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_CACHE = Path(os.environ.get("SIDECAR_BENCH_CACHE", "/work/.bench-cache"))
MB = 2**20


def status_kb() -> dict[str, int]:
    """VmRSS and VmHWM of this process in KiB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def snapshot_path(n: int) -> Path:
    """Build (once per snapshot format version) and return a snapshot of n entries."""
    from cache.snapshot import VERSION

    path = BENCH_CACHE / "memory_bench" / f"v{VERSION}" / f"n{n}" / "cache.snapshot"
    if not path.exists():
        from benchmarks.peers import build_snapshot

        start = time.time()
        build_snapshot(path, n)
        print(f"built {path} in {time.time() - start:.0f} s", file=sys.stderr, flush=True)
    return path


def child(path: str, n: int, ops: int) -> dict[str, Any]:
    """Load the snapshot in this (fresh) process and record memory after each step."""
    import numpy as np
    import orjson

    from benchmarks import workloads
    from cache.encoders import FAMILY
    from cache.snapshot import read_snapshot
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings
    from sidecar.dialects import CHAT, parse

    steps: list[dict[str, Any]] = []

    def step(name: str, **extra: Any) -> None:
        gc.collect()
        mem = status_kb()
        steps.append(
            {
                "step": name,
                "rss_mb": round(mem["VmRSS"] / 1024, 1),
                "hwm_mb": round(mem["VmHWM"] / 1024, 1),
                "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
            | extra
        )

    cfg = CacheSettings()
    # The scope the sidecar gives a one-message chat request with no tenant and no key.
    scope = parse(CHAT, orjson.dumps(workloads.chat_body("x")), {}, cfg).scope
    step("imports")
    data = read_snapshot(path, FAMILY, 384)
    assert data is not None
    step("read_snapshot (decoded, not loaded)")
    del data
    step("decoded freed")
    cache = build_cache(cfg, verifier=None)
    start = time.perf_counter()
    loaded = cache.load_snapshot(path)
    step("load_snapshot", entries=loaded, seconds=round(time.perf_counter() - start, 2))
    # From the middle: the oldest are evicted by the puts below, the newest are not all ours.
    slots = list(cache._slots.values())
    texts = [s.entry.text for s in slots[len(slots) // 2 :][: ops // 4]]
    rng = np.random.default_rng(1)
    body = b'{"choices":[{"message":{"content":"' + b"y" * 600 + b'"}}]}'
    lookup_ms = []
    exact_hits = 0
    for i in range(ops):
        if i % 4 == 0 and texts:
            exact_hits += cache.lookup_exact(scope, texts.pop()) is not None
            continue
        vec = rng.standard_normal(384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        t0 = time.perf_counter()
        cache.lookup(scope, f"new {i}", vec, 0.9)
        lookup_ms.append((time.perf_counter() - t0) * 1000)
        cache.put(
            scope,
            f"new {i}",
            vec,
            body=body + str(i).encode(),
            model="m",
            tier="small",
            tier_rank=0,
        )
    step(
        f"{ops} requests",
        entries=cache.entries,
        exact_hits=exact_hits,
        lookup_p50_ms=round(float(np.percentile(lookup_ms, 50)), 3) if lookup_ms else None,
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cache.snapshot(os.path.join(tmp, "out.snapshot"))
        step("snapshot write", seconds=round(time.perf_counter() - start, 2))
    base = steps[0]["rss_mb"]
    return {
        "entries": n,
        "snapshot_mb": round(os.path.getsize(path) / MB, 1),
        "steps": steps,
        "cache_rss_after_load_mb": round(steps[3]["rss_mb"] - base, 1),
        "cache_peak_mb": round(steps[-1]["hwm_mb"] - base, 1),
        "peak_step": max((s for s in steps), key=lambda s: s["hwm_mb"])[
            "step"
        ],  # first step whose HWM reached the final peak
    }


def recall(n: int) -> dict[str, Any]:
    """HNSW recall@1 vs exact search on real MiniLM vectors: float32 vs float16 storage."""
    import faiss
    import numpy as np

    from benchmarks.index_bench import real_vectors
    from cache.hnsw import HNSW_EF_CONSTRUCTION, HNSW_M, build_index
    from cache.index import DEFAULT_EF_SEARCH

    base, queries = real_vectors(n)
    exact = faiss.IndexFlatIP(base.shape[1])
    exact.add(base)
    sims, truth = exact.search(queries, 1)
    near = sims[:, 0] >= 0.8
    out: dict[str, Any] = {"entries": n, "queries": len(queries), "ef_search": DEFAULT_EF_SEARCH}
    fp16 = faiss.ScalarQuantizer.QT_fp16
    plain = {  # one batch each, so only the storage differs
        "float32_one_batch": faiss.IndexHNSWFlat(base.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT),
        "float16_one_batch": faiss.IndexHNSWSQ(
            base.shape[1], fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT
        ),
    }
    for name, inner in plain.items():
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.add(base)
        inner.hnsw.efSearch = DEFAULT_EF_SEARCH
        out[name] = _recall_of(inner, queries, truth, near)
    # What a rebuild does: float16 storage filled in BUILD_CHUNK batches.
    _, index = build_index(base.shape[1], True, DEFAULT_EF_SEARCH, np.arange(n), base)
    out["float16_cache_build_index"] = _recall_of(index, queries, truth, near)
    return out


def _recall_of(index: Any, queries: Any, truth: Any, near: Any) -> dict[str, Any]:
    """recall@1 (all queries and those with a neighbour at cosine >= 0.8) and mean ms."""
    start = time.perf_counter()
    _, got = index.search(queries, 1)
    ms = (time.perf_counter() - start) / len(queries) * 1000
    return {
        "recall_at_1": round(float((got[:, 0] == truth[:, 0]).mean()), 4),
        "recall_at_1_sim_ge_0.8": round(float((got[near, 0] == truth[near, 0]).mean()), 4),
        "mean_ms": round(ms, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/memory_bench.json")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--recall", type=int, default=20000, help="real vectors (0: skip)")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.ops)))
        return
    from cache.snapshot import VERSION

    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        path = snapshot_path(n)
        cmd = [sys.executable, "-m", "benchmarks.memory_bench", "--ops", str(args.ops)]
        cmd += ["--child", str(path), str(n)]
        env = os.environ | {"OMP_NUM_THREADS": "2"}
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
        row = json.loads(out.splitlines()[-1])
        print(json.dumps(row, indent=1), flush=True)
        rows.append(row)
    result = {
        "setup": "fresh subprocess per size; snapshot from benchmarks.peers.build_snapshot "
        "(one scope, random unit vectors, HNSW); MB = MiB; deltas against the imports step",
        "snapshot_version": VERSION,
        "runs": rows,
    }
    if args.recall:
        result["hnsw_recall_real_minilm"] = recall(args.recall)
        print(json.dumps(result["hnsw_recall_real_minilm"]), flush=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
