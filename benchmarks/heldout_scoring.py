"""Scoring of the held-out families against any cache: how to store and how to ask are given.

`score_family(family, seeds, stored, put, ask)` stores `stored` prompts per seed (template 0,
distinct slots) with `put(scope, text)`, then asks every rewording and three one-change variants
(in template 0 and a rewording) with `ask(scope, text)`, which returns the text of the prompt
whose answer was served (None on a miss). A hit is right only if that prompt has the query's
slots; counts and up to `max_examples` wrong examples come back (query, served, and `slot_diff`:
the query's slots in the stored wording against the served prompt, "[ours -> served]").
`suite` names the suite in the seeds and scopes ("heldout", "blind"), so two suites never share
a random stream. Shared by `benchmarks/cache_heldout.py` (in process),
`benchmarks/heldout_e2e.py` (through the proxy) and `tests/test_cache_heldout.py`.
"""

from __future__ import annotations

import difflib
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.heldout_families import Family, Slots

Ask = Callable[[str, str], str | None]  # (scope, prompt) -> text of the served prompt, or None


def distinct(family: Family, rng: random.Random, n: int) -> list[Slots]:
    """Up to n slot sets with distinct stored texts."""
    seen: dict[str, Slots] = {}
    for _ in range(n * 20):
        slots = family.sample(rng)
        seen.setdefault(family.render(slots, 0), slots)
        if len(seen) == n:
            break
    return list(seen.values())


def trials(
    family: Family, seed: int, stored: int, suite: str = "heldout"
) -> Iterator[tuple[str, str, str]]:
    """(kind, query, the stored text that would be right for it) for one family and seed."""
    rng = random.Random(f"{suite}/{family.name}/{seed}")
    for slots in distinct(family, rng, stored):
        for t in range(1, len(family.templates)):
            yield "reword", family.render(slots, t), family.render(slots, 0)
        for _ in range(3):
            other = family.vary(slots, rng)
            for t in (0, rng.randrange(1, len(family.templates))):
                yield "differ", family.render(other, t), family.render(other, 0)


def stored_texts(family: Family, seed: int, stored: int, suite: str = "heldout") -> list[str]:
    rng = random.Random(f"{suite}/{family.name}/{seed}")
    return [family.render(s, 0) for s in distinct(family, rng, stored)]


def word_diff(query: str, served: str, context: int = 3) -> str:
    """The words that differ between two prompts, with a little context: "... [a -> b] ...".

    difflib on words: fine for benchmark prompts (a few thousand characters), not for any input."""
    q, s = query.split(), served.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=q, b=s, autojunk=False).get_opcodes():
        if op != "equal":
            before = " ".join(q[max(i1 - context, 0) : i1])
            after = " ".join(q[i2 : i2 + context])
            parts.append(f"{before} [{' '.join(q[i1:i2])} -> {' '.join(s[j1:j2])}] {after}")
    return " ... ".join(parts)


def score_family(
    family: Family,
    seeds: list[int],
    stored: int,
    put: Callable[[str, str], None],
    ask: Ask,
    suite: str = "heldout",
    max_examples: int = 3,
) -> dict[str, Any]:
    """Counts for one family over all seeds, given how to store and how to ask."""
    c: Counter[str] = Counter()
    examples: list[dict[str, str]] = []
    for seed in seeds:
        scope = f"{suite}-{family.name}-{seed}"
        keys = set(stored_texts(family, seed, stored, suite))
        for text in keys:
            put(scope, text)
        for kind, query, right in trials(family, seed, stored, suite):
            served = ask(scope, query)
            c[f"{kind}_trials"] += 1
            if served is None:
                continue
            if served.split() == right.split():
                c[f"{kind}_right_hits"] += 1
                continue
            c[f"{kind}_wrong"] += 1
            if len(examples) < max_examples:
                examples.append(
                    {
                        "kind": kind,
                        "query": query[:240],
                        "served": served[:240],
                        "slot_diff": word_diff(right, served),
                    }
                )
    return {
        **dict(c),
        "wrong_hit_rate": (c["differ_wrong"] + c["reword_wrong"])
        / max(c["differ_trials"] + c["reword_trials"], 1),
        "reword_hit_rate": c["reword_right_hits"] / max(c["reword_trials"], 1),
        "examples": examples,
    }


def totals(per_family: dict[str, Any]) -> dict[str, Any]:
    keys = ("differ_trials", "differ_wrong", "reword_trials", "reword_right_hits", "reword_wrong")
    t = {k: sum(f.get(k, 0) for f in per_family.values()) for k in keys}
    t["reword_hit_rate"] = t["reword_right_hits"] / max(t["reword_trials"], 1)
    return {"totals": t}
