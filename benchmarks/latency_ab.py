"""Added latency at concurrency 1, code tree against code tree, in one run (issue 17, item 1).

    python -m benchmarks.overhead --trees before=/path/to/old/tree after=. \
        [lone2=.@SIDECAR_CACHE_EMBED_LONE_THREADS=2] [--requests 300] [--rounds 4] [--out FILE]

One bundled mock; per tree a sidecar with its cache on and one with `SIDECAR_CACHE_ENABLED=false`
(each with `PYTHONPATH` and cwd at its tree, the env of `benchmarks.systems`). In every round,
trees alternating, the same fresh prompts go direct to the mock and through each system:

* miss, c=1 (mock TTFT 20 ms): unique prompts, the same ones direct, cache on and cache off;
* exact hit, c=1 (TTFT 0): prompts seeded before the rounds, repeated;
* semantic hit, c=1 (TTFT 0): QQP paraphrases of seeded questions, only pairs that hit in a
  calibration pass of *every* tree (the same pairs for both);
* miss, c=32 (TTFT 20 ms): req/s and CPU ms per request.

At c=1 the systems take turns request by request (`_paired`), not block by block: on this
shared machine block medians drifted by +-2 ms within a minute, more than the differences
measured. Added = percentile(system) - the same percentile direct, over all rounds; the result
JSON keeps every block's p50 too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from benchmarks import loadgen, peers, systems, workloads
from benchmarks.harness import configure_mock, stats, tenant
from benchmarks.loadgen import Job

KINDS = ("miss_c1", "nocache_c1", "exact_c1", "semantic_c1", "miss_c32")
DIRECT_OF = {"nocache_c1": "miss_c1"}  # the direct requests a kind is compared with


def parse_tree(spec: str) -> tuple[str, str, dict[str, str]]:
    """``NAME=PATH[@KEY=VALUE...]``: a tree and the env overrides its sidecars run with."""
    name, _, rest = spec.partition("=")
    path, *pairs = rest.split("@")
    env = dict(p.split("=", 1) for p in pairs)
    return name, str(Path(path).resolve()), env


def _servers(trees: dict[str, str], upstream: str) -> dict[str, peers.Server]:
    env, _ = systems.sidecar_env()
    out: dict[str, peers.Server] = {}
    for name, spec in trees.items():
        path, *pairs = spec.split("@")
        own = dict(p.split("=", 1) for p in pairs)
        for suffix, extra in (("", {}), ("-nocache", {"SIDECAR_CACHE_ENABLED": "false"})):
            s = peers.sidecar(
                name + suffix,
                peers.free_port(),
                upstream,
                {**env, **own, **extra, "PYTHONPATH": path},
            )
            s.cwd = path
            out[s.name] = s
    return out


async def _timed(target: peers.Server, jobs: Sequence[Job], c: int) -> dict[str, Any]:
    cpu0 = target.cpu()
    run = await loadgen.run_closed(target.url, jobs, c, max_seconds=120)
    return {"samples": run.samples, "wall": run.wall_s, "cpu": target.cpu() - cpu0}


async def _paired(entries: list[tuple[str, peers.Server, list[Job]]]) -> dict[str, dict[str, Any]]:
    """Concurrency 1, one request to each system in turn (the order rotating), each system over
    its own kept-alive connection: neighbouring requests meet the same machine noise, which
    moves block medians by +-2 ms here. Samples, wall time and CPU per system."""
    out: dict[str, dict[str, Any]] = {}
    sessions = {}
    for label, target, _ in entries:
        conn = aiohttp.TCPConnector(limit=1)
        sessions[label] = aiohttp.ClientSession(connector=conn, auto_decompress=False)
        out[label] = {"samples": [], "wall": 0.0, "cpu": -target.cpu()}
    t0 = time.perf_counter()
    try:
        for i in range(max(len(jobs) for _, _, jobs in entries)):
            turn = entries[i % len(entries) :] + entries[: i % len(entries)]
            for label, target, jobs in turn:
                if i < len(jobs):
                    smp = await _one(sessions[label], target.url, jobs[i], t0)
                    out[label]["samples"].append(smp)
                    out[label]["wall"] += smp.latency
    finally:
        for sess in sessions.values():
            await sess.close()
    for label, target, _ in entries:
        out[label]["cpu"] += target.cpu()
    return out


async def _one(sess: aiohttp.ClientSession, url: str, job: Job, t0: float) -> loadgen.Sample:
    start = time.perf_counter()
    headers = {**loadgen.HEADERS, **job.headers}
    async with sess.post(url, data=job.body, headers=headers) as resp:
        await resp.read()
        end = time.perf_counter()
        cache = resp.headers.get("X-Sidecar-Cache", "")
        return loadgen.Sample(start - t0, end - start, end - start, resp.status, cache)


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
    peers.start_ready([mock], logs, 30)
    servers = _servers(trees, mock.base + "/v1")
    acc: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
    blocks: list[dict[str, Any]] = []
    try:
        peers.start_ready(servers.values(), logs)
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
        record(kind, label, await _timed(target, jobs, c))

    def record(kind: str, label: str, res: dict[str, Any]) -> None:
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

    async def paired(kind: str, entries: list[tuple[str, peers.Server, list[Job]]]) -> None:
        for label, res in (await _paired(entries)).items():
            record(kind, label, res)

    configure_mock(mock, ttft_s=0.02, token_delay_s=0.0)
    miss_texts = [p.text for p in fresh[: n + 8]]
    for name in names:
        for suffix in ("", "-nocache"):  # first requests (connections, allocations) untimed
            hdr = tenant("miss", name, r)
            await loadgen.run_closed(servers[name + suffix].url, jobs(miss_texts[:8], hdr, 8), 1)
    entries = [("miss_c1|direct", mock, jobs(miss_texts[8:], {}, n))]
    for name in names:
        hdr = tenant("miss", name, r)
        for kind, suffix in (("miss_c1", ""), ("nocache_c1", "-nocache")):
            entries.append((f"{kind}|{name}", servers[name + suffix], jobs(miss_texts[8:], hdr, n)))
    for label, res in (await _paired(entries)).items():
        kind, _, system = label.partition("|")
        record(kind, system, res)
    configure_mock(mock, ttft_s=0.0, token_delay_s=0.0)
    for kind, texts, scope in (
        ("exact_c1", seeded, "exact"),
        ("semantic_c1", paraphrases, "semantic"),
    ):
        if texts:
            entries = [("direct", mock, jobs(texts, {}, n))]
            entries += [(nm, servers[nm], jobs(texts, tenant(scope, nm), n)) for nm in names]
            await paired(kind, entries)
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
