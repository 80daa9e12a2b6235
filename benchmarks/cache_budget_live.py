"""Audits never change a client's answer or latency: the real app, audits off vs every hit audited.

`python -m benchmarks.cache_budget_live [--n 1500]` writes
`benchmarks/results/cache_budget_live.json`. Two sidecars (the real model, cache, verifier and
slot guard; loaded as in production) in front of the oracle mock (20 ms to first byte), one
with `cache.audit.rate: 1.0` (every semantic hit re-asked upstream in the background, measure
only), one without. The same requests from the simulated day are sent to each, one at a time;
every answer's cache layer and text must be identical, and the semantic hits' latency
percentiles are compared. Bounded: a few thousand requests, about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web
from prometheus_client import CollectorRegistry

from benchmarks.budget_workload import Request, build_day
from sidecar.app import DEPS, create_app
from sidecar.config import load_settings
from sidecar.mock_upstream import MockConfig, serve, start_mock

RESULTS = Path(__file__).resolve().parent / "results"


async def start_sidecar(upstream: str, env: dict[str, str]) -> tuple[web.AppRunner, str, Any]:
    """One sidecar on a free port, ready (model, cache and classifier loaded)."""
    app = create_app(load_settings(None, env, upstream=upstream), registry=CollectorRegistry())
    runner, port = await serve(app)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            async with http.get(url + "/readyz") as resp:
                if resp.status == 200:
                    break
            await asyncio.sleep(0.1)
    return runner, url, app[DEPS]


async def replay(url: str, requests: list[Request]) -> list[tuple[str, str, float]]:
    """(cache layer, answer text, seconds) per request, sent one at a time."""
    out = []
    async with aiohttp.ClientSession() as http:
        for req in requests:
            body = {"model": "auto", "messages": [{"role": "user", "content": req.text}]}
            headers = {"X-Tenant-Id": req.scope}
            t0 = time.perf_counter()
            async with http.post(url + "/v1/chat/completions", json=body, headers=headers) as r:
                data = await r.json()
                layer = r.headers.get("X-Sidecar-Cache", "")
            out.append((layer, data["choices"][0]["message"]["content"], time.perf_counter() - t0))
    return out


def percentiles(rows: list[tuple[str, str, float]], layer: str) -> dict[str, float]:
    """p50 / p99 in ms of one cache layer's requests."""
    xs = np.array([s for lay, _, s in rows if lay == layer]) * 1000
    if not len(xs):
        return {"n": 0}
    return {
        "n": len(xs),
        "p50_ms": float(np.percentile(xs, 50)),
        "p99_ms": float(np.percentile(xs, 99)),
    }


async def run(n: int) -> dict[str, Any]:
    """Both sidecars, the same requests, the comparison."""
    requests, oracle = build_day(n, seed=11)
    mock, mock_runner, base = await start_mock(config=MockConfig(ttft_s=0.02))
    mock.oracle = oracle
    results: dict[str, Any] = {}
    rows: dict[str, list[tuple[str, str, float]]] = {}
    for name, env in (
        ("audit_off", {}),
        ("audit_every_hit", {"SIDECAR_CACHE_AUDIT": "{rate: 1.0, max_per_minute: 100000}"}),
    ):
        runner, url, deps = await start_sidecar(base, env)
        before = mock.count
        rows[name] = await replay(url, requests)
        if deps.auditor is not None:
            await deps.auditor.drain()
            results[name + "_audit"] = deps.auditor.status()["overall"]
        results[name] = {
            "semantic": percentiles(rows[name], "semantic"),
            "exact": percentiles(rows[name], "exact"),
            "miss": percentiles(rows[name], "miss"),
            "upstream_calls": mock.count - before,
        }
        await runner.cleanup()
    await mock_runner.cleanup()
    same = [a[:2] == b[:2] for a, b in zip(rows["audit_off"], rows["audit_every_hit"], strict=True)]
    results["requests"] = n
    results["identical_answers"] = sum(same)
    results["all_identical"] = all(same)
    return results


def main(argv: list[str] | None = None) -> None:
    """Run and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--out", default=str(RESULTS / "cache_budget_live.json"))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    result = asyncio.run(run(args.n))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["note"] = "2 vCPU machine shared with other agents; requests sent one at a time"
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
