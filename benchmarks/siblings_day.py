"""What the sibling check costs and saves on a simulated day of mixed traffic.

Replays `benchmarks.budget_workload.build_day(n, seed)` (Zipf over QQP paraphrase topics in one
scope, templated app families with slot values in another; the oracle knows every meaning)
through the real cache twice, with the shipped `cache.siblings` and 0 (off): exact lookup,
then semantic lookup; a miss or refusal is stored, as the proxy does. Counts per scope: exact
hits, right and wrong semantic hits, refusals by reason. A refused paraphrase is stored, so
its repeats become exact hits: compare answers served from the cache in total and wrong ones.

Run: `python -m benchmarks.siblings_day [--n 20000] [--seed 7]`
(adds the run to `benchmarks/results/siblings_day.json` under `n<N>_seed<S>`; about a
minute per 20,000 requests).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.budget_workload import Request, build_day
from cache.pair_data import embed_texts, offline_encoder
from cache.store import SemanticCache
from cache.verifier import PairVerifier
from sidecar.config_sections import CacheSettings

SHIPPED = CacheSettings().siblings  # the `cache.siblings` default

OUT = Path(__file__).resolve().parent / "results" / "siblings_day.json"


def replay(reqs: list[Request], vecs: dict[str, np.ndarray], siblings: int) -> dict[str, Any]:
    """Counts of one pass of the day through a fresh cache."""
    verifier = PairVerifier.load()
    cache = SemanticCache(verifier=verifier, sibling_k=siblings)
    meaning: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for r in reqs:
        if cache.lookup_exact(r.scope, r.text) is not None:
            counts["exact"] += 1
            continue
        found = cache.lookup(r.scope, r.text, vecs[r.text], verifier.cosine_threshold)
        if found.entry is not None:
            right = meaning[found.entry.text] == r.meaning
            counts[f"{r.scope}/semantic_{'right' if right else 'wrong'}"] += 1
            continue
        reason = found.result.value + (f"/{found.rule}" if found.rule.startswith("sib") else "")
        counts[f"{r.scope}/{reason}"] += 1
        cache.put(r.scope, r.text, vecs[r.text], body=b"", model="m", tier="t", tier_rank=0)
        meaning[r.text] = r.meaning
    wrong = sum(v for k, v in counts.items() if k.endswith("semantic_wrong"))
    served = counts["exact"] + sum(v for k, v in counts.items() if "/semantic_" in k)
    return {"counts": dict(sorted(counts.items())), "served": served, "wrong": wrong}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    reqs, _ = build_day(args.n, args.seed)
    # the vectors cache_budget uses for the same day (cached on disk; short texts, so what
    # the embedder reads is the text itself)
    vecs = embed_texts(offline_encoder(), sorted({r.text for r in reqs}))
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "n": args.n,
        "seed": args.seed,
        "note": "in process; counts do not depend on machine load",
        f"siblings_{SHIPPED}": replay(reqs, vecs, SHIPPED),
        "siblings_0": replay(reqs, vecs, 0),
    }
    for key in (f"siblings_{SHIPPED}", "siblings_0"):
        print(key, json.dumps({k: result[key][k] for k in ("served", "wrong")}))
    runs = json.loads(OUT.read_text()) if OUT.exists() else {}
    runs[f"n{args.n}_seed{args.seed}"] = result
    OUT.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
