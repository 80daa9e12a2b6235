"""The third blind suite (benchmarks/blind3_families.py) generates valid trials and stays apart.

- >= 20 families with names new to every other suite, >= 3 templates each; every template keeps
  every slot value verbatim (rewordings are rewordings); `vary` changes exactly one slot, and
  the prompt with it, in every template; at least 15 families vary ordinary words (no digits,
  no capitals: a room, a season, an animal, a genre ...) and at least 8 vary numbers;
- the scorer, given a cache that serves any stored prompt of the scope, finds wrong hits in every
  family, an exact-text cache gets none, and an oracle serving the same slots is never wrong;
- no template shares a four-word run with a held-out, blind, blind2 or adversarial template (the
  adversarial ones compared programmatically, unread);
- the runner and the report know the suite (`--suite blind3`, `cache_blind3.json`).
"""

from __future__ import annotations

import re

import pytest

from benchmarks import (
    adversarial_families,
    blind2_families,
    blind3_families,
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
    varied_values,
)

FAMILIES = blind3_families.FAMILIES
SUITE = "blind3"
OLDER = (heldout_families.FAMILIES, blind_families.FAMILIES, blind2_families.FAMILIES)


def test_suite_shape_and_runner() -> None:
    names = [f.name for f in FAMILIES]
    assert len(names) >= 20 and len(set(names)) == len(names)
    assert not set(names) & {f.name for fams in OLDER for f in fams}
    assert all(len(f.templates) >= 3 for f in FAMILIES)
    assert SUITES[SUITE].families == FAMILIES
    assert SUITES[SUITE].out == blind_report.FILES[SUITE]
    assert SUITES[SUITE].out.name == "cache_blind3.json"
    for older in ("blind", "blind2"):
        assert SUITES[older].out == blind_report.FILES[older]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_rewordings_keep_slots_and_variants_change_one(family: Family) -> None:
    check_rewordings_and_variants(family, 60)


def test_mix_of_ordinary_word_and_number_or_id_slots() -> None:
    word = re.compile(r"^[a-z][a-z' -]*$")  # plain vocabulary: no digits, names or codes
    ordinary = [f.name for f in FAMILIES if any(word.match(v) for v in varied_values(f))]
    numeric = [f.name for f in FAMILIES if any(re.search(r"\d", v) for v in varied_values(f))]
    assert len(ordinary) >= 15, ordinary
    assert len(numeric) >= 8, numeric


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family: Family) -> None:
    texts = check_trials(family, SUITE)
    assert len(texts) >= 8
    assert stored_texts(family, 1, 12, "blind2") != texts or len(texts) < 12  # own random stream


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family: Family) -> None:
    check_scorer(family, SUITE)


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    check_no_shared_runs(FAMILIES, *OLDER, adversarial_families.FAMILIES)


def test_report_reads_the_suite_and_lists_every_wrong_hit() -> None:
    check_report(FAMILIES, SUITE, 4)
