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

import re

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
from benchmarks.heldout_scoring import stored_texts
from tests.blind_checks import (
    check_no_shared_runs,
    check_report,
    check_rewordings_and_variants,
    check_scorer,
    check_trials,
)

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
    check_rewordings_and_variants(family, 60)


def test_passages_are_long_and_differ_in_one_middle_sentence() -> None:
    for group in blind2_documents.PASSAGES:
        assert min(len(p) for p in group) >= 600
        for p in group[1:]:
            a, b = re.split(r"(?<=\.) ", group[0]), re.split(r"(?<=\.) ", p)
            changed = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            assert len(changed) == 1 and 2 <= changed[0] <= len(a) - 3


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family: Family) -> None:
    texts = check_trials(family, SUITE)
    assert len(texts) >= 8
    assert stored_texts(family, 1, 12, "blind") != texts or len(texts) < 12  # own random stream


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family: Family) -> None:
    check_scorer(family, SUITE)


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    check_no_shared_runs(
        FAMILIES, heldout_families.FAMILIES, blind_families.FAMILIES, adversarial_families.FAMILIES
    )


def test_report_reads_the_suite_and_lists_every_wrong_hit() -> None:
    check_report(FAMILIES, SUITE, 4)
