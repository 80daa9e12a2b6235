"""Checks shared by the three blind suites' tests (tests/test_blind*_suite.py).

A family's rewordings keep every slot and its variants change exactly one; a fake cache for the
scorer; an oracle cache that serves the stored prompt with the same slots; the fixed wording of
each template (the four-word runs in every rendering), to prove suites share no template text;
and how many wrong hits a report lists.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks import blind_report
from benchmarks.heldout_families import Family

Put = Callable[[str, str], None]
Ask = Callable[[str, str], str | None]


def check_rewordings_and_variants(family: Family, rounds: int) -> None:
    """Every template keeps every slot value; `vary` changes one slot and every rendering."""
    rng = random.Random(f"test/{family.name}")
    for _ in range(rounds):
        slots = family.sample(rng)
        stored = family.render(slots, 0)
        for t in range(len(family.templates)):
            text = family.render(slots, t)
            for key, value in slots.items():
                assert str(value).lower() in text.lower(), (family.name, t, key)
            assert t == 0 or text != stored
        other = family.vary(slots, rng)
        assert sum(slots[k] != other[k] for k in slots) == 1
        for t in range(len(family.templates)):
            assert family.render(other, t) != family.render(slots, t)


def fake_cache(serve: Callable[[list[str], str], str | None]) -> tuple[Put, Ask]:
    """(put, ask) for `score_family`: `serve(stored texts of the scope, query)` answers."""
    scopes: dict[str, list[str]] = {}

    def put(scope: str, text: str) -> None:
        scopes.setdefault(scope, []).append(text)

    def ask(scope: str, text: str) -> str | None:
        return serve(scopes[scope], text)

    return put, ask


def same_slots(family: Family, stored: list[str], text: str) -> str | None:
    """An oracle cache: serves the stored prompt whose slots, in any template, render `text`."""
    rng = random.Random(0)
    for _ in range(3000):
        slots = family.sample(rng)
        if any(family.render(slots, t) == text for t in range(len(family.templates))):
            stored0 = family.render(slots, 0)
            return stored0 if stored0 in stored else None
    return None


def _grams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w'-]+", text.lower())
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


def template_frames(families: Iterable[Any]) -> dict[str, set[tuple[str, ...]]]:
    """Per template, the four-word runs present in every rendering: its fixed wording."""
    out = {}
    for f in families:
        sample = getattr(f, "sample", None) or f.make
        rng = random.Random(0)
        renders = [
            [f.render(s, t) for t in range(len(f.templates))]
            for s in (sample(rng) for _ in range(25))
        ]
        for t in range(len(f.templates)):
            common = _grams(renders[0][t])
            for r in renders[1:]:
                common &= _grams(r[t])
            out[f"{f.name}/{t}"] = common
    return out


def frame_runs(*suites: Iterable[Any]) -> set[tuple[str, ...]]:
    """Every fixed four-word run of every template of these suites."""
    runs: set[tuple[str, ...]] = set()
    for families in suites:
        for grams in template_frames(families).values():
            runs |= grams
    return runs


def listed_wrong_hits(run: dict[str, Any]) -> int:
    """The wrong hits `blind_report.wrong_hits` lists for a run, summed over its lines."""
    return sum(
        int(line[2:].split(" ", 1)[0])
        for line in blind_report.wrong_hits(run)
        if line.startswith("- ")
    )
