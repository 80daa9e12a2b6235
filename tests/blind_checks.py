"""Checks shared by the blind suites' tests (tests/test_blind*_suite.py).

A family's rewordings keep every slot and its variants change exactly one; a fake cache for the
scorer; an oracle cache that serves the stored prompt with the same slots; the scorer checked
with an exact, a serve-anything and that oracle cache; the values a family's variants change;
the fixed wording of each template (the four-word runs in every rendering), to prove suites
share no template text; and how many wrong hits a report lists.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks import blind_report
from benchmarks.heldout_families import Family
from benchmarks.heldout_scoring import score_family, stored_texts, totals, trials

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


def check_scorer(family: Family, suite: str) -> None:
    """An exact cache is never wrong and never serves a rewording; a cache serving its first
    stored prompt is caught on both kinds, with every wrong hit listed; the same-slots oracle
    is never wrong and serves every rewording."""
    put, ask = fake_cache(lambda stored, text: text if text in stored else None)
    exact = score_family(family, [1], 6, put, ask, suite, 100)
    assert exact.get("differ_wrong", 0) == 0 and exact.get("reword_right_hits", 0) == 0
    put, ask = fake_cache(lambda stored, text: stored[0])
    sloppy = score_family(family, [1, 2, 3], 12, put, ask, suite, 10_000)
    assert sloppy["differ_wrong"] > 0 and sloppy["reword_wrong"] > 0
    assert len(sloppy["examples"]) == sloppy["differ_wrong"] + sloppy["reword_wrong"]
    assert all("->" in e["slot_diff"] for e in sloppy["examples"])
    # a cache that serves the stored prompt with the same slots is never counted wrong
    put, ask = fake_cache(lambda stored, text: same_slots(family, stored, text))
    right = score_family(family, [1], 6, put, ask, suite, 100)
    assert right.get("differ_wrong", 0) == right.get("reword_wrong", 0) == 0
    assert right["reword_right_hits"] == right["reword_trials"]


def sampled_slots(family: Family) -> dict[str, set[str]]:
    """Per slot, the values 300 seeded `sample` calls put in."""
    rng = random.Random(f"values/{family.name}")
    seen: dict[str, set[str]] = {}
    for _ in range(300):
        for key, value in family.sample(rng).items():
            seen.setdefault(key, set()).add(str(value))
    return seen


def varied_slots(family: Family) -> dict[str, set[str]]:
    """Per slot that 200 seeded `vary` calls changed, the values they put in."""
    rng = random.Random(f"slots/{family.name}")
    out: dict[str, set[str]] = {}
    for _ in range(200):
        slots = family.sample(rng)
        other = family.vary(slots, rng)
        for key in slots:
            if other[key] != slots[key]:
                out.setdefault(key, set()).add(str(other[key]))
    return out


def varied_values(family: Family) -> set[str]:
    """The slot values 200 seeded `vary` calls put in place of another."""
    rng = random.Random(f"kinds/{family.name}")
    out: set[str] = set()
    for _ in range(200):
        slots = family.sample(rng)
        other = family.vary(slots, rng)
        out |= {str(other[k]) for k in slots if other[k] != slots[k]}
    return out


def check_no_shared_runs(families: Iterable[Any], *others: Iterable[Any]) -> None:
    """No template of `families` shares a four-word run with one of the `others` suites (and
    enough runs are compared for that to mean something)."""
    theirs = frame_runs(*others)
    mine = template_frames(families)
    assert sum(len(g) for g in mine.values()) > 200  # the frames are really compared
    shared = {k: sorted(g & theirs) for k, g in mine.items() if g & theirs}
    assert shared == {}


def check_report(families: list[Any], suite: str, n: int) -> None:
    """The report of a serve-anything run over the first `n` families has their rows and
    lists every wrong hit."""
    put, ask = fake_cache(lambda stored, text: stored[0])
    fams = {f.name: score_family(f, [1], 4, put, ask, suite, 10_000) for f in families[:n]}
    run = {"in_process": {"families": fams, **totals(fams)}}
    assert len(blind_report.table(run)) == 2 + n + 1
    listed = listed_wrong_hits(run)
    t = run["in_process"]["totals"]
    assert listed == t["differ_wrong"] + t["reword_wrong"] > 0


def check_trials(family: Family, suite: str) -> list[str]:
    """Distinct, seeded stored prompts; 6 variants each and one rewording per other template.
    Returns the stored texts (each suite adds its own bounds)."""
    texts = stored_texts(family, 1, 12, suite)
    assert len(set(texts)) == len(texts)
    kinds = [kind for kind, _, _ in trials(family, 1, 12, suite)]
    assert kinds.count("differ") == 6 * len(texts)
    assert kinds.count("reword") == (len(family.templates) - 1) * len(texts)
    assert stored_texts(family, 1, 12, suite) == texts  # seeded, reproducible
    return texts
