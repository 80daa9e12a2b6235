"""Guard rules added after the blind review: qualifiers, extra sentences, number words, dates,
bracketed sets, operators after ")", reversing prefixes, and changes inside a long text."""

from __future__ import annotations

import pytest

from cache import guard
from cache.qualifiers import extra_sentence, prefix_flip, qualifier_clash
from cache.slots import words_of


@pytest.mark.parametrize(
    ("a", "b", "cls"),
    [
        ("May an employer ask for a deposit?", "Must an employer ask for a deposit?", "verb"),
        ("Should we renew the lease?", "Must we renew the lease?", "verb"),
        ("The fee will change in June.", "The fee has changed in June.", "verb"),
        ("The fee could change in June.", "The fee has changed in June.", "verb"),
        ("Show users with at least 3 orders", "Show users with exactly 3 orders", "quantity"),
        ("Show users with at most 3 orders", "Show users with more than 3 orders", "quantity"),
        ("Do all mammals lay eggs?", "Do some mammals lay eggs?", "quantity"),
        ("Which is the most expensive plan?", "Which is the least expensive plan?", "superlative"),
    ],
)
def test_a_substituted_qualifier_is_vetoed(a: str, b: str, cls: str) -> None:
    assert qualifier_clash(words_of(a), words_of(b)) == cls
    assert guard.check(a, b) == guard.GuardDecision(guard.QUALIFIER, cls)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How can I learn Python?", "How do I learn Python?"),  # one side only: the verifier's
        ("Can you write a poem about the sea?", "Write a poem about the sea."),  # politeness
        ("Could you summarize this?", "Would you summarize this?"),
        ("Can I take ibuprofen with food?", "May I take ibuprofen with food?"),  # one value
        ("What are some good books?", "What are a few good books?"),
        ("What are some good books?", "What are the most popular books?"),  # superlative
    ],
)
def test_interchangeable_or_one_sided_qualifiers_pass(a: str, b: str) -> None:
    assert qualifier_clash(words_of(a), words_of(b)) == ""


REVIEW = 'Summarize this product review in one sentence: "The room was clean but noisy."'


def test_an_appended_instruction_is_an_extra_sentence() -> None:
    added = REVIEW + " Then translate your summary into Italian."
    assert extra_sentence(added, REVIEW) and extra_sentence(REVIEW, added)
    assert guard.check(added, REVIEW) == guard.GuardDecision(guard.LENGTH, "extra_sentence")


@pytest.mark.parametrize(
    "reworded",
    [
        'Give a one-sentence summary of this review: "The room was clean but noisy."',
        'Review: "The room was clean but noisy." Sum it up in a single sentence, please.',
    ],
)
def test_a_reworded_instruction_is_not_an_extra_sentence(reworded: str) -> None:
    assert not extra_sentence(reworded, REVIEW)


def test_code_lines_are_not_sentences() -> None:
    a = "What does this return for x = 4?\n```python\ndef f(x):\n    return x ** 3\n```"
    b = "For x = 4, what is the return value?\n```python\ndef f(x):\n    return x ** 3\n```"
    assert not extra_sentence(a, b)


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        ("Give me eight tips for sleeping", "Give me five tips for sleeping", "number"),
        ("Summarize the first chapter of Dune", "Summarize the second chapter of Dune", "number"),
        ("Summarize the last chapter of Dune", "Summarize the second chapter of Dune", "number"),
        ("Add half a cup of sugar", "Add a quarter cup of sugar", "number"),
        ("Is 03/04/2025 a Monday?", "Is 04/03/2025 a Monday?", "number"),
        ("Is 2025-03-04 a Monday?", "Is 2025-04-03 a Monday?", "number"),
        ("Label it as one of [billing, other]", "Label it as one of [positive, negative]",
         "bracketed"),
        ("Differentiate e^(2x) - ln(x)", "Differentiate e^(2x) + ln(x)", "operator"),
        ("Differentiate e^(2x)", "Differentiate e^(-2x)", "operator"),
    ],
)  # fmt: skip
def test_values_written_in_words_or_order_are_compared(a: str, b: str, rule: str) -> None:
    assert guard.check(a, b) == guard.GuardDecision(guard.SLOT, rule)


def test_a_number_word_added_alone_is_left_to_the_verifier() -> None:
    assert guard.check("Which one is faster, Rust or Go?", "Which is faster, Rust or Go?").passed
    assert guard.check("Give me twenty tips", "Give me 20 tips").passed


def test_a_reversing_prefix_flips_polarity() -> None:
    assert prefix_flip(words_of("the antiderivative of x"), words_of("the derivative of x"))
    assert not prefix_flip(words_of("install the stall"), words_of("the stall"))
    assert guard.check("Find the derivative of x^2", "Find the antiderivative of x^2") == (
        guard.GuardDecision(guard.POLARITY, "prefix")
    )


BODY = " ".join(
    f"Paragraph {w} of the quarterly report covers the packaging line and its budget."
    for w in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
              "eleven", "twelve", "thirteen", "fourteen", "fifteen")
)  # fmt: skip


def test_a_change_near_the_start_of_a_long_text_is_vetoed() -> None:
    """Inside the edge, but between two shared runs: the document changed, not the instruction."""
    opening = "Dear Mr. Jansen, I am writing to let you know that the supplier audit has been"
    a = f"Reply briefly to this email. {opening} cancelled. As you know, {BODY}"
    b = f"Reply briefly to this email. {opening} postponed to next year. As you know, {BODY}"
    assert guard.check(a, b) == guard.GuardDecision(guard.LENGTH, "whole_text")


def test_a_reworded_instruction_before_a_long_text_passes() -> None:
    opening = "Dear Mr. Jansen, I am writing to let you know that the supplier audit is done."
    a = f"Write a short reply to this email on my behalf. {opening} {BODY}"
    b = f"Reply to the email below for me, briefly. {opening} {BODY}"
    assert guard.check(a, b).passed
