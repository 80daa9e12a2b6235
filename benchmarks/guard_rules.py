"""What each slot-guard rule costs in recall and what it catches (docs/cache_quality.md table).

`python -m benchmarks.guard_rules` writes `benchmarks/results/guard_rules.json`. For every rule
of `cache.guard` alone, and for the whole guard:
- share of labelled paraphrases (positives) it vetoes in qqp_train, qqp_dev, PAWS-QQP and MRPC
  (true paraphrases that the rule would turn into misses), and share of non-paraphrases it vetoes;
- on the app-shaped suite (`benchmarks/adversarial_families.py`, seeds 11/22/33): share of
  slot-differing pairs (stored prompt vs its one-change variant, all templates) it vetoes, and
  share of same-slot rewordings it vetoes (its recall cost on app traffic).
Pure text rules: no embeddings needed, runs in ~1 minute.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.adversarial_families import FAMILIES
from cache.guard import RULES, check
from cache.pair_data import DATA_DIR, load_mrpc, load_paws, load_qqp

RESULTS = Path(__file__).resolve().parent / "results"
Pair = tuple[str, str, int]


def suite_pairs(seeds: Sequence[int] = (11, 22, 33), n: int = 12) -> tuple[list[Pair], list[Pair]]:
    """(slot-differing pairs, same-slot rewording pairs) from the adversarial families."""
    differ: list[Pair] = []
    reword: list[Pair] = []
    for family in FAMILIES:
        for seed in seeds:
            rng = random.Random(f"rules/{family.name}/{seed}")
            for _ in range(n):
                slots = family.make(rng)
                stored = family.render(slots, 0)
                for t in range(1, len(family.templates)):
                    reword.append((stored, family.render(slots, t), 1))
                other = family.vary(slots, rng)
                for t in range(len(family.templates)):
                    differ.append((stored, family.render(other, t), 0))
    return differ, reword


def veto_rates(pairs: Sequence[Pair], rules: Sequence[str | None]) -> dict[str, float]:
    """Share of `pairs` vetoed by each rule alone (None = the whole guard)."""
    out = {}
    for rule in rules:
        only = None if rule is None else (rule,)
        vetoed = sum(not check(a, b, rules=only).passed for a, b, _ in pairs)
        out[rule or "all"] = round(vetoed / max(len(pairs), 1), 4)
    return out


def main() -> None:
    """Measure every rule on every data set and write the JSON."""
    t0 = time.perf_counter()
    pairs_dir = DATA_DIR / "pairs"
    data = {
        "qqp_train": load_qqp(pairs_dir / "qqp_train.jsonl"),
        "qqp_dev": load_qqp(pairs_dir / "qqp_dev.jsonl"),
        "paws_qqp_train": load_paws(pairs_dir / "paws_qqp_train.tsv"),
        "mrpc_train": load_mrpc(pairs_dir / "mrpc_train.tsv"),
    }
    rules: list[str | None] = [None, *RULES]
    result: dict = {}
    for name, pairs in data.items():
        pos = [p for p in pairs if p[2] == 1]
        neg = [p for p in pairs if p[2] == 0]
        result[name] = {
            "positives": len(pos),
            "negatives": len(neg),
            "positives_vetoed": veto_rates(pos, rules),
            "negatives_vetoed": veto_rates(neg, rules),
        }
        print(name, result[name]["positives_vetoed"])
    differ, reword = suite_pairs()
    result["suite"] = {
        "differ_pairs": len(differ),
        "reword_pairs": len(reword),
        "differ_vetoed": veto_rates(differ, rules),
        "reword_vetoed": veto_rates(reword, rules),
    }
    print("suite", result["suite"])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "guard_rules.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
