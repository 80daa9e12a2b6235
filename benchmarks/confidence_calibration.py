"""Calibrate ``tiers[].confidence_threshold`` for the low-confidence cascade from labelled answers.

Input: JSON lines ``{"confidence": <mean token logprob>, "correct": true|false}`` (or
``"logprobs": [...]`` instead of ``confidence``), e.g. a cheap tier's answers to your prompts
labelled by the shadow evaluation's judge or by hand. For every candidate threshold t
(escalate when confidence < t) it reports the escalation share and the error rate of the
answers kept, and picks the threshold with the **lowest escalation share whose kept-error rate
is at most ``--max-kept-error``** (default: half the cheap tier's own error rate), i.e. the
cheapest cascade that meets the quality target. Without such a threshold it picks the one with
the best Youden J (wrong answers escalated minus right answers escalated).

    python -m benchmarks.confidence_calibration labelled.jsonl
    python -m benchmarks.confidence_calibration --mock 600   # the procedure on the bundled mock

``--mock N`` labels N real prompts (data/prompts/arena_hard_v2.0.jsonl) with the mock
upstream's synthetic logprobs (wrong_rate 0.25): it exercises the procedure end to end, it does
not describe any real model. Results: benchmarks/results/confidence_calibration.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from sidecar.confidence import confidence
from sidecar.mock_upstream import MockConfig, start_mock

RESULTS = Path(__file__).resolve().parent / "results"
PROMPTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "prompts"


def read_rows(path: Path) -> list[tuple[float, bool]]:
    """(confidence, correct) pairs from a JSONL file; rows without a confidence are skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        item = json.loads(line)
        conf = item.get("confidence")
        if conf is None and isinstance(item.get("logprobs"), list):
            values = [v for v in item["logprobs"] if isinstance(v, int | float)]
            conf = sum(values) / len(values) if values else None
        if conf is not None and math.isfinite(conf):
            rows.append((float(conf), bool(item["correct"])))
    return rows


def sweep(rows: list[tuple[float, bool]]) -> list[dict[str, float]]:
    """Escalation share, kept-error rate and Youden J at every distinct threshold."""
    n, wrong = len(rows), sum(not ok for _, ok in rows)
    table = []
    for t in sorted({c for c, _ in rows} | {0.0}):
        escalated = [(c, ok) for c, ok in rows if c < t]
        kept = n - len(escalated)
        kept_wrong = wrong - sum(not ok for _, ok in escalated)
        tpr = sum(not ok for _, ok in escalated) / wrong if wrong else 0.0
        fpr = sum(ok for _, ok in escalated) / (n - wrong) if n - wrong else 0.0
        table.append(
            {
                "threshold": round(t, 4),
                "escalation_share": round(len(escalated) / n, 4),
                "kept_error": round(kept_wrong / kept, 4) if kept else 0.0,
                "youden_j": round(tpr - fpr, 4),
            }
        )
    return table


def choose(table: list[dict[str, float]], max_kept_error: float) -> dict[str, Any]:
    """Cheapest threshold meeting the kept-error target, else the best Youden J.

    The threshold is then moved to the middle of the gap below it (to the next lower observed
    confidence): the same answers escalate, with the widest margin on both sides.
    """
    meeting = [r for r in table if r["kept_error"] <= max_kept_error]
    if meeting:
        best = min(meeting, key=lambda r: (r["escalation_share"], r["threshold"]))
        rule = f"lowest escalation share with kept error <= {max_kept_error}"
    else:
        best = max(table, key=lambda r: r["youden_j"])
        rule = "best Youden J (no threshold met the kept-error target)"
    lower = [r["threshold"] for r in table if r["threshold"] < best["threshold"]]
    middle = (max(lower) + best["threshold"]) / 2 if lower else best["threshold"]
    return {**best, "threshold": round(middle, 3), "rule": rule + ", middle of its gap"}


async def mock_rows(n: int) -> list[tuple[float, bool]]:
    """Label ``n`` real prompts with the mock's synthetic logprobs and right/wrong answers."""
    text = (PROMPTS / "arena_hard_v2.0.jsonl").read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]  # not splitlines: U+2028
    prompts = [json.loads(line)["prompt"] for line in lines[:n]]
    _, runner, url = await start_mock(config=MockConfig(wrong_rate=0.25, reply_tokens=30))
    rows = []
    try:
        async with aiohttp.ClientSession() as http:
            for prompt in prompts:
                body = {"model": "cheap", "logprobs": True,
                        "messages": [{"role": "user", "content": prompt[:2000]}]}  # fmt: skip
                async with http.post(f"{url}/chat/completions", json=body) as resp:
                    answer = await resp.json()
                text = answer["choices"][0]["message"]["content"]
                conf = confidence(answer)
                if conf is not None:
                    rows.append((conf, not text.startswith("wrong:")))
    finally:
        await runner.cleanup()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("labelled", nargs="?", type=Path)
    parser.add_argument("--mock", type=int, default=0, help="label N prompts with the mock")
    parser.add_argument("--max-kept-error", type=float, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "confidence_calibration.json")
    args = parser.parse_args()
    if args.labelled is not None:
        rows, source = read_rows(args.labelled), str(args.labelled)
    elif args.mock:
        rows, source = asyncio.run(mock_rows(args.mock)), f"mock upstream, {args.mock} prompts"
    else:
        parser.error("give a labelled JSONL file or --mock N")
    base_error = sum(not ok for _, ok in rows) / len(rows)
    target = base_error / 2 if args.max_kept_error is None else args.max_kept_error
    table = sweep(rows)
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source": source,
        "answers": len(rows),
        "cheap_tier_error_rate": round(base_error, 4),
        "max_kept_error": round(target, 4),
        "chosen": choose(table, target),
        "sweep": table[:: max(1, len(table) // 60)],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "sweep"}, indent=2))


if __name__ == "__main__":
    main()
