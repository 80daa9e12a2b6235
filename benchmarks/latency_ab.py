"""Added latency at concurrency 1, code tree against code tree, in one run (issue 17, item 1).

    python -m benchmarks.overhead --trees before=/path/to/old/tree after=. \
        [--requests 300] [--rounds 4] [--out benchmarks/results/latency_ab_<date>.json]

One bundled mock; per tree a sidecar with its cache on and one with `SIDECAR_CACHE_ENABLED=false`
(each with `PYTHONPATH` and cwd at its tree, the env of `benchmarks.systems`). In every round,
trees alternating, the same fresh prompts go direct to the mock and through each system:

* miss, c=1 (mock TTFT 20 ms): unique prompts; cache on and cache off;
* exact hit, c=1 (TTFT 0): prompts seeded before the rounds, repeated;
* semantic hit, c=1 (TTFT 0): QQP paraphrases of seeded questions, only pairs that hit in a
  calibration pass of *every* tree (the same pairs for both);
* miss, c=32 (TTFT 20 ms): req/s and CPU ms per request.

Added = percentile(system) - the same percentile direct, over all rounds. Percentiles of a
block move +-20% between rounds on this shared machine; the rounds interleave the trees so
both see the same noise. The result JSON keeps every block's p50 for paired reading.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from benchmarks import loadgen, peers, systems, workloads
from benchmarks.harness import configure_mock, stats, tenant
from benchmarks.loadgen import Job

KINDS = ("miss_c1", "nocache_c1", "exact_c1", "semantic_c1", "miss_c32")
DIRECT_OF = {"nocache_c1": "miss_c1"}  # the direct block a kind is compared with


def _servers(trees: dict[str, str], upstream: str) -> dict[str, peers.Server]:
    env, _ = systems.sidecar_env()
    out: dict[str, peers.Server] = {}
    for name, path in trees.items():
        for suffix, extra in (("", {}), ("-nocache", {"SIDECAR_CACHE_ENABLED": "false"})):
            s = peers.sidecar(
                name + suffix, peers.free_port(), upstream, {**env, **extra, "PYTHONPATH": path}
            )
            s.cwd = path
            out[s.name] = s
    return out


async def _timed(target: peers.Server, jobs: Sequence[Job], c: int) -> dict[str, Any]:
    cpu0 = target.cpu()
    run = await loadgen.run_closed(target.url, jobs, c, max_seconds=120)
    return {"samples": run.samples, "wall": run.wall_s, "cpu": target.cpu() - cpu0}


def _bodies(texts: Sequence[str]) -> list[bytes]:
    return [orjson.dumps(workloads.chat_body(t)) for t in texts]


async def _calibrate(
    servers: dict[str, peers.Server], trees: Sequence[str], n: int
) -> tuple[list[str], dict[str, Any]]:
    """Seed canonical questions in every cache-on sidecar; keep paraphrases that hit in all."""
    pairs = workloads.paraphrase_pairs(n, seed=11)
    keep = set(range(len(pairs)))
    shares = {}
    for name in trees:
        s, hdr = servers[name], tenant("semantic", name)
        seed = [Job(b, headers=hdr) for b in _bodies([a for a, _ in pairs])]
        await loadgen.run_closed(s.url, seed, 4, max_seconds=120)
        probe = [Job(b, headers=hdr) for b in _bodies([b for _, b in pairs])]
        run = await loadgen.run_closed(s.url, probe, 1, max_seconds=120)
        hits = {i for i, smp in enumerate(run.samples) if smp.cache == "semantic"}
        shares[name] = len(hits) / max(1, len(pairs))
        keep &= hits
    return [pairs[i][1] for i in sorted(keep)], {"pairs": len(pairs), "hit_share": shares}


async def run(trees: dict[str, str], requests: int, rounds: int, logs: Path) -> dict[str, Any]:
    """Start everything, run the interleaved rounds, stop everything; the result document."""
    mock = peers.mock(peers.free_port(), ttft=0.02)
    mock.start(logs)
    if not mock.wait_ready(30):
        raise SystemExit(f"mock did not start: {mock.error}")
    servers = _servers(trees, mock.base + "/v1")
    acc: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
    blocks: list[dict[str, Any]] = []
    try:
        for s in servers.values():
            s.start(logs)
        for s in servers.values():
            if not s.wait_ready(180):
                raise SystemExit(f"{s.name} did not start: {s.log_tail()}")
        configure_mock(mock, ttft_s=0.0, token_delay_s=0.0)
        seeded = [p.text for p in workloads.unique(40, seed=7, tag="x")]
        for name in trees:
            hdr = tenant("exact", name)
            await loadgen.run_closed(
                servers[name].url, [Job(b, headers=hdr) for b in _bodies(seeded)], 4
            )
        paraphrases, calibration = await _calibrate(servers, list(trees), 160)
        unique = workloads.unique(rounds * (requests * 5 + 16), seed=int(time.time()) % 1000)
        for r in range(rounds):
            names = list(trees) if r % 2 == 0 else list(trees)[::-1]
            fresh = unique[r * (requests * 5 + 16) : (r + 1) * (requests * 5 + 16)]
            await _round(mock, servers, names, r, requests, fresh, seeded, paraphrases, acc, blocks)
            print(f"  round {r + 1}/{rounds} done", flush=True)
    finally:
        for s in servers.values():
            s.stop()
        mock.stop()
    return {"summary": _summarize(acc), "calibration": calibration, "blocks": blocks}


async def _round(
    mock: peers.Server,
    servers: dict[str, peers.Server],
    names: list[str],
    r: int,
    n: int,
    fresh: list[workloads.Prompt],
    seeded: list[str],
    paraphrases: list[str],
    acc: dict[str, dict[str, dict[str, Any]]],
    blocks: list[dict[str, Any]],
) -> None:
    """One round: misses (c=1, cache on and off), exact and semantic hits, misses at c=32."""

    async def block(kind: str, target: peers.Server, label: str, jobs: list[Job], c: int) -> None:
        res = await _timed(target, jobs, c)
        a = acc[kind].setdefault(label, {"samples": [], "wall": 0.0, "cpu": 0.0})
        a["samples"] += res["samples"]
        a["wall"] += res["wall"]
        a["cpu"] += res["cpu"]
        one = stats(res["samples"], res["wall"], res["cpu"])
        blocks.append(
            {
                "round": r,
                "kind": kind,
                "system": label,
                "p50": one["latency_ms"]["p50"],
                "rps": one["rps"],
                "cache": one["cache"],
            }
        )

    def jobs(texts: Sequence[str], hdr: dict[str, str], count: int) -> list[Job]:
        bodies = _bodies(texts)
        return [Job(bodies[i % len(bodies)], headers=hdr) for i in range(count)]

    configure_mock(mock, ttft_s=0.02, token_delay_s=0.0)
    miss_texts = [p.text for p in fresh[: n + 8]]
    await block("miss_c1", mock, "direct", jobs(miss_texts[8:], {}, n), 1)
    for name in names:
        for suffix, kind in (("", "miss_c1"), ("-nocache", "nocache_c1")):
            hdr = tenant("miss", name, r)
            await loadgen.run_closed(servers[name + suffix].url, jobs(miss_texts[:8], hdr, 8), 1)
            await block(kind, servers[name + suffix], name, jobs(miss_texts[8:], hdr, n), 1)
    configure_mock(mock, ttft_s=0.0, token_delay_s=0.0)
    for kind, texts, scope in (
        ("exact_c1", seeded, "exact"),
        ("semantic_c1", paraphrases, "semantic"),
    ):
        if not texts:
            continue
        await block(kind, mock, "direct", jobs(texts, {}, n), 1)
        for name in names:
            await block(kind, servers[name], name, jobs(texts, tenant(scope, name), n), 1)
    configure_mock(mock, ttft_s=0.02, token_delay_s=0.0)
    c32 = [p.text for p in fresh[n + 8 :]]
    await block("miss_c32", mock, "direct", jobs(c32, {}, 4 * n), 32)
    for name in names:
        await block("miss_c32", servers[name], name, jobs(c32, tenant("c32", name, r), 4 * n), 32)


def _summarize(acc: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, per in acc.items():
        rows = {label: stats(a["samples"], a["wall"], a["cpu"]) for label, a in per.items()}
        ref = acc.get(DIRECT_OF.get(kind, kind), {}).get("direct")
        direct = stats(ref["samples"], ref["wall"], ref["cpu"]) if ref else None
        out[kind] = {}
        for label, s in rows.items():
            row = {
                "latency_ms": {q: s["latency_ms"][q] for q in ("p50", "p95", "p99")},
                "rps": s["rps"],
                "cpu_ms_per_req": s["cpu_ms_per_req"],
                "ok": s["ok"],
                "cache": s["cache"],
            }
            if direct is not None and label != "direct":
                row["added_ms"] = {
                    q: round(s["latency_ms"][q] - direct["latency_ms"][q], 3)
                    for q in ("p50", "p95", "p99")
                }
            out[kind][label] = row
    return out
