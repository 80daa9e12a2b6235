"""Why true rewordings are not served: every rewording trial of the given suites, replayed
through the real cache in process, is counted by the lookup's outcome and by whether the entry
the lookup judged first was the right one.

A rewording keeps every slot value of a stored prompt in another sentence structure, so it
should be served that prompt's answer. When it is not, the outcome says which check refused
(`guard_slot/number`, `verifier_rejected`, ...), and `judged_right` says whether the refusal
was about the right entry (a check's false alarm) or about another stored prompt of the same
template that ranked first on cosine (the right one was never judged).

Run: `python -m benchmarks.reword_misses [--suites heldout blind ...]`
(writes `benchmarks/results/reword_misses.json` under a label; counts do not depend on load).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cache_heldout import SUITES, shipped_parts
from benchmarks.heldout_scoring import stored_texts, trials
from cache.store import SemanticCache
from sidecar.config_sections import CacheSettings

RESULTS = Path(__file__).parent / "results" / "reword_misses.json"
DEFAULT_SUITES = ("heldout", "blind", "blind2", "blind3", "blind4", "blind5")


def outcome(found: Any, right: str) -> str:
    """The trial's outcome: served, wrong, or the refusal's result/rule."""
    if found.entry is not None:
        return "served" if found.entry.text.split() == right.split() else "wrong"
    return f"{found.result}/{found.rule}" if found.rule else str(found.result)


def suite_counts(
    name: str, seeds: list[int], stored: int, embed: Any, verifier: Any, model_family: str
) -> Counter:
    """Outcome counts of one suite's rewording trials, keyed "outcome|judged_right"."""
    counts: Counter[str] = Counter()
    for family in SUITES[name].families:
        for seed in seeds:
            cache = SemanticCache(
                verifier=verifier, model_family=model_family, sibling_k=CacheSettings().siblings
            )
            for text in set(stored_texts(family, seed, stored, name)):
                cache.put("s", text, embed(text), body=b"", model="m", tier="t", tier_rank=0)
            for kind, query, right in trials(family, seed, stored, name):
                if kind != "reword":
                    continue
                found = cache.lookup("s", query, embed(query), verifier.cosine_threshold)
                right_cos = float(np.dot(embed(query), embed(right)))
                first_right = found.similarity is not None and right_cos >= found.similarity - 1e-4
                counts[f"{outcome(found, right)}|{'right' if first_right else 'other'}"] += 1
    return counts


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suites", nargs="+", default=list(DEFAULT_SUITES), choices=sorted(SUITES))
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--stored", type=int, default=12)
    p.add_argument("--label", default="main")
    args = p.parse_args(argv)
    embed, verifier, model_family = shipped_parts()
    run: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name in args.suites:
        counts = suite_counts(name, args.seeds, args.stored, embed, verifier, model_family)
        run[name] = dict(counts.most_common())
        print(name, json.dumps(run[name]), flush=True)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(old | {args.label: run}, indent=1) + "\n")


if __name__ == "__main__":
    main()
