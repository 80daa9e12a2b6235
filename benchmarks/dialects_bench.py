"""Added latency of each dialect's miss and exact-hit path, against chat completions.

    python -m benchmarks.dialects_bench [--requests 150] [--rounds 3] [--ttft 0.02]

Starts the bundled mock upstream and the sidecar (cache on, ``--upstream`` at the mock) as
child processes, then at concurrency 1 sends, per round and per dialect (chat completions,
Responses, Anthropic Messages): unique prompts (misses: exact lookup, embed, route, forward,
store) and one repeated prompt (exact hits), each through the sidecar and directly to the mock,
interleaved so machine load hits every column alike. Added = sidecar percentile minus direct
percentile for the same dialect and path; ``vs_chat_ms`` = a dialect's added ms (misses) or
its own latency (hits, which never wait on upstream) minus chat completions'. Writes
``benchmarks/results/dialects_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import peers

OUT = Path(__file__).resolve().parent / "results" / "dialects_bench.json"
DIRECT_MODEL = {"chat": "gpt-4o-mini", "responses": "gpt-4o-mini", "messages": "claude-haiku-4-5"}
PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "messages": "/v1/messages"}
HEADERS = {"Authorization": "Bearer sk-bench", "anthropic-version": "2023-06-01"}


def body(dialect: str, prompt: str, model: str) -> dict[str, Any]:
    """A minimal request of ``dialect`` asking ``prompt``."""
    if dialect == "responses":
        return {"model": model, "input": prompt}
    turn = [{"role": "user", "content": prompt}]
    if dialect == "messages":
        return {"model": model, "max_tokens": 256, "messages": turn}
    return {"model": model, "messages": turn}


async def timed(session: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> float:
    """Seconds for one request (the body is read whole); raises on a non-200."""
    t0 = time.perf_counter()
    async with session.post(url, json=payload, headers=HEADERS) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status}")
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    """The q-quantile in ms (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_round(
    session: aiohttp.ClientSession, mock: str, sidecar: str, n: int, r: int, out: dict[str, Any]
) -> None:
    """One round: every dialect's misses and hits, sidecar and direct, interleaved."""
    for dialect, path in PATHS.items():
        hit_prompt = f"What is the capital of France? (round {r})"
        await timed(session, sidecar + path, body(dialect, hit_prompt, "auto"))  # store it
        for i in range(n):
            miss = f"Explain why the number {r * 100000 + i} is interesting in one sentence."
            rows = out.setdefault(dialect, {})
            for where, base, model in (
                ("direct", mock, DIRECT_MODEL[dialect]),
                ("sidecar", sidecar, "auto"),
            ):
                rows.setdefault(f"miss_{where}", []).append(
                    await timed(session, base + path, body(dialect, miss, model))
                )
                rows.setdefault(f"hit_{where}", []).append(
                    await timed(session, base + path, body(dialect, hit_prompt, model))
                )


def summarize(samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Per dialect and path: direct and sidecar p50/p99, the added ms, and the difference to
    chat completions (a miss: added ms; a hit, which never waits on upstream: the sidecar's)."""
    table: dict[str, Any] = {}
    for dialect, rows in samples.items():
        table[dialect] = {}
        for path in ("miss", "hit"):
            direct, via = rows[f"{path}_direct"], rows[f"{path}_sidecar"]
            table[dialect][path] = {
                "requests": len(via),
                "direct_ms": {"p50": pct(direct, 0.5), "p99": pct(direct, 0.99)},
                "sidecar_ms": {"p50": pct(via, 0.5), "p99": pct(via, 0.99)},
                "added_ms": {
                    "p50": pct(via, 0.5) - pct(direct, 0.5),
                    "p99": pct(via, 0.99) - pct(direct, 0.99),
                    "mean": (statistics.fmean(via) - statistics.fmean(direct)) * 1000,
                },
            }
    for paths in table.values():
        for path, row in paths.items():
            key = "added_ms" if path == "miss" else "sidecar_ms"
            chat = table["chat"][path][key]
            row["vs_chat_ms"] = {q: row[key][q] - chat[q] for q in ("p50", "p99")}
    return table


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start mock + sidecar, run the rounds, stop both."""
    logs = peers.BENCH_CACHE / "dialects" / "logs"
    mock = peers.mock(peers.free_port(), ttft=args.ttft, reply_tokens=50)
    side = peers.sidecar("sidecar", peers.free_port(), f"http://127.0.0.1:{mock.port}/v1")
    samples: dict[str, Any] = {}
    load = [round(x, 2) for x in os.getloadavg()]
    try:
        peers.start_ready([mock], logs, 30)
        peers.start_ready([side], logs, 240)
        async with aiohttp.ClientSession() as session:
            for r in range(args.rounds):
                await run_round(session, mock.base, side.base, args.requests, r, samples)
    finally:
        side.stop()
        mock.stop()
    return {
        "what": "added latency per dialect at c=1 (sidecar percentile - direct percentile), ms",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": "2 shared vCPUs; other agents were running (loadavg at start: "
        f"{load}); compare columns of this run only",
        "mock_ttft_s": args.ttft,
        "dialects": summarize(samples),
    }


def main(argv: list[str] | None = None) -> None:
    """CLI: measure and write dialects_bench.json."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.dialects_bench", description=__doc__)
    p.add_argument("--requests", type=int, default=150, help="per dialect, path and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--ttft", type=float, default=0.02, help="mock time to first byte, s")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    doc = asyncio.run(measure(args))
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    for dialect, paths in doc["dialects"].items():
        for path, row in paths.items():
            a, v, own = row["added_ms"], row["vs_chat_ms"], row["sidecar_ms"]
            print(
                f"{dialect:9} {path:4}: added p50 {a['p50']:6.2f} p99 {a['p99']:6.2f} | "
                f"sidecar p50 {own['p50']:6.2f} | "
                f"vs chat p50 {v['p50']:+5.2f} p99 {v['p99']:+5.2f} ms"
            )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
