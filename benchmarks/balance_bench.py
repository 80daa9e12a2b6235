"""Balancing inside a tier when one deployment degrades: ``ordered`` vs ``least-latency``.

Two deployments of one tier, each behind its own mock upstream (20 ms to first byte). A closed
loop of ``--concurrency`` clients sends distinct chat requests (cache off, routing off: every
request goes upstream through the default tier) for three phases of ``--phase`` seconds:
healthy; deployment A's latency x10; A also answers 30% of requests with a 500. The same run is
made under each strategy with the sidecar's default retries, backoff and breaker. Reported per
strategy and phase: client p50/p95/p99, error rate, share of answers from A; plus a plot of
p95 and error rate over time.

    python -m benchmarks.balance_bench [--phase 20] [--concurrency 4]

Results: benchmarks/results/balance_bench.json and balance_bench.png (bounded: ~2 x 3 phases).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from benchmarks.loadgen import percentile
from sidecar.app import create_app
from sidecar.config import Settings
from sidecar.mock_upstream import MockConfig, serve, start_mock

RESULTS = Path(__file__).resolve().parent / "results"
PHASES = ("healthy", "A latency x10", "A x10 + 30% errors")
BASE_TTFT_S = 0.02


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # seconds since the run started
    seconds: float
    status: int
    model: str


def settings(url_a: str, url_b: str, strategy: str) -> Settings:
    """One tier, two deployments (A first in config order), cache and routing off."""
    dep = {"price_in_per_1m": 1.0, "price_out_per_1m": 2.0, "timeout_s": 30.0}
    tier = {
        "name": "small",
        "strategy": strategy,
        "deployments": [
            {"base_url": url_a, "model": "model-a", **dep},
            {"base_url": url_b, "model": "model-b", **dep},
        ],
    }
    return Settings.model_validate(
        {
            "tiers": [tier],
            "routing": {"default_tier": "small", "enabled": False},
            "cache": {"enabled": False},
        }
    )


async def client_loop(
    http: aiohttp.ClientSession, url: str, t0: float, stop: float, samples: list[Sample], n: int
) -> None:
    i = 0
    while time.perf_counter() < stop:
        i += 1
        body = {"model": "auto", "messages": [{"role": "user", "content": f"client {n} q {i}"}]}
        start = time.perf_counter()
        try:
            async with http.post(url, json=body) as resp:
                await resp.read()
                status, model = resp.status, resp.headers.get("X-Sidecar-Model", "")
        except aiohttp.ClientError:
            status, model = 599, ""
        end = time.perf_counter()
        samples.append(Sample(start - t0, end - start, status, model))


async def run_strategy(strategy: str, phase_s: float, concurrency: int) -> list[Sample]:
    mock_a, runner_a, url_a = await start_mock(config=MockConfig(ttft_s=BASE_TTFT_S, seed=1))
    _, runner_b, url_b = await start_mock(config=MockConfig(ttft_s=BASE_TTFT_S, seed=2))
    app = create_app(settings(url_a, url_b, strategy), registry=CollectorRegistry(), environ={})
    runner, port = await serve(app)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    samples: list[Sample] = []
    t0 = time.perf_counter()
    stop = t0 + phase_s * len(PHASES)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            loops = [client_loop(http, url, t0, stop, samples, n) for n in range(concurrency)]
            await asyncio.gather(*loops, degrade(mock_a.config, phase_s))
    finally:
        await runner.cleanup()
        await runner_a.cleanup()
        await runner_b.cleanup()
    return samples


async def degrade(config: MockConfig, phase_s: float) -> None:
    """Phase 2: A's latency x10; phase 3: A also fails 30% of requests."""
    await asyncio.sleep(phase_s)
    config.ttft_s = BASE_TTFT_S * 10
    await asyncio.sleep(phase_s)
    config.error_rate = 0.3


def summarize(samples: list[Sample]) -> dict[str, Any]:
    lat = sorted(s.seconds for s in samples)
    ok = [s for s in samples if s.status == 200]
    return {
        "requests": len(samples),
        "p50_ms": round(percentile(lat, 50) * 1000, 1) if lat else None,
        "p95_ms": round(percentile(lat, 95) * 1000, 1) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1000, 1) if lat else None,
        "error_rate": round(1 - len(ok) / len(samples), 4) if samples else None,
        "share_from_a": round(sum(s.model == "model-a" for s in ok) / len(ok), 3) if ok else None,
    }


def by_phase(samples: list[Sample], phase_s: float) -> dict[str, Any]:
    return {
        name: summarize([s for s in samples if i * phase_s <= s.t < (i + 1) * phase_s])
        for i, name in enumerate(PHASES)
    }


def timeline(samples: list[Sample], step_s: float = 2.0) -> list[dict[str, Any]]:
    """p95 and error rate per ``step_s`` bucket of request start time."""
    out = []
    end = max((s.t for s in samples), default=0.0)
    t = 0.0
    while t <= end:
        window = [s for s in samples if t <= s.t < t + step_s]
        if window:
            out.append({"t": t, **summarize(window)})
        t += step_s
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for strategy, run in result["runs"].items():
        ts = [p["t"] for p in run["timeline"]]
        ax1.plot(ts, [p["p95_ms"] for p in run["timeline"]], label=strategy)
        errors = [100 * p["error_rate"] for p in run["timeline"]]
        ax2.plot(ts, [100 * (p["share_from_a"] or 0) for p in run["timeline"]], label=strategy)
        ax2.plot(ts, errors, linestyle="--", label=f"{strategy}: client errors (%)")
    for ax in (ax1, ax2):
        for i in (1, 2):
            ax.axvline(i * result["phase_s"], color="grey", linestyle=":")
        ax.legend()
    ax1.set_ylabel("client p95 (ms, 2 s buckets)")
    ax1.set_yscale("log")
    ax2.set_ylabel("answers from A (%)")
    ax2.set_xlabel("seconds (phases: healthy | A x10 latency | A x10 + 30% errors)")
    fig.suptitle("One tier, two deployments, A degrades: ordered vs least-latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


async def main_async(phase_s: float, concurrency: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, shared with other agents' work",
        "phase_s": phase_s,
        "concurrency": concurrency,
        "phases": list(PHASES),
        "runs": {},
    }
    for strategy in ("ordered", "least-latency"):
        samples = await run_strategy(strategy, phase_s, concurrency)
        result["runs"][strategy] = {
            "phases": by_phase(samples, phase_s),
            "overall": summarize(samples),
            "timeline": timeline(samples),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot-only", action="store_true", help="re-plot the saved results")
    args = parser.parse_args()
    if args.plot_only:
        saved = json.loads((args.out / "balance_bench.json").read_text())
        plot(saved, args.out / "balance_bench.png")
        return
    result = asyncio.run(main_async(args.phase, args.concurrency))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "balance_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "balance_bench.png")
    for strategy, run in result["runs"].items():
        for phase, row in run["phases"].items():
            print(f"{strategy:14s} {phase:22s} {row}")


if __name__ == "__main__":
    main()
