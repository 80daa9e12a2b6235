"""The second blind suite (benchmarks/blind2_families.py) generates valid trials and stays apart.

- >= 20 families, >= 3 templates each; every template keeps every slot value verbatim (rewordings
  are rewordings, and the only wording change is the template); `vary` changes exactly one slot,
  and the prompt with it, in every template; the long passages are >= 600 characters;
- the scorer, given a cache that serves any stored prompt of the scope, finds wrong hits in every
  family, and an exact-text cache gets none;
- no template shares a four-word run with a held-out, first-blind or adversarial template (the
  adversarial ones compared programmatically, unread);
- the runner and the report know the suite (`--suite blind2`, `cache_blind2.json`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks import (
    adversarial_families,
    blind2_documents,
    blind2_families,
    blind_families,
    blind_report,
    heldout_families,
)
from benchmarks.cache_heldout import SUITES
from benchmarks.heldout_families import Family
from benchmarks.heldout_scoring import score_family, stored_texts, totals, trials

FAMILIES = blind2_families.FAMILIES
SUITE = "blind2"


def test_suite_shape_and_runner() -> None:
    names = [f.name for f in FAMILIES]
    assert len(names) >= 20 and len(set(names)) == len(names)
    older = {f.name for f in (*heldout_families.FAMILIES, *blind_families.FAMILIES)}
    assert not set(names) & older
    assert all(len(f.templates) >= 3 for f in FAMILIES)
    assert SUITES[SUITE].families == FAMILIES
    assert SUITES[SUITE].out == blind_report.FILES[SUITE]
    assert SUITES["blind"].out == blind_report.FILES["blind"]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_rewordings_keep_slots_and_variants_change_one(family: Family) -> None:
    rng = random.Random(f"test/{family.name}")
    for _ in range(60):
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


def test_passages_are_long_and_differ_in_one_middle_sentence() -> None:
    for group in blind2_documents.PASSAGES:
        assert min(len(p) for p in group) >= 600
        for p in group[1:]:
            a, b = re.split(r"(?<=\.) ", group[0]), re.split(r"(?<=\.) ", p)
            changed = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            assert len(changed) == 1 and 2 <= changed[0] <= len(a) - 3


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family: Family) -> None:
    texts = stored_texts(family, 1, 12, SUITE)
    assert len(set(texts)) == len(texts) >= 8
    kinds = [kind for kind, _, _ in trials(family, 1, 12, SUITE)]
    assert kinds.count("differ") == 6 * len(texts)
    assert kinds.count("reword") == (len(family.templates) - 1) * len(texts)
    assert stored_texts(family, 1, 12, SUITE) == texts  # seeded, reproducible
    assert stored_texts(family, 1, 12, "blind") != texts or len(texts) < 12  # own random stream


def _fake(serve: Callable[[list[str], str], str | None]) -> tuple[Any, Any]:
    scopes: dict[str, list[str]] = {}

    def put(scope: str, text: str) -> None:
        scopes.setdefault(scope, []).append(text)

    def ask(scope: str, text: str) -> str | None:
        return serve(scopes[scope], text)

    return put, ask


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family: Family) -> None:
    put, ask = _fake(lambda stored, text: text if text in stored else None)
    exact = score_family(family, [1], 6, put, ask, SUITE, 100)
    assert exact.get("differ_wrong", 0) == 0 and exact.get("reword_right_hits", 0) == 0
    put, ask = _fake(lambda stored, text: stored[0])
    sloppy = score_family(family, [1, 2, 3], 12, put, ask, SUITE, 10_000)
    assert sloppy["differ_wrong"] > 0 and sloppy["reword_wrong"] > 0
    assert len(sloppy["examples"]) == sloppy["differ_wrong"] + sloppy["reword_wrong"]
    assert all("->" in e["slot_diff"] for e in sloppy["examples"])
    # a cache that serves the nearest stored wording of the same slots is never counted wrong
    put, ask = _fake(lambda stored, text: _same_slots(family, stored, text))
    right = score_family(family, [1], 6, put, ask, SUITE, 100)
    assert right.get("differ_wrong", 0) == right.get("reword_wrong", 0) == 0
    assert right["reword_right_hits"] == right["reword_trials"]


def _same_slots(family: Family, stored: list[str], text: str) -> str | None:
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


def _frames(families: tuple[Any, ...]) -> dict[str, set[tuple[str, ...]]]:
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


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    others: set[tuple[str, ...]] = set()
    for fams in (
        heldout_families.FAMILIES,
        blind_families.FAMILIES,
        adversarial_families.FAMILIES,
    ):
        for grams in _frames(fams).values():
            others |= grams
    mine = _frames(FAMILIES)
    assert sum(len(g) for g in mine.values()) > 200  # the frames are really compared
    shared = {k: sorted(g & others) for k, g in mine.items() if g & others}
    assert shared == {}


def test_report_reads_the_suite_and_lists_every_wrong_hit() -> None:
    put, ask = _fake(lambda stored, text: stored[0])
    fams = {f.name: score_family(f, [1], 4, put, ask, SUITE, 10_000) for f in FAMILIES[:4]}
    run = {"in_process": {"families": fams, **totals(fams)}}
    assert len(blind_report.table(run)) == 2 + 4 + 1
    listed = sum(
        int(line[2:].split(" ", 1)[0])
        for line in blind_report.wrong_hits(run)
        if line.startswith("- ")
    )
    t = run["in_process"]["totals"]
    assert listed == t["differ_wrong"] + t["reword_wrong"] > 0
