"""What `run_all` and `overhead` share: run sizes, the run's state (`Bench`), closed-loop
measurement, and the interleaved unique-prompt runs that give added latency vs direct.

Added latency = percentile(system) - percentile(direct to the mock), measured in the same run;
direct and system blocks alternate in rounds so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks import loadgen, peers, workloads
from benchmarks.loadgen import Job, Run

HIT_LABELS = ("exact", "semantic", "hit")


UNIQUE_SEED = 1  # one shuffled order of QQP clusters; scenarios take disjoint slices of it


@dataclass
class Sizes:
    """Request counts per target and concurrency; seconds per wrk run."""

    miss: dict[int, int]
    stream: dict[int, int]
    rounds: int
    hit_c1: int
    wrk_s: float
    seeds: int
    mixed: int
    max_block_s: float
    mixed_s: float

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        if quick:
            return cls({1: 60, 32: 300, 128: 400}, {1: 30, 32: 120}, 2, 150, 3, 50, 600, 10, 30)
        return cls({1: 200, 32: 800, 128: 1000}, {1: 60, 32: 300}, 2, 400, 5, 100, 1500, 15, 60)


@dataclass
class Bench:
    """Everything one run needs: systems, the mock, sizes, and the results being collected."""

    args: argparse.Namespace
    sizes: Sizes
    mock: peers.Server
    systems: dict[str, peers.Server]
    results: dict[str, Any] = field(default_factory=dict)
    hit_bodies: dict[str, tuple[list[bytes], dict[str, str]]] = field(default_factory=dict)
    unique_used: int = 0

    def fresh(self, n: int) -> list[workloads.Prompt]:
        """``n`` prompts no system has seen in this run (disjoint slices of one QQP order)."""
        prompts = workloads.unique(n, seed=UNIQUE_SEED, offset=self.unique_used)
        self.unique_used += n
        return prompts

    def live(self, names: Sequence[str] | None = None) -> list[peers.Server]:
        """Running systems (optionally only the given names), in a stable order."""
        return [s for n, s in self.systems.items() if s.alive and (names is None or n in names)]

    def direct(self) -> peers.Server:
        return self.mock


def configure_mock(mock: peers.Server, **config: float) -> None:
    """Change the running mock's delays (POST /mock/behave)."""
    body = json.dumps({"config": config}).encode()
    req = urllib.request.Request(
        mock.base + "/mock/behave", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()


def scrape(server: peers.Server) -> dict[str, float]:
    """The sidecar's /metrics as {name{labels}: value} (counters and gauges)."""
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                continue
    return out


def metric_sum(metrics: dict[str, float], name: str) -> float:
    """Sum of a metric over all label sets."""
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


async def measure(
    target: peers.Server, jobs: Sequence[Job], concurrency: int, max_s: float, **kw: Any
) -> tuple[Run, float]:
    """One closed-loop run against ``target``; returns the run and the CPU seconds it used."""
    cpu0 = target.cpu()
    run = await loadgen.run_closed(target.url, jobs, concurrency, max_seconds=max_s, **kw)
    return run, target.cpu() - cpu0


def tenant(*parts: object) -> dict[str, str]:
    """A cache scope of its own for one scenario and system (no cross-scenario hits)."""
    return {"X-Tenant-Id": "-".join(str(p) for p in parts)}


def stats(samples: Sequence[loadgen.Sample], wall: float, cpu: float) -> dict[str, Any]:
    """Summary of merged samples plus CPU ms per successful request."""
    out = loadgen.summarize(samples, wall)
    out["cpu_ms_per_req"] = cpu * 1000 / out["ok"] if out["ok"] else None
    return out


def added(
    system: dict[str, Any], direct: dict[str, Any], key: str = "latency_ms"
) -> dict[str, float]:
    """Percentile differences system - direct (ms)."""
    return {q: system[key][q] - direct[key][q] for q in ("p50", "p95", "p99")}


def cdf_values(samples: Sequence[loadgen.Sample], key: str = "latency") -> list[float]:
    """Sorted latencies (ms, 3 decimals) of successful samples, for CDF plots."""
    return sorted(round(getattr(s, key) * 1000, 3) for s in samples if s.status == 200)


async def interleaved(
    bench: Bench,
    name: str,
    targets: list[peers.Server],
    counts: dict[int, int],
    *,
    stream: bool = False,
) -> dict[str, Any]:
    """Unique-prompt runs per concurrency; direct and each system alternate in rounds."""
    out: dict[str, Any] = {}
    rounds = bench.sizes.rounds
    block_s = bench.sizes.max_block_s
    prev_rps: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for c, total in counts.items():
        per = max(c, total // rounds)
        # A system far below the offered load would spend minutes draining in-flight requests
        # after the time bound: cap its block at what it can serve, skip levels it cannot.
        active = []
        for t in targets:
            rps = prev_rps.get(t.name)
            if rps is not None and rps * block_s < c:
                skipped[t.name] = f"skipped at c>={c}: {rps:.1f} req/s at the previous level"
            elif t.name not in skipped:
                active.append(t)
        acc: dict[str, dict[str, Any]] = {
            t.name: {"samples": [], "wall": 0.0, "cpu": 0.0} for t in active
        }
        warm_n = min(8, c)
        for r in range(rounds):
            # Every system gets the same fresh prompts in a round (same lengths, same work).
            round_prompts = bench.fresh(per + warm_n)
            for t in active:
                n = per
                if t.name in prev_rps:
                    n = min(per, max(c, int(prev_rps[t.name] * block_s)))
                prompts = round_prompts[warm_n : warm_n + n]
                hdr = tenant(name, t.name, c, r) | t.headers
                warm = loadgen.jobs_for(round_prompts[:warm_n], stream=stream, headers=hdr)
                await loadgen.run_closed(t.url, warm, warm_n, max_seconds=10)
                jobs = loadgen.jobs_for(prompts, stream=stream, headers=hdr)
                run, cpu = await measure(t, jobs, c, bench.sizes.max_block_s)
                a = acc[t.name]
                a["samples"] += run.samples
                a["wall"] += run.wall_s
                a["cpu"] += cpu
        level: dict[str, Any] = {}
        for t in active:
            a = acc[t.name]
            # Unique prompts can still be served from a cache (a fuzzy match of another
            # question): those are not the miss path; they are counted, then left out.
            misses = [x for x in a["samples"] if x.cache not in HIT_LABELS]
            level[t.name] = stats(misses, a["wall"], a["cpu"]) | {
                "tool": "python-aiohttp",
                "served_from_cache": len(a["samples"]) - len(misses),
                "rps_all": loadgen.summarize(a["samples"], a["wall"])["rps"],
                "cdf_ms": cdf_values(misses, "ttfb" if stream else "latency") if c <= 32 else [],
            }
        direct = level[bench.mock.name]
        key = "ttfb_ms" if stream else "latency_ms"
        for t in active:
            prev_rps[t.name] = level[t.name]["rps"]
            if t is not bench.mock:
                level[t.name]["added_ms"] = added(level[t.name], direct, key)
        for n, why in skipped.items():
            level.setdefault(n, {"skipped": why})
        out[str(c)] = level
        print(f"  {name} c={c}: " + _brief(level, key), flush=True)
    return out


def _brief(level: dict[str, Any], key: str) -> str:
    parts = []
    for n, v in level.items():
        if "skipped" in v:
            parts.append(f"{n} {v['skipped']}")
            continue
        add = v.get("added_ms", {}).get("p50")
        extra = f" (+{add:.2f})" if add is not None else ""
        parts.append(f"{n} p50={v[key]['p50']:.2f}{extra} rps={v['rps']:.0f}")
    return "; ".join(parts)
