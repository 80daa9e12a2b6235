"""Through the proxy: served int8 (one text per call) vs per-token int8 (batched), one run.

    python -m benchmarks.per_token_proxy [--quick] [--max-batch 16]

Starts the mock and two sidecars with the cache on: `sidecar` as shipped
(`cache.embed_quant: dynamic`, the encoder pool encodes one text per call on 2 workers) and
`sidecar-pt` (`cache.embed_quant: per_token`: the pool hands each worker up to `--max-batch`
queued texts as one padded call; vectors stay bit-identical to a text alone). Runs the
`make bench` miss scenario (unique prompts, interleaved rounds) and semantic scenario
(paraphrases of seeded questions, wrk at c=32/128) on both, and on `sidecar-pt1` (per-token
vectors, one text per call: what the graph costs without batching). Writes
`benchmarks/results/per_token_proxy.json`. The shipped verifier was fitted on dynamic
vectors, so the per-token sidecar's semantic hit share is reported, not assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from benchmarks import harness, peers, run_all, systems

OUT = Path(__file__).resolve().parent / "results" / "per_token_proxy.json"


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start mock + both sidecars, run miss then semantic, stop everything."""
    logs = peers.BENCH_CACHE / "per_token_proxy" / "logs"
    mock = peers.mock(peers.free_port())
    peers.start_ready([mock], logs, 30)
    env, notes = systems.sidecar_env()
    upstream = mock.base + "/v1"
    pt_env = {
        **env,
        "SIDECAR_CACHE_EMBED_QUANT": "per_token",
        "SIDECAR_CACHE_EMBED_MAX_BATCH": str(args.max_batch),
    }
    servers = {
        "sidecar": peers.sidecar("sidecar", peers.free_port(), upstream, env),
        "sidecar-pt": peers.sidecar("sidecar-pt", peers.free_port(), upstream, pt_env),
        # the same per-token vectors one text per call: the graph's cost without batching
        "sidecar-pt1": peers.sidecar(
            "sidecar-pt1",
            peers.free_port(),
            upstream,
            {**pt_env, "SIDECAR_CACHE_EMBED_MAX_BATCH": "1"},
        ),
    }
    sizes = harness.Sizes.pick(args.quick)
    sizes.miss = {1: sizes.miss[1], 32: sizes.miss[32] * 2}
    results: dict[str, Any] = {"machine": systems.machine(), "notes": notes}
    bench = harness.Bench(args, sizes, mock, servers, results)
    try:
        peers.start_ready(servers.values(), logs, 240)
        await run_all.warm_up(bench)
        for name, scenario in (
            ("miss", run_all.miss_scenario),
            ("semantic", run_all.semantic_scenario),
        ):
            print(f"== {name} (load {systems.loadavg()[0]})", flush=True)
            results[name] = await scenario(bench)
        results["embed_batches"] = {n: _batches(s) for n, s in servers.items()}
    finally:
        for s in servers.values():
            s.stop()
        mock.stop()
    results["machine"]["loadavg_end"] = systems.loadavg()
    return results


def _batches(server: peers.Server) -> dict[str, float]:
    """Encoder calls and texts from the sidecar's embed histogram (mean batch size)."""
    m = harness.scrape(server)
    calls = harness.metric_sum(m, "sidecar_embed_batch_size_count")
    texts = harness.metric_sum(m, "sidecar_embed_batch_size_sum")
    return {"calls": calls, "texts": texts, "mean_batch": texts / calls if calls else 0.0}


def main(argv: list[str] | None = None) -> None:
    """CLI: measure and write per_token_proxy.json."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.per_token_proxy", description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--max-batch", type=int, default=16, help="per-token pool batch bound")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    t0 = time.time()
    doc = asyncio.run(measure(args))
    doc["seconds"] = round(time.time() - t0, 1)
    doc["max_batch"] = args.max_batch
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
