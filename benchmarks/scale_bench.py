"""How the cache grows: memory, lookup latency and snapshot load time at 10k / 100k / 1M entries.

Usage: .venv/bin/python -m benchmarks.scale_bench [--sizes 10000,100000,1000000]
       [--scopes 1,1000] [--queries 2000] [--max-fill-s 900] [--out .../scale_bench.json]

One fresh subprocess per (entries, scopes, bodies) case builds the cache the app would build
(`sidecar.cache_factory.build_cache`, byte bound lifted so nothing is evicted) through
`SemanticCache.put`, one entry at a time as traffic would. Reported per case: RSS growth per
entry and the same beyond the vector as the index stores it (float32 in a flat scope, float16
in an HNSW scope), p50/p99 of `lookup` (near-duplicate queries in random scopes, cosine gate
0.9, no verifier: the search itself), and the snapshot's size, write time and load time into an
empty cache. `bodies=redis` is `redis.bodies_in_redis`: the replica keeps no answer bodies.
With `--redis`, the body fetch a hit then pays (`RedisReplicator.fetch_body`: GET + decode) is
timed against a redis-server started on a free port.

Vectors are synthetic but dimension-realistic: 384-d, L2-normalized, in clusters of 8 around
random centres (within-cluster cosine ~0.9), because HNSW builds on structureless random
vectors are 5-10x slower than on real MiniLM vectors (cache/index.py) and a 1M single-scope
build would not fit the time budget. Texts are real QQP questions made unique, bodies
mock-shaped chat completions (~560 bytes), scopes 64-hex hashes (a new string per request,
as parsed from a request). A case that cannot finish filling within
`--max-fill-s` reports how far it got.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "scale_bench.json"
DIM = 384
MB = 2**20


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _vectors(n: int, rng: np.random.Generator, cluster: int = 8) -> np.ndarray:
    centres = rng.standard_normal((n // cluster + 1, DIM)).astype(np.float32)
    vecs = np.repeat(centres, cluster, axis=0)[:n]
    vecs += 0.33 * rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs


def _body(i: int, text: str) -> bytes:
    content = "echo: " + text + " lorem" * 40
    return (
        b'{"id":"chatcmpl-%024d","object":"chat.completion","created":1795900000,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop","message":'
        b'{"role":"assistant","content":"%s"}}],"usage":{"prompt_tokens":20,'
        b'"completion_tokens":50,"total_tokens":70}}' % (i, content.encode())
    )


def fill(n: int, scopes: int, keep_bodies: bool, max_s: float) -> dict[str, Any]:
    """A cache with up to `n` entries spread round-robin over `scopes` scopes, and its RSS cost.

    The RSS baseline is taken after everything but the cache exists (texts, query seeds, one
    chunk of vectors), and the last chunk is freed before the second reading.
    """
    from benchmarks import workloads
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings

    questions = [q for c in workloads.load_clusters() for q in c]
    scope_names = [hashlib.sha256(b"scope %d" % k).hexdigest() for k in range(scopes)]
    rng = np.random.default_rng(0)
    kept = np.zeros((min(n, 4096), DIM), np.float32)  # query seeds, spread over the fill
    kept_scope = np.zeros(len(kept), np.int64)
    kept_text = [""] * len(kept)
    chunk = 20_000
    vecs = _vectors(min(chunk, n), rng)
    gc.collect()
    base = _rss_kb()
    cache = build_cache(
        CacheSettings(max_bytes=2**40), verifier=None, max_entries=n, keep_bodies=keep_bodies
    )
    t0 = time.perf_counter()
    for start in range(0, n, chunk):
        if start:
            vecs = _vectors(min(chunk, n - start), rng)
        for j, vec in enumerate(vecs):
            i = start + j
            text = f"{questions[i % len(questions)]} (variant {i})"
            cache.put(
                (scope_names[i % scopes] + " ")[:-1],  # a new str per request, as parsed
                text,
                vec,
                body=_body(i, text),
                model="gpt-4o-mini",
                tier="small",
                tier_rank=0,
                prompt_tokens=20,
                completion_tokens=50,
            )
            kept[i % len(kept)], kept_scope[i % len(kept)] = vec, i % scopes
            kept_text[i % len(kept)] = text
        if time.perf_counter() - t0 > max_s:
            break
    fill_s = time.perf_counter() - t0
    del vecs
    gc.collect()
    grown = (_rss_kb() - base) * 1024
    return {
        "cache": cache,
        "seeds": kept,
        "seed_scopes": kept_scope,
        "seed_texts": kept_text,
        "fill_s": fill_s,
        "grown": grown,
    }


def lookups(
    cache: Any,
    seeds: np.ndarray,
    seed_scopes: np.ndarray,
    seed_texts: list[str],
    queries: int,
) -> dict[str, float]:
    """p50/p99 (us) of `lookup` for near-duplicates of stored vectors, in their own scope."""
    rng = np.random.default_rng(1)
    times, hits = [], 0
    n = cache.entries
    for _ in range(queries):
        k = int(rng.integers(min(len(seeds), n)))
        vec = seeds[k] + 0.02 * rng.standard_normal(DIM).astype(np.float32)
        vec /= np.linalg.norm(vec)
        scope = hashlib.sha256(b"scope %d" % seed_scopes[k]).hexdigest()
        t0 = time.perf_counter()
        found = cache.lookup(scope, seed_texts[k], vec, 0.9)  # same words: the guard agrees
        times.append((time.perf_counter() - t0) * 1e6)
        hits += found.entry is not None
    arr = np.array(times)
    return {
        "p50_us": float(np.percentile(arr, 50)),
        "p99_us": float(np.percentile(arr, 99)),
        "hit_share": hits / queries,
    }


def snapshot_cycle(cache: Any, keep_bodies: bool) -> dict[str, float]:
    """Write the snapshot, then load it into an empty cache (the sidecar's start)."""
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings

    tmp = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        path = str(tmp / "cache.snapshot")
        t0 = time.perf_counter()
        cache.snapshot(path)
        wrote = time.perf_counter() - t0
        size = os.path.getsize(path)
        fresh = build_cache(
            CacheSettings(max_bytes=2**40),
            verifier=None,
            max_entries=cache.entries,
            keep_bodies=keep_bodies,
        )
        t0 = time.perf_counter()
        loaded = fresh.load_snapshot(path)
        return {
            "snapshot_mb": size / MB,
            "write_s": wrote,
            "load_s": time.perf_counter() - t0,
            "loaded": loaded,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def fetch_latency(samples: int = 500) -> dict[str, Any]:
    """GET + decode of one entry's body from a local redis-server (the hit's extra cost)."""
    from benchmarks.peers import free_port
    from cache.shared import RedisReplicator
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings

    exe = shutil.which("redis-server")
    if exe is None:
        return {"error": "redis-server not installed (scripts/ensure-redis.sh)"}
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220  (a benchmark helper; started once)
        [exe, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cache = build_cache(CacheSettings(), verifier=None, keep_bodies=False)
        rep = RedisReplicator(cache, f"redis://127.0.0.1:{port}/0")
        await rep.start()
        await asyncio.wait_for(rep.warmed.wait(), 10)
        entries = []
        for i, vec in enumerate(_vectors(samples, np.random.default_rng(2))):
            text = f"fetch sample {i}"
            entries.append(
                cache.put("s", text, vec, body=_body(i, text), model="m", tier="small", tier_rank=0)
            )
        await rep.flush(10)
        times = []
        for e in entries:
            t0 = time.perf_counter()
            body = await rep.fetch_body(e)
            times.append((time.perf_counter() - t0) * 1000)
            if body != e.body:
                return {"error": f"fetched body differs for {e.id}"}
        await rep.stop()
        return {
            "samples": samples,
            "p50_ms": float(np.percentile(times, 50)),
            "p99_ms": float(np.percentile(times, 99)),
        }
    finally:
        proc.kill()
        proc.wait(5)


def child(n: int, scopes: int, bodies: str, queries: int, max_fill_s: float) -> dict[str, Any]:
    """One case, in this (fresh) process."""
    import faiss  # noqa: F401  (imported before the baseline so its RSS is not counted)

    from cache import store  # noqa: F401

    filled = fill(n, scopes, bodies == "local", max_fill_s)
    cache, grown = filled["cache"], filled["grown"]
    entries = cache.entries
    hnsw = entries // scopes >= cache.hnsw_min_size
    vec_bytes = DIM * (2 if hnsw else 4)
    out: dict[str, Any] = {
        "entries_asked": n,
        "entries": entries,
        "scopes": scopes,
        "bodies": bodies,
        "index": "hnsw (float16)" if hnsw else "flat (float32)",
        "fill_s": round(filled["fill_s"], 1),
        "complete": entries == n,
        "rss_growth_mb": grown / MB,
        "bytes_per_entry": grown / max(1, entries),
        "bytes_per_entry_beyond_vector": grown / max(1, entries) - vec_bytes,
        "lookup": lookups(
            cache, filled["seeds"], filled["seed_scopes"], filled["seed_texts"], queries
        ),
    }
    out["snapshot"] = snapshot_cycle(cache, bodies == "local")
    return out


def main(argv: list[str] | None = None) -> None:
    """Run every case in its own subprocess and write the JSON result."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--scopes", default="1,1000")
    p.add_argument("--bodies", default="local,redis")
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--max-fill-s", type=float, default=900.0)
    p.add_argument("--redis", action="store_true", help="also time the body fetch from Redis")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if args.child:
        n, scopes, bodies = args.child.split(":")
        res = child(int(n), int(scopes), bodies, args.queries, args.max_fill_s)
        print("SCALEJSON " + json.dumps(res), flush=True)
        return
    cases: list[dict[str, Any]] = []
    result: dict[str, Any] = {"machine": _machine(), "cases": cases}
    for n in map(int, args.sizes.split(",")):
        for scopes in map(int, args.scopes.split(",")):
            for bodies in args.bodies.split(","):
                case = _run_child(args, n, scopes, bodies)
                cases.append(case)
                print(json.dumps(case), flush=True)
                args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.redis:
        result["body_fetch"] = asyncio.run(fetch_latency())
        print(json.dumps(result["body_fetch"]))
    result["machine"]["loadavg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(result, indent=1) + "\n")


def _run_child(args: argparse.Namespace, n: int, scopes: int, bodies: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.scale_bench",
        "--child",
        f"{n}:{scopes}:{bodies}",
        "--queries",
        str(args.queries),
        "--max-fill-s",
        str(args.max_fill_s),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=args.max_fill_s * 3 + 600
    )
    for line in proc.stdout.splitlines():
        if line.startswith("SCALEJSON "):
            return dict(json.loads(line[len("SCALEJSON ") :]))
    return {
        "entries_asked": n,
        "scopes": scopes,
        "bodies": bodies,
        "error": (proc.stderr or proc.stdout)[-800:],
    }


def _machine() -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": len(os.sched_getaffinity(0)),
        "loadavg_start": os.getloadavg(),
        "note": "2 cores shared with other agents' jobs: compare cases of one run",
    }


if __name__ == "__main__":
    main()
