"""The fourth blind suite (benchmarks/blind4_families.py) generates valid trials and stays apart.

- >= 30 families with names new to every other suite, >= 3 templates and 2-4 slots of 2-4
  values each; every template keeps every slot value verbatim (rewordings are rewordings);
  `vary` changes exactly one slot, and the prompt with it, in every template; at least half the
  families vary ordinary words (no digits, no capitals: a leave type, a fare, a diet, a tone
  ...) and at least 12 vary numbers; some prompts are one short line, some are multi-sentence
  instructions over a pasted document;
- the scorer, given a cache that serves any stored prompt of the scope, finds wrong hits in every
  family, an exact-text cache gets none, and an oracle serving the same slots is never wrong;
- no template shares a four-word run with a held-out, blind, blind2, blind3 or adversarial
  template (the adversarial ones compared programmatically, unread);
- the runner and the report know the suite (`--suite blind4`, `cache_blind4.json`).
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
    varied_values,
)

FAMILIES = blind4_families.FAMILIES
SUITE = "blind4"
OLDER = (
    heldout_families.FAMILIES,
    blind_families.FAMILIES,
    blind2_families.FAMILIES,
    blind3_families.FAMILIES,
)


def test_suite_shape_and_runner() -> None:
    names = [f.name for f in FAMILIES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert not set(names) & {f.name for fams in OLDER for f in fams}
    assert all(len(f.templates) >= 3 for f in FAMILIES)
    assert SUITES[SUITE].families == FAMILIES
    assert SUITES[SUITE].out == blind_report.FILES[SUITE]
    assert SUITES[SUITE].out.name == "cache_blind4.json"
    for older in ("blind", "blind2", "blind3"):
        assert SUITES[older].out == blind_report.FILES[older]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_slots_and_values_per_family(family: Family) -> None:
    seen = sampled_slots(family)
    assert 2 <= len(seen) <= 4, sorted(seen)
    assert all(2 <= len(v) <= 4 for v in seen.values()), seen


def test_short_and_multi_sentence_prompts() -> None:
    rng = random.Random("lengths")
    stored = [f.render(f.sample(rng), 0) for f in FAMILIES]
    one_line = [t for t in stored if len(t) < 70 and "\n" not in t]
    with_document = [t for t in stored if "\n\n" in t and len(re.findall(r"[.?!]\s", t)) >= 3]
    assert len(one_line) >= 4, one_line
    assert len(with_document) >= 4, with_document


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_rewordings_keep_slots_and_variants_change_one(family: Family) -> None:
    check_rewordings_and_variants(family, 60)


def test_mix_of_ordinary_word_and_number_or_id_slots() -> None:
    word = re.compile(r"^[a-z][a-z' -]*$")  # plain vocabulary: no digits, names or codes
    ordinary = [f.name for f in FAMILIES if any(word.match(v) for v in varied_values(f))]
    numeric = [f.name for f in FAMILIES if any(re.search(r"\d", v) for v in varied_values(f))]
    assert len(ordinary) >= len(FAMILIES) // 2, ordinary
    assert len(numeric) >= 12, numeric


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family: Family) -> None:
    texts = check_trials(family, SUITE)
    assert len(texts) == 12
    assert stored_texts(family, 1, 12, "blind3") != texts  # own random stream


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family: Family) -> None:
    check_scorer(family, SUITE)


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    check_no_shared_runs(FAMILIES, *OLDER, adversarial_families.FAMILIES)


def test_report_reads_the_suite_and_lists_every_wrong_hit() -> None:
    check_report(FAMILIES, SUITE, 4)
