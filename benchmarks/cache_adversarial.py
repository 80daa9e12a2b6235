"""Cache correctness on app-shaped traffic: does a slot-differing prompt ever get another's answer?

`python -m benchmarks.cache_adversarial [--label after] [--seeds 11 22 33]` drives the real cache
(`SemanticCache` with the int8 MiniLM encoder, the shipped verifier and the slot guard, exactly
as the proxy builds it) with the families of `benchmarks/adversarial_families.py`. Per family
and seed, one scope holds `--stored` prompts (template 0, distinct slots). Then:
- **slot-differing trials**: each stored prompt with one meaning-bearing change (`Family.vary`:
  a slot value, a polarity, swapped roles, a middle sentence), asked in template 0 and in a
  rewording. Any hit is a wrong answer (no stored prompt has those slots).
- **rewording trials**: each stored prompt's slots in the other templates. A hit is correct only
  when the served entry has the same slots.
`--proxy` adds one end-to-end pass (seed 11) through the real sidecar (default config, real
models, `model: "auto"`) in front of the echoing mock upstream: every answer is checked against
its own prompt, so a wrong answer served by any layer (exact, semantic, singleflight) is
counted. Results are merged under `--label` into `benchmarks/results/cache_adversarial.json` (so a
before/after pair lives in one file) and drawn in `cache_adversarial.png`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.adversarial_families import FAMILIES, Family, Slots
from cache.encoders import Encoder, load_encoder
from cache.store import SemanticCache
from cache.text import cache_text
from cache.verifier import PairVerifier

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = (11, 22, 33)


class Embedder:
    """The serving encoder, one text per call (batch-invariant), memoized."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.memo: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        if text not in self.memo:
            self.memo[text] = self.encoder.encode([cache_text(text)])[0]
        return self.memo[text]


def _distinct(family: Family, rng: random.Random, n: int) -> list[Slots]:
    """`n` slot assignments with pairwise distinct prompts."""
    out: list[Slots] = []
    seen: set[str] = set()
    for _ in range(50 * n):
        slots = family.make(rng)
        key = family.render(slots, 0)
        if key not in seen:
            seen.add(key)
            out.append(slots)
        if len(out) == n:
            break
    return out


def _ask(cache: SemanticCache, scope: str, text: str, embed: Embedder, tc: float) -> Any:
    return cache.lookup(scope, text, embed(text), tc)


def trials(
    family: Family, seed: int, stored: int
) -> tuple[list[str], Iterator[tuple[str, str, int | None]]]:
    """One family and seed: the stored prompts, and the trials asked against them in order —
    ("reword", query, index of the stored prompt whose slots it has) and ("differ", query,
    None: any hit is wrong). The one definition of the suite (`verifier_sweep` replays it)."""
    rng = random.Random(f"{family.name}/{seed}")
    seeds = _distinct(family, rng, stored)
    texts = [family.render(s, 0) for s in seeds]

    def asked() -> Iterator[tuple[str, str, int | None]]:
        keys = set(texts)
        for i, slots in enumerate(seeds):
            for t in range(1, len(family.templates)):
                yield "reword", family.render(slots, t), i
            for _ in range(3):
                other = family.vary(slots, rng)
                if family.render(other, 0) in keys:
                    continue
                for t in (0, rng.randrange(1, len(family.templates))):
                    yield "differ", family.render(other, t), None

    return texts, asked()


def run_family(
    family: Family, seed: int, cache: SemanticCache, embed: Embedder, tc: float, stored: int
) -> dict[str, Any]:
    """One family, one seed: counts of trials, wrong hits, rewording hits and reasons."""
    scope = f"{family.name}/{seed}"
    texts, asked = trials(family, seed, stored)
    owner: dict[str, int] = {}
    for i, text in enumerate(texts):
        entry = cache.put(scope, text, embed(text), body=b"{}", model="m", tier="t", tier_rank=0)
        owner[entry.id] = i
    out: dict[str, Any] = Counter()
    reasons: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for kind, query, own in asked:
        found = _ask(cache, scope, query, embed, tc)
        out[f"{kind}_trials"] += 1
        if kind == "reword":
            if found.entry is not None:
                out["reword_hits" if owner[found.entry.id] == own else "reword_wrong"] += 1
            else:
                reasons[f"reword:{found.result}"] += 1
            continue
        reasons[f"differ:{found.result}"] += 1
        if found.entry is not None:
            out["differ_wrong"] += 1
            if len(examples) < 3:
                examples.append(
                    {
                        "query": query[:300],
                        "served": found.entry.text[:300],
                        "similarity": round(float(found.similarity), 4),
                    }
                )
    return {**out, "reasons": dict(reasons), "examples": examples}


def run(seeds: tuple[int, ...], stored: int, encoder: Encoder) -> dict[str, Any]:
    """All families over all seeds with a fresh cache built like the proxy's."""
    verifier = PairVerifier.load()
    tc = verifier.cosine_threshold
    embed = Embedder(encoder)
    per_family: dict[str, Any] = {}
    for family in FAMILIES:
        total: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        examples: list[dict[str, Any]] = []
        for seed in seeds:
            cache = SemanticCache(verifier=verifier, model_family=encoder.family)
            res = run_family(family, seed, cache, embed, tc, stored)
            reasons.update(res.pop("reasons"))
            examples += res.pop("examples")
            total.update(res)
        per_family[family.name] = {
            **{k: total[k] for k in ("differ_trials", "differ_wrong", "reword_trials")},
            "reword_hits": total["reword_hits"],
            "reword_wrong": total["reword_wrong"],
            "wrong_hit_rate": total["differ_wrong"] / max(total["differ_trials"], 1),
            "reword_hit_rate": total["reword_hits"] / max(total["reword_trials"], 1),
            "reasons": dict(sorted(reasons.items())),
            "examples": examples[:3],
        }
    return {
        "cosine_threshold": tc,
        "verifier_threshold": verifier.threshold,
        **_totals(per_family),
        "families": per_family,
    }


def _totals(per_family: dict[str, Any]) -> dict[str, Any]:
    rows = per_family.values()
    differ = sum(r["differ_trials"] for r in rows)
    reword = sum(r["reword_trials"] for r in rows)
    return {
        "differ_trials": differ,
        "differ_wrong": sum(r["differ_wrong"] for r in rows),
        "reword_trials": reword,
        "reword_hit_rate": sum(r["reword_hits"] for r in rows) / max(reword, 1),
        "reword_wrong": sum(r["reword_wrong"] for r in rows),
    }


async def proxy_pass(seed: int = 11, stored: int = 12) -> dict[str, Any]:
    """Every family through the proxy: wrong answers (echo of a prompt with other slots)."""
    import os

    from aiohttp.test_utils import TestClient, TestServer
    from prometheus_client import CollectorRegistry

    from sidecar.app import create_app
    from sidecar.config import load_settings
    from sidecar.mock_upstream import MockConfig, start_mock

    _, runner, base = await start_mock(config=MockConfig())
    settings = load_settings(None, dict(os.environ), upstream=base)
    app = create_app(settings, registry=CollectorRegistry(), environ={})
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    for _ in range(600):  # the models load in the background (up to a minute)
        if (await client.get("/readyz")).status == 200:
            break
        await asyncio.sleep(0.1)
    out: dict[str, Any] = {}
    try:
        for family in FAMILIES:
            out[family.name] = await _proxy_family(client, family, seed, stored)
    finally:
        await client.close()
        await runner.cleanup()
    return out


async def _proxy_family(client: Any, family: Family, seed: int, stored: int) -> dict[str, int]:
    rng = random.Random(f"{family.name}/{seed}")
    seeds = _distinct(family, rng, stored)
    asked: dict[str, Slots] = {}  # every prompt sent (misses are stored too) -> its slots
    counts: Counter[str] = Counter()
    headers = {"X-Tenant-Id": f"adversarial-{family.name}-{seed}"}

    async def ask(slots: Slots, template: int) -> tuple[bool, bool]:
        """(served from the cache, the answer belongs to a prompt with other slots)."""
        text = family.render(slots, template)
        asked.setdefault(" ".join(text.split()), slots)
        body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
        resp = await client.post("/v1/chat/completions", json=body, headers=headers)
        answer = (await resp.json())["choices"][0]["message"]["content"]
        owner = asked.get(answer.removeprefix("echo: "))
        return resp.headers["X-Sidecar-Cache"] in ("exact", "semantic"), owner != slots

    for slots in seeds:
        await ask(slots, 0)
    keys = {family.render(s, 0) for s in seeds}
    for slots in seeds:
        for t in range(1, len(family.templates)):
            hit, wrong = await ask(slots, t)
            counts["reword_trials"] += 1
            counts["reword_hits"] += hit and not wrong
            counts["reword_wrong"] += wrong
        other = family.vary(slots, rng)
        if family.render(other, 0) in keys:
            continue
        for t in range(len(family.templates)):
            _, wrong = await ask(other, t)
            counts["differ_trials"] += 1
            counts["differ_wrong"] += wrong
    return dict(counts)


def plot(results: dict[str, Any], path: Path) -> None:
    """Per family: wrong-hit rate on slot-differing prompts and hit rate on rewordings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [k for k in ("before", "after") if k in results] or list(results)[:2]
    names = [f.name for f in FAMILIES]
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.8))
    width = 0.8 / max(len(labels), 1)
    for j, label in enumerate(labels):
        fam = results[label]["families"]
        xs = np.arange(len(names)) + j * width
        axes[0].bar(
            xs, [fam.get(n, {}).get("wrong_hit_rate", 0) for n in names], width, label=label
        )
        axes[1].bar(
            xs, [fam.get(n, {}).get("reword_hit_rate", 0) for n in names], width, label=label
        )
    for ax, title in zip(
        axes, ("wrong hits / slot-differing prompt", "hits / same-slot rewording"), strict=True
    ):
        ax.set_xticks(
            np.arange(len(names)) + width * (len(labels) - 1) / 2, names, rotation=45, ha="right"
        )
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="y")
        ax.legend()
    axes[1].axhline(0.6, color="gray", lw=0.7, ls="--")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    """Run the suite, merge the results under `--label`, redraw the PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--stored", type=int, default=12)
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--proxy", action="store_true", help="add an end-to-end pass")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    encoder = load_encoder("onnx", args.model_dir)
    res = run(tuple(args.seeds), args.stored, encoder)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    res["note"] = "2 shared vCPUs (other jobs running); counts do not depend on load"
    if args.proxy:
        res["proxy_pass_seed_11"] = asyncio.run(proxy_pass())
        print("proxy", res["proxy_pass_seed_11"])
    path = args.out / "cache_adversarial.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.label] = res
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out / "cache_adversarial.png")
    for name, fam in res["families"].items():
        print(
            f"{name:18} wrong {fam['differ_wrong']:4}/{fam['differ_trials']:4}  "
            f"reword hits {fam['reword_hits']:3}/{fam['reword_trials']:3} "
            f"(wrong {fam['reword_wrong']})"
        )
    print({k: v for k, v in res.items() if k != "families"})


if __name__ == "__main__":
    main()
