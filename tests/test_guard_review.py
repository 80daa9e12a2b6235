"""Pairs from the held-out review of 2026-11-29 (benchmarks/cache_heldout.py) the guard vetoes.

Each pair was served another prompt's answer on main 03c8db6 (verifier scores 0.79-0.93) or
passed its guard: a clock time's half of the day, an exclusion word ("leave out", "omit",
"excluding") against "include"/"with", a one-letter size. The am/pm, "leave out" and
one-letter rules landed from the guard work (9c66f0a); "omit"/"exclude"/"except" from the
review. Same-meaning pairs must still pass. Recall cost: docs/cache_quality.md."""

from __future__ import annotations

import pytest

from cache.guard import check

WRONG = [
    ("If it is 1:30 am in Tokyo, what time is it in Mumbai?",
     "If it is 1:30 pm in Tokyo, what time is it in Mumbai?", "meridiem"),
    ("Wake me at 7am tomorrow", "Wake me at 7 p.m. tomorrow", "meridiem"),
    ("What are the main causes of deforestation? Please leave out economic factors.",
     "List the main causes of deforestation and include economic factors.", "negation"),
    ("Summarize the report excluding the appendix.",
     "Summarize the report including the appendix.", "negation"),
    ("Write the list but omit prices.", "Write the list with prices.", "negation"),
    ("Do you have the running jacket in blue, size XL, available right now?",
     "Is the blue running jacket in size S in stock?", "name"),
    ("Is the blue running jacket in size M in stock?",
     "Is the blue running jacket in size S in stock?", "name"),
]  # fmt: skip
SAME = [
    ("Meet at 7pm on the roof", "Meet at 7 p.m. on the roof"),
    ("Why did Trump\u2019s approval drop?", "Why did Trump's approval fall?"),
    (
        "List the causes and leave out nothing important",
        "List the causes and omit nothing important",
    ),
]


@pytest.mark.parametrize(("a", "b", "rule"), WRONG)
def test_review_pairs_are_vetoed(a: str, b: str, rule: str) -> None:
    for q, c in ((a, b), (b, a)):
        decision = check(q, c)
        assert not decision.passed and decision.rule == rule, (q, c, decision)


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_meaning_still_passes(a: str, b: str) -> None:
    assert check(a, b).passed and check(b, a).passed
