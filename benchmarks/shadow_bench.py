"""Shadow evaluation against the truth: does the reported win rate match an oracle?

An oracle-style mock upstream serves the incumbent of tier ``small`` (wrong on 20% of prompts)
and two candidates, ``cand-good`` (wrong on 10%) and ``cand-bad`` (wrong on 35%); which prompts
a model gets wrong is a fixed hash of model and prompt. The judge is the ``llm`` preference
judge asking a ``judge`` deployment on the same mock, which answers like an oracle (the right
answer wins, two right or two wrong answers tie). Real prompts (Quora questions) go through the
sidecar with shadows at ``--rate``; afterwards the scorecard's win/tie/loss rates and their 95%
Wilson intervals are compared with (a) the truth over the prompts each candidate was actually
sampled on and (b) the population truth over all prompts.

    python -m benchmarks.shadow_bench [--prompts 1200] [--rate 0.5]

Results: benchmarks/results/shadow_bench.json and shadow_bench.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from sidecar.app import DEPS, create_app
from sidecar.config import Settings
from sidecar.mock_replies import is_wrong
from sidecar.mock_upstream import MockConfig, serve, start_mock

RESULTS = Path(__file__).resolve().parent / "results"
QQP = Path(__file__).resolve().parents[2] / "shared" / "data" / "pairs" / "qqp_dev.jsonl"
WRONG = {"inc": 0.20, "cand-good": 0.10, "cand-bad": 0.35}


def prompts(n: int) -> list[str]:
    seen: dict[str, None] = {}
    for line in QQP.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            row = json.loads(line)
            seen.setdefault(row["a"].strip(), None)
            seen.setdefault(row["b"].strip(), None)
        if len(seen) >= n:
            break
    return list(seen)[:n]


def settings(url: str, rate: float) -> Settings:
    def dep(model: str) -> dict[str, Any]:
        return {"base_url": url, "model": model, "price_in_per_1m": 1.0, "price_out_per_1m": 2.0}

    return Settings.model_validate(
        {
            "tiers": [
                {"name": "small", "deployments": [dep("inc")]},
                {"name": "large", "deployments": [dep("judge")]},
            ],
            "routing": {"default_tier": "small", "enabled": False},
            "cache": {"enabled": False},
            "shadow": [
                {"tier": "small", "candidate": dep("cand-good"), "rate": rate},
                {"tier": "small", "candidate": dep("cand-bad"), "rate": rate},
            ],
            "evaluation": {
                "judge": "llm",
                "judge_model": "judge",
                "max_concurrency": 16,
                "max_usd_per_hour": 100.0,
            },
        }
    )


def truth(model: str, texts: list[str]) -> dict[str, float]:
    """Oracle win/tie/loss of ``model`` against the incumbent over ``texts``."""
    win = tie = loss = 0
    for text in texts:
        body = {"messages": [{"role": "user", "content": text}]}
        inc = is_wrong("inc", body, True, WRONG["inc"])
        cand = is_wrong(model, body, True, WRONG[model])
        win += inc and not cand
        loss += cand and not inc
        tie += inc == cand
    n = len(texts) or 1
    return {"n": len(texts), "win": win / n, "tie": tie / n, "loss": loss / n}


async def run(n: int, rate: float, concurrency: int) -> dict[str, Any]:
    config = MockConfig(wrong_rate_by_model=dict(WRONG))
    mock, mock_runner, url = await start_mock(config=config)
    app = create_app(settings(url, rate), registry=CollectorRegistry(), environ={})
    runner, port = await serve(app)
    texts = prompts(n)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in texts:
        queue.put_nowait(t)
    try:
        async with aiohttp.ClientSession() as http:

            async def worker() -> None:
                while not queue.empty():
                    text = queue.get_nowait()
                    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
                    async with http.post(f"http://127.0.0.1:{port}/v1/chat/completions",
                                         json=body) as resp:  # fmt: skip
                        await resp.read()

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            shadow = app[DEPS].evaluation.shadow
            assert shadow is not None
            await shadow.drain()
            async with http.get(f"http://127.0.0.1:{port}/sidecar/scorecard") as resp:
                board = await resp.json()
    finally:
        await runner.cleanup()
        await mock_runner.cleanup()
    sampled = {m: [r["messages"][0]["content"] for r in mock.requests if r["model"] == m]
               for m in ("cand-good", "cand-bad")}  # fmt: skip
    return compare(board, sampled, texts, n, rate)


def compare(
    board: dict[str, Any], sampled: dict[str, list[str]], texts: list[str], n: int, rate: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": "2 vCPU, shared with other agents' work",
        "prompts": n,
        "rate": rate,
        "wrong_rates": WRONG,
        "skipped": board.get("shadow_skipped"),
        "candidates": {},
    }
    for row in board["shadow"]:
        model = row["candidate"].partition("/")[2]
        on_sample, population = truth(model, sampled[model]), truth(model, texts)
        entry: dict[str, Any] = {"judged": row["judged"], "results": row["results"]}
        for key in ("win", "tie", "loss"):
            lo, hi = row[f"{key}_ci95"]
            entry[key] = {
                "reported": round(row[f"{key}_rate"], 4),
                "ci95": [round(lo, 4), round(hi, 4)],
                "truth_on_sample": round(on_sample[key], 4),
                "truth_population": round(population[key], 4),
                "population_in_ci": lo <= population[key] <= hi,
            }
        entry["quality_vs_incumbent"] = row["quality_vs_incumbent"]
        out["candidates"][row["candidate"]] = entry
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(result["candidates"]), figsize=(10, 4), sharey=True)
    for ax, (name, c) in zip(axes, result["candidates"].items(), strict=True):
        keys = ["win", "tie", "loss"]
        rep = [c[k]["reported"] for k in keys]
        err = [[c[k]["reported"] - c[k]["ci95"][0] for k in keys],
               [c[k]["ci95"][1] - c[k]["reported"] for k in keys]]  # fmt: skip
        xs = range(len(keys))
        ax.bar([x - 0.2 for x in xs], rep, 0.4, yerr=err, capsize=4, label="reported (95% CI)")
        ax.bar([x + 0.2 for x in xs], [c[k]["truth_population"] for k in keys], 0.4,
               label="oracle truth (all prompts)")  # fmt: skip
        ax.set_xticks(list(xs), keys)
        ax.set_title(f"{name} (n={c['judged']})")
    axes[0].set_ylabel("share of compared requests")
    axes[0].legend()
    fig.suptitle("Shadow evaluation vs oracle truth (incumbent wrong on 20%)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=1200)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = asyncio.run(run(args.prompts, args.rate, args.concurrency))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "shadow_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "shadow_bench.png")
    print(json.dumps(result["candidates"], indent=1))


if __name__ == "__main__":
    main()
