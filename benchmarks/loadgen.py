"""Load generator: an aiohttp client (closed and open loop) and a ``wrk`` driver for max-RPS runs.

Closed loop: ``concurrency`` workers each send the next job as soon as their previous answer
is complete. Open loop: jobs are *started* at a fixed arrival rate whatever the answers do
(latency then includes queueing). Both stop at ``len(jobs)`` requests or ``max_seconds``,
whichever comes first. Per request: start offset, latency, TTFB (time to the first body chunk;
for SSE the first event), status, and the ``X-Sidecar-Cache`` / ``X-Sidecar-Tier`` /
``X-Sidecar-Model`` headers.

Python's client costs ~0.3-0.5 ms of CPU per request and shares the 2 cores with the server, so
for throughput ceilings use ``run_wrk`` (Debian ``wrk``, C + LuaJIT); every result says which
tool produced it.

CLI (one run, JSON to stdout or --out):
    python -m benchmarks.loadgen --url http://127.0.0.1:8080/v1/chat/completions \
        --workload mixed --requests 500 --concurrency 32 [--rate 100] [--stream] [--wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
import orjson

from benchmarks import workloads

HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}


@dataclass(frozen=True, slots=True)
class Job:
    """One request to send: the JSON body (bytes), extra headers, and a label for reports."""

    body: bytes
    stream: bool = False
    kind: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Sample:
    """What one request did. Times in seconds; ``t`` is the start offset from the run's start."""

    t: float
    latency: float
    ttfb: float
    status: int
    cache: str = ""
    tier: str = ""
    model: str = ""
    kind: str = ""
    error: str = ""
    body: bytes = b""  # kept only when asked (answer-correctness checks)


@dataclass(slots=True)
class Run:
    """A finished run: samples plus wall time and how it was driven."""

    samples: list[Sample]
    wall_s: float
    mode: str  # closed | open
    concurrency: int = 0
    rate: float = 0.0
    tool: str = "python-aiohttp"

    def summary(self) -> dict[str, Any]:
        """Percentiles (ms), throughput and header mixes."""
        return summarize(self.samples, self.wall_s) | {
            "mode": self.mode,
            "concurrency": self.concurrency,
            "rate": self.rate,
            "tool": self.tool,
        }


def jobs_for(
    prompts: Sequence[workloads.Prompt],
    model: str = "gpt-4o-mini",
    *,
    stream: bool = False,
    headers: Mapping[str, str] | None = None,
) -> list[Job]:
    """Chat-completion jobs for a prompt list."""
    return [
        Job(
            orjson.dumps(workloads.chat_body(p.text, model, stream=stream)),
            stream,
            p.kind,
            dict(headers or {}),
        )
        for p in prompts
    ]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100); NaN when empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def summarize(samples: Sequence[Sample], wall_s: float) -> dict[str, Any]:
    """p50/p95/p99/mean of latency and TTFB in ms over successful requests, RPS, mixes."""
    ok = [s for s in samples if s.status == 200 and not s.error]
    lat = sorted(s.latency * 1000 for s in ok)
    ttfb = sorted(s.ttfb * 1000 for s in ok)

    def pct(values: list[float]) -> dict[str, float]:
        return {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "mean": sum(values) / len(values) if values else math.nan,
            "max": values[-1] if values else math.nan,
        }

    def mix(attr: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in ok:
            key = getattr(s, attr) or "none"
            out[key] = out.get(key, 0) + 1
        return out

    errors: dict[str, int] = {}
    for s in samples:
        if s.status != 200 or s.error:
            key = s.error[:80] or f"HTTP {s.status}"
            errors[key] = errors.get(key, 0) + 1
    return {
        "requests": len(samples),
        "ok": len(ok),
        "errors": errors,
        "wall_s": wall_s,
        "rps": len(ok) / wall_s if wall_s > 0 else math.nan,
        "latency_ms": pct(lat),
        "ttfb_ms": pct(ttfb),
        "cache": mix("cache"),
        "tier": mix("tier"),
        "model": mix("model"),
    }


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    job: Job,
    t0: float,
    headers: Mapping[str, str],
    keep_body: bool = False,
) -> Sample:
    start = time.perf_counter()
    ttfb = 0.0
    try:
        async with session.post(url, data=job.body, headers={**headers, **job.headers}) as resp:
            h = resp.headers
            # The first body chunk: for SSE the first event, for JSON the (usually whole) body.
            first = await resp.content.readany()
            ttfb = time.perf_counter() - start
            size = len(first)
            parts = [first] if keep_body else []
            while chunk := await resp.content.readany():
                size += len(chunk)
                if keep_body:
                    parts.append(chunk)
            latency = time.perf_counter() - start
            error = "" if size or resp.status != 200 else "empty body"
            return Sample(
                start - t0,
                latency,
                ttfb,
                resp.status,
                h.get("X-Sidecar-Cache", "") or _peer_cache(h, first),
                h.get("X-Sidecar-Tier", ""),
                h.get("X-Sidecar-Model", ""),
                job.kind,
                error,
                b"".join(parts),
            )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        latency = time.perf_counter() - start
        return Sample(start - t0, latency, ttfb, 0, kind=job.kind, error=type(exc).__name__)


def _peer_cache(h: Mapping[str, str], first: bytes) -> str:
    """The peers' cache results: LiteLLM's cache-key header, GPTCache's ``"gptcache": true``."""
    if h.get("x-litellm-cache-key"):
        return "exact"
    if b'"gptcache":true' in first or b'"gptcache": true' in first:
        return "hit"
    return ""


def _session(limit: int, timeout_s: float) -> aiohttp.ClientSession:
    conn = aiohttp.TCPConnector(limit=limit, limit_per_host=limit, force_close=False)
    return aiohttp.ClientSession(
        connector=conn, timeout=aiohttp.ClientTimeout(total=timeout_s), auto_decompress=False
    )


async def run_closed(
    url: str,
    jobs: Sequence[Job],
    concurrency: int,
    *,
    max_seconds: float = 60.0,
    timeout_s: float = 60.0,
    headers: Mapping[str, str] = HEADERS,
    keep_body: bool = False,
) -> Run:
    """Closed loop: ``concurrency`` workers, each sending jobs back to back, in order."""
    samples: list[Sample] = []
    next_i = 0
    async with _session(concurrency, timeout_s) as session:
        t0 = time.perf_counter()
        deadline = t0 + max_seconds

        async def worker() -> None:
            nonlocal next_i
            while next_i < len(jobs) and time.perf_counter() < deadline:
                job = jobs[next_i]
                next_i += 1
                samples.append(await _send(session, url, job, t0, headers, keep_body))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    samples.sort(key=lambda s: s.t)
    return Run(samples, wall, "closed", concurrency=concurrency)


async def run_open(
    url: str,
    jobs: Sequence[Job],
    rate: float,
    *,
    max_seconds: float = 60.0,
    max_inflight: int = 1024,
    timeout_s: float = 60.0,
    headers: Mapping[str, str] = HEADERS,
) -> Run:
    """Open loop: start job i at ``i / rate`` seconds; at most ``max_inflight`` outstanding."""
    samples: list[Sample] = []
    gate = asyncio.Semaphore(max_inflight)
    async with _session(max_inflight, timeout_s) as session:
        t0 = time.perf_counter()

        async def one(job: Job) -> None:
            try:
                samples.append(await _send(session, url, job, t0, headers))
            finally:
                gate.release()

        tasks = []
        for i, job in enumerate(jobs):
            at = t0 + i / rate
            if at - t0 > max_seconds:
                break
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await gate.acquire()
            tasks.append(asyncio.create_task(one(job)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    samples.sort(key=lambda s: s.t)
    return Run(samples, wall, "open", rate=rate)


# --- wrk ---------------------------------------------------------------------------------------

_WRK_LUA = r"""
local bodies = {%(bodies)s}
local counter = 0
counts = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
%(extra_headers)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter %% #bodies) + 1])
end
%(response)s
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    if c then for k, v in pairs(c) do merged[k] = (merged[k] or 0) + v end end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format("%%q:%%d", k, v)) end
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"errors":{"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d},"latency_us":{"p50":%%d,"p90":%%d,"p99":%%d,"mean":%%f,' ..
    '"max":%%d},"cache":{%%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max, table.concat(parts, ",")))
end
"""

_RESPONSE_LUA = r"""
function response(status, headers, body)
  local c = headers["X-Sidecar-Cache"] or headers["x-sidecar-cache"]
  if not c and headers["x-litellm-cache-key"] then c = "exact" end
  if not c and body and string.find(body, '"gptcache":%s?true') then c = "hit" end
  c = c or ("status" .. status)
  counts[c] = (counts[c] or 0) + 1
end
"""


def wrk_version() -> str | None:
    """``wrk`` version string, or None when it is not installed."""
    exe = shutil.which("wrk")
    if exe is None:
        return None
    proc = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)
    m = re.search(r"wrk (\S+)", proc.stdout + proc.stderr)
    return f"wrk {m.group(1)}" if m else "wrk"


def _lua_string(raw: bytes) -> str:
    return (
        '"'
        + "".join(f"\\{b:03d}" if b < 32 or b in (34, 92) or b > 126 else chr(b) for b in raw)
        + '"'
    )


def run_wrk(
    url: str,
    bodies: Sequence[bytes],
    connections: int,
    duration_s: float,
    *,
    threads: int = 1,
    count_headers: bool = True,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``wrk`` POSTing ``bodies`` round-robin; return its numbers (latency in ms) or error."""
    version = wrk_version()
    if version is None:
        return {"tool": "wrk", "error": "wrk is not installed (apt-get install wrk)"}
    extra = "\n".join(
        f"wrk.headers[{_lua_string(k.encode())}] = {_lua_string(v.encode())}"
        for k, v in (headers or {}).items()
    )
    script = _WRK_LUA % {
        "bodies": ",".join(_lua_string(b) for b in bodies),
        "extra_headers": extra,
        "response": _RESPONSE_LUA if count_headers else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(duration_s))}s",
            "--timeout",
            "30s",
            "-s",
            path,
            url,
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    finally:
        os.unlink(path)
    m = re.search(r"^WRKJSON (.*)$", proc.stdout, re.M)
    if proc.returncode != 0 or m is None:
        return {"tool": version, "error": (proc.stderr or proc.stdout)[-500:]}
    raw = json.loads(m.group(1))
    secs = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    lat = {k: v / 1000 for k, v in raw["latency_us"].items()}
    return {
        "tool": version,
        "connections": connections,
        "threads": threads,
        "requests": raw["requests"],
        "wall_s": secs,
        "errors": raw["errors"],
        "rps": (raw["requests"] - raw["errors"]["status"]) / secs if secs else math.nan,
        "latency_ms": lat,
        "cache": raw["cache"],
        "non_2xx_or_errors": errors,
    }


# --- CLI -----------------------------------------------------------------------------------------


def _cli_jobs(args: argparse.Namespace) -> list[Job]:
    if args.workload == "mixed":
        prompts = workloads.mixed(args.requests, seed=args.seed)
    elif args.workload == "unique":
        prompts = workloads.unique(args.requests, seed=args.seed, tag="cli")
    else:  # repeat: one prompt over and over
        prompts = [workloads.Prompt("What is the capital of France?", "repeat", -1)] * args.requests
    return jobs_for(prompts, args.model, stream=args.stream)


def main(argv: list[str] | None = None) -> None:
    """Run one load test and print (or write) its JSON summary."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.loadgen", description=__doc__)
    p.add_argument("--url", required=True, help="full URL, e.g. .../v1/chat/completions")
    p.add_argument("--workload", choices=("mixed", "unique", "repeat"), default="mixed")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rate", type=float, default=0.0, help="open loop at this many req/s")
    p.add_argument("--duration", type=float, default=30.0, help="stop after this many seconds")
    p.add_argument("--model", default="gpt-4o-mini")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stream", action="store_true")
    p.add_argument("--wrk", action="store_true", help="use wrk (max RPS) instead of aiohttp")
    p.add_argument("--samples", action="store_true", help="include every request in the output")
    p.add_argument("--out")
    args = p.parse_args(argv)
    jobs = _cli_jobs(args)
    if args.wrk:
        result: dict[str, Any] = run_wrk(
            args.url, [j.body for j in jobs[:1000]], args.concurrency, args.duration
        )
    else:
        if args.rate > 0:
            run = asyncio.run(run_open(args.url, jobs, args.rate, max_seconds=args.duration))
        else:
            run = asyncio.run(
                run_closed(args.url, jobs, args.concurrency, max_seconds=args.duration)
            )
        result = run.summary()
        if args.samples:
            result["samples"] = [asdict(s) for s in run.samples]
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
