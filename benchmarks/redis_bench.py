"""Shared cache tier benchmark: replication lag A -> B, and lookup latency at B (Redis on/off).

Starts its own redis-server (Debian package; `make redis`) on a free port, runs two
SemanticCache + RedisReplicator replicas in one process (one clock, so put -> apply is exact)
and writes ``benchmarks/results/redis_bench.json``. Bounded: ~10-20 s on 2 cores.

    .venv/bin/python -m benchmarks.redis_bench [--entries 2000] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from cache.shared import RedisReplicator
from cache.shared_ports import SharedMetrics
from cache.store import Entry, SemanticCache

RESULTS = Path(__file__).parent / "results" / "redis_bench.json"
DIM = 384


class TimedCache(SemanticCache):
    """Records when each remote entry was applied (perf_counter)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.applied_at: dict[str, float] = {}

    def apply_remote_put(self, entry: Entry) -> None:
        """Apply, then note the time."""
        super().apply_remote_put(entry)
        self.applied_at[entry.id] = time.perf_counter()


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    """redis-server on a free port, no persistence; returns (process, url) once it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: run `make redis`")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(250):
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit("redis-server did not start")


def vectors(n: int, seed: int) -> np.ndarray:
    """n random unit vectors."""
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    unit: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return unit


def pct(values: list[float], q: float) -> float:
    """Percentile in milliseconds, rounded."""
    return round(float(np.percentile(values, q)) * 1000, 4) if values else float("nan")


def put_entry(cache: SemanticCache, i: int, tag: str, vec: np.ndarray) -> Entry:
    """Entry `i` of a run `tag`: one of 8 scopes, a ~320-byte body, 10 min TTL."""
    return cache.put(
        f"scope-{i % 8}",
        f"{tag} prompt {i}",
        vec,
        body=b'{"x": 1}' * 40,
        model="m",
        tier="small",
        tier_rank=0,
        ttl=600,
    )


async def measure_lag(
    a: SemanticCache, b: TimedCache, vecs: np.ndarray, rate: float, tag: str
) -> dict[str, Any]:
    """A puts len(vecs) entries at ``rate``/s (0 = burst); lag = put on A -> applied on B."""
    put_at: dict[str, float] = {}
    gap = 1.0 / rate if rate else 0.0
    for i, vec in enumerate(vecs):
        entry = put_entry(a, i, tag, vec)
        put_at[entry.id] = time.perf_counter()
        if gap:
            await asyncio.sleep(gap)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # polling: the cache has no "applied" event to await
        if all(k in b.applied_at for k in put_at):
            break
        await asyncio.sleep(0.01)
    lags = [b.applied_at[k] - t for k, t in put_at.items() if k in b.applied_at]
    return {
        "entries": len(vecs),
        "rate_per_s": rate or "burst",
        "received": len(lags),
        "lag_ms_p50": pct(lags, 50),
        "lag_ms_p99": pct(lags, 99),
        "lag_ms_max": pct(lags, 100),
    }


def lookup_latency(
    caches: dict[str, SemanticCache], texts: list[str], vecs: np.ndarray, rounds: int = 3
) -> dict[str, dict[str, float]]:
    """p50/p99 of exact and semantic lookups per cache, interleaved so they share the noise.

    Semantic queries are the stored vector plus small noise (a hit after a flat search).
    """
    noise = vectors(len(vecs), 99) * 0.05
    times: dict[str, dict[str, list[float]]] = {n: {"exact": [], "semantic": []} for n in caches}
    for _ in range(rounds):
        for i, (text, vec) in enumerate(zip(texts, vecs, strict=True)):
            q = vec + noise[i]
            q /= np.linalg.norm(q)
            for name, cache in caches.items():
                t0 = time.perf_counter()
                cache.lookup_exact(f"scope-{i % 8}", text)
                t1 = time.perf_counter()
                cache.lookup(f"scope-{i % 8}", text + "?", q, threshold=0.8)
                times[name]["semantic"].append(time.perf_counter() - t1)
                times[name]["exact"].append(t1 - t0)
    return {
        name: {
            f"{kind}_ms_{q}": pct(values, int(q[1:]))
            for kind, values in t.items()
            for q in ("p50", "p99")
        }
        for name, t in times.items()
    }


async def run(entries: int, rate: float) -> dict[str, Any]:
    """The whole benchmark against a fresh redis-server."""
    proc, url = start_redis()
    lag_metric: list[float] = []
    try:
        a, b = SemanticCache(), TimedCache()
        rep_a = RedisReplicator(a, url, block_ms=1000)
        rep_b = RedisReplicator(b, url, block_ms=1000, metrics=SharedMetrics(lag=lag_metric.append))
        for rep in (rep_a, rep_b):
            await rep.start()
            await asyncio.wait_for(rep.warmed.wait(), 5)
        paced = await measure_lag(a, b, vectors(entries, 1), rate, "paced")
        burst = await measure_lag(a, b, vectors(entries, 2), 0, "burst")
        texts = [f"paced prompt {i}" for i in range(entries)]
        off_cache = SemanticCache()  # the same entries as B, no replicator: Redis off
        for tag, seed in (("paced", 1), ("burst", 2)):
            for i, vec in enumerate(vectors(entries, seed)):
                put_entry(off_cache, i, tag, vec)
        assert off_cache.entries == b.entries
        lookups = lookup_latency({"on": b, "off": off_cache}, texts, vectors(entries, 1))
        for rep in (rep_a, rep_b):
            await rep.stop()
    finally:
        proc.kill()
        proc.wait(5)
    return {
        "what": "two replicas in one process on one redis-server 7.0 (loopback); lag = put on A "
        "-> applied on B; lookups at B with the replicator running vs a plain cache",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        },
        "replication_paced": paced,
        "replication_burst": burst,
        "metric_publish_to_apply_ms": {"p50": pct(lag_metric, 50), "p99": pct(lag_metric, 99)},
        "lookup_at_b_redis_on": lookups["on"],
        "lookup_at_b_redis_off": lookups["off"],
    }


def main() -> None:
    """Parse flags, run, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500.0, help="puts/s for the paced run")
    args = parser.parse_args()
    result = asyncio.run(run(args.entries, args.rate))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
