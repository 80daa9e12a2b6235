"""The blind suite (benchmarks/blind_families.py) generates valid trials and stays blind.

- every family has >= 3 templates, and every template keeps every slot value (rewordings are
  rewordings); `vary` changes exactly one slot and the prompt with it, in every template;
- the scorer, given a cache that serves any stored prompt of the scope, finds wrong hits in every
  family (so each family's varied prompts can be caught), and an exact-text cache gets none;
- no blind template shares a four-word run with a held-out or an adversarial template. This is
  the one place the adversarial templates are touched: programmatically, to compare, unread.
"""

from __future__ import annotations

import random

import pytest

from benchmarks import (
    adversarial_families,
    blind_documents,
    blind_families,
    heldout_families,
)
from benchmarks.cache_heldout import SUITES
from benchmarks.heldout_scoring import score_family
from tests.blind_checks import (
    check_no_shared_runs,
    check_report,
    check_rewordings_and_variants,
    check_trials,
    fake_cache,
)

FAMILIES = blind_families.FAMILIES


def test_suite_shape() -> None:
    names = [f.name for f in FAMILIES]
    assert len(names) >= 15 and len(set(names)) == len(names)
    assert not set(names) & {f.name for f in heldout_families.FAMILIES}
    assert all(len(f.templates) >= 3 for f in FAMILIES)
    assert SUITES["blind"].families == FAMILIES
    assert SUITES["blind"].out.name == "cache_blind.json"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_rewordings_keep_slots_and_variants_change_one(family) -> None:
    check_rewordings_and_variants(family, 40)


def test_long_emails_are_long() -> None:
    rng = random.Random(0)
    for _ in range(20):
        slots = blind_documents.EMAIL_REPLY.sample(rng)
        assert min(len(blind_documents.EMAIL_REPLY.render(slots, t)) for t in range(3)) >= 2000


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_trials_have_enough_prompts(family) -> None:
    texts = check_trials(family, "blind")
    assert len(texts) >= 6


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_scorer_catches_a_cache_that_serves_anything(family) -> None:
    put, ask = fake_cache(lambda stored, text: text if text in stored else None)
    exact = score_family(family, [1], 6, put, ask, "blind", 100)
    assert exact.get("differ_wrong", 0) == 0 and exact.get("reword_right_hits", 0) == 0
    put, ask = fake_cache(lambda stored, text: stored[0])
    sloppy = score_family(family, [1], 6, put, ask, "blind", 100)
    assert sloppy["differ_wrong"] > 0
    assert len(sloppy["examples"]) == sloppy["differ_wrong"] + sloppy.get("reword_wrong", 0)
    assert all("->" in e["slot_diff"] for e in sloppy["examples"])


def test_no_four_word_run_shared_with_the_other_suites() -> None:
    check_no_shared_runs(FAMILIES, heldout_families.FAMILIES, adversarial_families.FAMILIES)


def test_report_lists_every_wrong_hit() -> None:
    check_report(FAMILIES, "blind", 3)
