"""The sixth blind suite (benchmarks/blind6_families.py) generates valid trials and stays apart.

- >= 44 families with names new to every other suite (adversarial included), >= 3 templates and
  2-4 slots of 2-4 values each, and exactly 12 distinct stored prompts per seed; every template
  keeps every slot value verbatim (rewordings are rewordings); `vary` changes exactly one slot,
  and the prompt with it, in every template;
- more than half of the varied slots hold ORDINARY words (no digits, no capitals), and at least
  12 families vary a number; some prompts are one short line, one to four are in a language
  other than English (the cache's encoder is English-only), and at least six carry a pasted
  text of over 2,000 characters;
- the scorer, given a cache that serves any stored prompt of the scope, finds wrong hits in every
  family, an exact-text cache gets none, and an oracle serving the same slots is never wrong;
- no template shares a four-word run with a held-out, blind, blind2 ... blind5 or adversarial
  template (the adversarial ones compared programmatically, unread);
- the runner and the report know the suite (`--suite blind6`, `cache_blind6.json`), and nothing
  here runs it against the real cache.
"""

from __future__ import annotations

import random
import re

import pytest

from benchmarks import (
    adversarial_families,
    blind2_families,
    blind3_families,
    blind4_families,
    blind5_families,
    blind6_families,
    blind_families,
    blind_report,
    heldout_families,
)
from benchmarks.cache_heldout import SUITES
from benchmarks.heldout_families import Family
from benchmarks.heldout_scoring import stored_texts
from tests.blind_checks import (
    check_no_shared_runs,
    check_report,
    check_rewordings_and_variants,
    check_scorer,
    check_trials,
    sampled_slots,
    varied_slots,
    varied_values,
)

FAMILIES = blind6_families.FAMILIES
SUITE = "blind6"
OLDER = (
    heldout_families.FAMILIES,
    blind_families.FAMILIES,
    blind2_families.FAMILIES,
    blind3_families.FAMILIES,
    blind4_families.FAMILIES,
    blind5_families.FAMILIES,
)
ORDINARY = re.compile(r"^[^\W\d_A-Z][^\W\dA-Z_]*(?:[' -][^\W\dA-Z_]+)*$")  # no digits, capitals
FOREIGN = re.compile(r"[äåöęłśżź]|\b(?:saya|porsi|jag|bilet)\b")


def test_suite_shape_and_runner() -> None:
    names = [f.name for f in FAMILIES]
    assert len(names) >= 44 and len(set(names)) == len(names)
    older = {f.name for fams in (*OLDER, adversarial_families.FAMILIES) for f in fams}
    assert not set(names) & older
    assert all(len(f.templates) >= 3 for f in FAMILIES)
    assert SUITES[SUITE].families == FAMILIES
    assert SUITES[SUITE].out == blind_report.FILES[SUITE]
    assert SUITES[SUITE].out.name == "cache_blind6.json"
    assert SUITES[SUITE].max_examples >= 10_000  # every wrong hit is listed
    for older_suite in ("blind", "blind2", "blind3", "blind4", "blind5"):
        assert SUITES[older_suite].out == blind_report.FILES[older_suite]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_slots_and_values_per_family(family: Family) -> None:
    seen = sampled_slots(family)
    assert 2 <= len(seen) <= 4, sorted(seen)
    assert all(2 <= len(v) <= 4 for v in seen.values()), seen
    assert set(varied_slots(family)) == set(seen)  # every slot is a meaning-bearing change


def test_short_foreign_and_long_document_prompts() -> None:
    rng = random.Random("lengths")
    stored = [f.render(f.sample(rng), 0) for f in FAMILIES]
    one_line = [t for t in stored if len(t) < 90 and "\n" not in t]
    long_docs = [t for t in stored if len(t) > 2100 and "\n\n" in t]
    foreign = [t for t in stored if FOREIGN.search(t.lower())]
    assert len(one_line) >= 4, one_line
    assert len(long_docs) >= 6, [t[:60] for t in long_docs]
    assert 1 <= len(foreign) <= 4, foreign


def test_foreign_check_is_strict() -> None:
    assert FOREIGN.search("chcę kupić bilet normalny")
    assert FOREIGN.search("hur gör jag för att avboka")
    assert not FOREIGN.search("remind me to submit my timesheet every friday afternoon")


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_rewordings_keep_slots_and_variants_change_one(family: Family) -> None:
    check_rewordings_and_variants(family, 60)


def test_most_varied_slots_are_ordinary_words() -> None:
    slots = [vals for f in FAMILIES for vals in varied_slots(f).values()]
    ordinary = [v for v in slots if all(ORDINARY.match(x) for x in v)]
    assert len(ordinary) * 2 > len(slots), (len(ordinary), len(slots))
    word = re.compile(r"^[a-z][a-z' -]*$")  # a family varies plain words
    plain = [f.name for f in FAMILIES if any(word.match(v) for v in varied_values(f))]
    numeric = [f.name for f in FAMILIES if any(re.search(r"\d", v) for v in varied_values(f))]
    assert len(plain) * 2 > len(FAMILIES), plain
    assert len(numeric) >= 12, numeric


def test_ordinary_check_is_strict() -> None:
    assert all(ORDINARY.match(v) for v in ("not checked through", "player's", "hand-wash only"))
    assert not any(ORDINARY.match(v) for v in ("E0502", "137", "€8,750", "Team", "^", "PDF"))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family: Family) -> None:
    texts = check_trials(family, SUITE)
    assert len(texts) == 12
    assert stored_texts(family, 1, 12, "blind5") != texts  # own random stream


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family: Family) -> None:
    check_scorer(family, SUITE)


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    check_no_shared_runs(FAMILIES, *OLDER, adversarial_families.FAMILIES)


def test_report_reads_the_suite_and_lists_every_wrong_hit() -> None:
    check_report(list(FAMILIES), SUITE, 4)
