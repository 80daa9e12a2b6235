"""Issue 3: the sidecar's added latency on the miss path, vs going direct to the mock.

    python -m benchmarks.overhead [--requests 600] [--rounds 4] [--ttft 0.02]
    python -m benchmarks.overhead --trees before=/old/tree after=. [--requests 300]

The second form compares code trees at concurrency 1 (misses, cache off, exact and semantic
hits) and misses at c=32, interleaved in one run: `benchmarks/latency_ab.py`.

Starts the mock upstream, the sidecar with its cache on (every request a unique prompt: exact
lookup, embedding, semantic search, forward, store) and with `SIDECAR_CACHE_ENABLED=false`
(the bare proxy), and sends unique prompts at concurrency 1 and 32 through each and directly
to the mock, interleaved in rounds. Writes `benchmarks/results/overhead.json`:
added p50/p95/p99 (system percentile minus direct percentile, ms), plus the sidecar's own view
(`sidecar_overhead_seconds` histogram: total minus time waiting on upstream).
`make bench` (benchmarks.run_all) writes the same file from its miss scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from benchmarks import harness, latency_ab, peers, systems

OUT = Path(__file__).resolve().parent / "results" / "overhead.json"


def from_miss(miss: dict[str, Any], machine: dict[str, Any], source: str) -> dict[str, Any]:
    """The overhead.json document from a miss-scenario result (run_all or this script)."""
    levels: dict[str, Any] = {}
    for c in ("1", "32"):
        level = miss.get(c) or {}
        direct = level.get("mock") or {}
        row: dict[str, Any] = {
            "direct_ms": {q: direct.get("latency_ms", {}).get(q) for q in ("p50", "p95", "p99")}
        }
        for name in ("sidecar", "sidecar-nocache"):
            r = level.get(name)
            if r:
                row[name] = {
                    "added_ms": r.get("added_ms"),
                    "latency_ms": {q: r["latency_ms"][q] for q in ("p50", "p95", "p99")},
                    "rps": r.get("rps"),
                    "cpu_ms_per_req": r.get("cpu_ms_per_req"),
                    "requests": r.get("ok"),
                    "cache": r.get("cache"),
                }
        levels[c] = row
    return {
        "what": "miss-path added latency (system percentile - direct percentile), ms",
        "source": source,
        "machine": machine,
        "targets": {"c1_p50_ms": 3.0, "c1_p99_ms": 10.0},
        "concurrency": levels,
    }


def histogram_quantiles(
    text: str, name: str, label: str, qs: tuple[float, ...]
) -> dict[str, float]:
    """Approximate quantiles (upper bucket bounds, ms) of one labelled Prometheus histogram."""
    buckets: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith(name + "_bucket{") and label in line:
            le = line.split('le="')[1].split('"')[0]
            buckets.append(
                (float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1]))
            )
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return {}
    total = buckets[-1][1]
    out = {}
    for q in qs:
        for le, count in buckets:
            if count >= q * total:
                out[f"p{int(q * 100)}"] = le * 1000
                break
    return out


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start mock + both sidecars, run interleaved rounds, stop everything."""
    work = peers.BENCH_CACHE / "overhead"
    logs = work / "logs"
    mock = peers.mock(peers.free_port(), ttft=args.ttft)
    peers.start_ready([mock], logs, 30)
    env, notes = systems.sidecar_env()
    upstream = mock.base + "/v1"
    servers = systems.sidecars(upstream, env)
    sizes = harness.Sizes.pick(quick=False)
    sizes.rounds = args.rounds
    sizes.max_block_s = 60
    ns = argparse.Namespace(quick=False)
    bench = harness.Bench(ns, sizes, mock, servers)
    try:
        peers.start_ready(servers.values(), logs)
        miss = await harness.interleaved(
            bench, "overhead", [mock, *servers.values()], {1: args.requests, 32: args.requests * 4}
        )
        metrics = peers_metrics(servers["sidecar"])
    finally:
        for s in servers.values():
            s.stop()
        mock.stop()
    doc = from_miss(miss, systems.machine(), "benchmarks.overhead")
    doc["notes"] = notes
    doc["mock_ttft_s"] = args.ttft
    doc["sidecar_self_reported_overhead_ms"] = histogram_quantiles(
        metrics, "sidecar_overhead_seconds", 'cache="miss"', (0.5, 0.99)
    )
    return doc


def peers_metrics(server: peers.Server) -> str:
    """Raw /metrics text of a sidecar."""
    import urllib.request

    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as resp:
        return resp.read().decode()


def main(argv: list[str] | None = None) -> None:
    """CLI: measure and write overhead.json."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__)
    p.add_argument(
        "--requests",
        type=int,
        default=None,
        help="per system at c=1 (x4 at c=32); 400, 300 with --trees",
    )
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--ttft", type=float, default=0.02, help="mock time to first byte, s")
    p.add_argument(
        "--out",
        default=None,
        help="result JSON (default overhead.json or, with --trees, latency_ab_<UTC date>.json)",
    )
    p.add_argument(
        "--trees", nargs="+", help="NAME=PATH[@ENV=VALUE...] code trees to compare (first = before)"
    )
    args = p.parse_args(argv)
    t0 = time.time()
    if args.trees:
        compare_trees(args, t0)
        return
    args.out = args.out or str(OUT)
    args.requests = args.requests or 400
    doc = asyncio.run(measure(args))
    doc["seconds"] = round(time.time() - t0, 1)
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    for c, row in doc["concurrency"].items():
        for name in ("sidecar", "sidecar-nocache"):
            if name in row:
                a = row[name]["added_ms"]
                print(f"c={c} {name}: added p50 {a['p50']:.2f} ms, p99 {a['p99']:.2f} ms")
    print(f"wrote {args.out}")


def compare_trees(args: argparse.Namespace, t0: float) -> None:
    """`--trees`: the c=1 latency A/B of `benchmarks.latency_ab`; prints a table, writes JSON."""
    trees = {}
    for spec in args.trees:  # NAME=PATH[@KEY=VALUE...]
        name, path, env = latency_ab.parse_tree(spec)
        trees[name] = "@".join([path, *(f"{k}={v}" for k, v in env.items())])
    requests = args.requests or 300
    logs = peers.BENCH_CACHE / "latency_ab"
    doc = asyncio.run(latency_ab.run(trees, requests, args.rounds, logs))
    stamp = time.strftime("%Y-%m-%d_%H%M", time.gmtime())
    out = Path(args.out or OUT.parent / f"latency_ab_{stamp}.json")
    doc.update(
        trees=trees,
        requests=requests,
        rounds=args.rounds,
        machine=systems.machine(),
        seconds=round(time.time() - t0, 1),
    )
    out.write_text(json.dumps(doc, indent=1) + "\n")
    for kind, per in doc["summary"].items():
        for name, row in per.items():
            add = row.get("added_ms", {}).get("p50")
            print(
                f"{kind:12s} {name:10s} p50 {row['latency_ms']['p50']:7.2f} ms"
                + (f" added {add:6.2f}" if add is not None else "")
                + f"  rps {row['rps']:7.1f}  cpu {row['cpu_ms_per_req'] or 0:.2f} ms/req"
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
