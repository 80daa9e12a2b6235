"""Training-only hard pairs (cache/train_templates.py): deterministic, labelled as meant, and
disjoint from the two correctness suites the verifier is measured on."""

from __future__ import annotations

import random
import re

from benchmarks import adversarial_families, heldout_families
from cache.train_template_data import FAMILIES
from cache.train_templates import question_pairs, template_pairs


def _grams(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", re.sub(r"\{[^}]*\}", " ", text.lower()))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _suite_prompts() -> list[str]:
    rng = random.Random(5)
    out = []
    for fam in adversarial_families.FAMILIES:
        slots = fam.make(rng)
        out += [fam.render(slots, t) for t in range(len(fam.templates))]
    for hfam in heldout_families.FAMILIES:
        hslots = hfam.sample(rng)
        out += [hfam.render(hslots, t) for t in range(len(hfam.templates))]
    return out


def test_training_templates_share_no_wording_with_either_suite() -> None:
    suite = set().union(*(_grams(p) for p in _suite_prompts()))
    mine = set().union(*(_grams(t) for templates, _ in FAMILIES for t in templates))
    assert not mine & suite


def test_template_pairs_are_deterministic_and_labelled() -> None:
    a = template_pairs(random.Random(1), 5)
    assert a == template_pairs(random.Random(1), 5)
    pos = [p for p in a if p[2] == 1]
    neg = [p for p in a if p[2] == 0]
    assert len(pos) == len(neg) > 0
    assert all(x != y for x, y, _ in neg)


def test_question_pairs_swap_one_word() -> None:
    qs = ["What is the best red wine?", "Which movie should I see?", "Why is the sky blue?"]
    pairs = question_pairs(qs, random.Random(3), 10, 10)
    assert {label for *_, label in pairs} == {0, 1}
    for a, b, _ in pairs:
        assert len(set(a.split()) ^ set(b.split())) <= 4 and a != b
