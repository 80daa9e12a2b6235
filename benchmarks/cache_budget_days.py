"""Consecutive simulated days: does the budget serve more on day 2, from day 1's saved state?

`python -m benchmarks.cache_budget_days --days 2 [--n 20000] [--seed 7]` writes
`benchmarks/results/cache_budget_days.json` (or `--out`). The traffic of day d is requests
d*n .. (d+1)*n of one stream (`build_day((days)*n, seed)`: the same QQP topics and app slot
pool, a new sample each day), so day 1 is exactly `benchmarks/cache_budget.py`'s day. Each run
(the fixed shipped point, budgets 0.5%, 1%, 5%, and the fixed-threshold sweep) ends each day by
saving what survives a restart (the cache snapshot and the budget state file's JSON,
`benchmarks.cache_budget.Sim.save`) and starts the next day in a new process-like `Sim` from
them (`Sim.restore`: audits in flight and the ledger's exposure are not saved, as in the
sidecar). Entries keep their TTL (one day), on the simulated clock. Each
day is compared, as in `cache_budget.py`, with the best fixed threshold (run the same way over
the same days) whose realized false-hit rate on that day is not above the budget run's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.budget_workload import build_day
from benchmarks.cache_budget import RESULTS, Sim, audit_settings, compare
from cache.train_verifier import embed_texts, offline_encoder
from cache.verifier import PairVerifier

BUDGETS = (("fixed", None), ("budget_0.5%", 0.005), ("budget_1%", 0.01), ("budget_5%", 0.05))
SWEEP = (0.74, 0.78, 0.82, 0.86, 0.90, 0.93, 0.96, 0.98, 1.01)


async def chain(make: Any, days: list[Any], folder: Path) -> list[dict[str, Any]]:
    """One configuration over consecutive days, restarted from its saved state each day."""
    out, state = [], None
    for d, requests in enumerate(days):
        sim: Sim = make(d)
        if d > 0:
            sim.restore(folder, state)
        out.append(await sim.run(requests))
        state = sim.save(folder)
    return out


async def run_days(
    n: int,
    days: int,
    seed: int,
    rate: float,
    only: str = "",
    sweep: tuple[float, ...] = SWEEP,
    allowance: float | None = None,
) -> Any:
    """Every configuration (``only``: those named) over ``days`` consecutive days of ``n``
    requests, and the fixed thresholds of ``sweep`` to compare them with."""
    stream, oracle = build_day(n * days, seed)
    split = [stream[d * n : (d + 1) * n] for d in range(days)]
    vecs = embed_texts(offline_encoder(), sorted({r.text for r in stream}))
    verifier = PairVerifier.load()
    start = verifier.cosine_threshold
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, budget in BUDGETS:
            if only and name not in only.split(","):
                continue
            audit = None if budget is None else audit_settings(rate, "serve", allowance)

            def make(d: int, budget: float | None = budget, audit: Any = audit) -> Sim:
                return Sim(oracle, vecs, verifier, budget, start, audit, day=d)

            runs[name] = await chain(make, split, Path(tmp))
            for r in runs[name]:
                r["budget"] = budget
        sweeps = {}
        for t in sweep:

            def fixed(d: int, t: float = t) -> Sim:
                return Sim(oracle, vecs, verifier, None, t, None, day=d)

            sweeps[t] = await chain(fixed, split, Path(tmp))
    per_day = []
    for d in range(days):
        rows = [{"threshold": t, **sweeps[t][d]["total"]} for t in sweep]
        day_runs = {name: runs[name][d] for name in runs}
        per_day.append(
            {"runs": day_runs, "fixed_sweep": rows, "comparison": compare(day_runs, rows)}
        )
    return per_day


def main(argv: list[str] | None = None) -> None:
    """Run the consecutive days and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000, help="requests per day")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--rate", type=float, default=0.1, help="cache.audit.rate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="", help="run names, comma-separated (default: all)")
    parser.add_argument(
        "--sweep", default=",".join(map(str, SWEEP)), help="fixed thresholds to compare with"
    )
    parser.add_argument("--allowance", type=float, help="cache.audit.allowance (default: shipped)")
    parser.add_argument("--out", default=str(RESULTS / "cache_budget_days.json"))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    sweep = tuple(float(t) for t in args.sweep.split(","))
    per_day = asyncio.run(
        run_days(args.n, args.days, args.seed, args.rate, args.only, sweep, args.allowance)
    )
    result = {
        "seconds": round(time.perf_counter() - t0, 1),
        "note": "2 vCPU machine shared with other agents; in-process, simulated clock",
        "requests_per_day": args.n,
        "seed": args.seed,
        "audit_rate": args.rate,
        "allowance": audit_settings(args.rate, "serve", args.allowance).allowance,
        "days": per_day,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for d, day in enumerate(per_day, start=1):
        for name, c in day["comparison"].items():
            best = c["best_fixed_at_equal_or_better_precision"] or {}
            t = day["runs"][name]["total"]
            print(
                f"day {d} {name}: {t['semantic_hits']} sem / {t['wrong_hits']} wrong, "
                f"hit rate {c['hit_rate']:.5f}, best fixed {best.get('threshold')} "
                f"{best.get('hit_rate')}, audit {c['audit_calls_per_1k']:.1f}/1k"
            )


if __name__ == "__main__":
    main()
