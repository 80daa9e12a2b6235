"""Guard rules added after the blind review: qualifiers, extra sentences, number words, dates,
bracketed sets, operators after ")", reversing prefixes, and changes inside a long text."""

from __future__ import annotations

import pytest

from cache import guard
from cache.qualifiers import extra_sentence, prefix_flip, qualifier_clash, swapped_words
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
    # "most" / "least" are also WordNet antonyms: the polarity rule, checked first, may fire.
    assert guard.check(a, b).reason in (guard.QUALIFIER, guard.POLARITY)


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


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Give this user read-only access to the repo", "Give this user write access to the repo"),
        ("Reply to the customer in a firm tone", "Reply to the customer in a friendly tone"),
        ("Compute the sample variance of B", "Compute the population variance of B"),
    ],
)  # fmt: skip
def test_one_word_swapped_in_one_frame_is_vetoed(a: str, b: str) -> None:
    assert swapped_words(words_of(a), words_of(b))
    assert guard.check(a, b) == guard.GuardDecision(guard.SLOT, "swapped_words")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How do I learn Python quickly?", "How can I learn Python quickly?"),  # light words
        ("Book room 4 for the weekly meeting", "Reserve room 4 for the weekly meeting"),  # synonym
        ("Summarize the attached report", "Summarize the attached reports"),  # inflection
        ("What is the capital of France?", "What is the capital city of France?"),  # insertion
        ("Why is the sky blue during the day?", "Why does the sky look blue in daytime?"),  # frame
    ],
)
def test_light_synonym_inflection_and_reworded_frames_pass(a: str, b: str) -> None:
    assert not swapped_words(words_of(a), words_of(b))


def test_a_wordnet_antonym_swap_flips_polarity() -> None:
    a, b = "What is my gross monthly salary in Spain?", "What is my net monthly salary in Spain?"
    assert guard.check(a, b) == guard.GuardDecision(guard.POLARITY, "wordnet_antonym")
    assert guard.check("Make a chart of sales", "Chart sales, broken down by region").passed


def test_an_operator_after_a_power_or_before_a_call_is_compared() -> None:
    a, b = "What is the derivative of x^3 / sin(x)?", "Find the derivative of x^3 * sin(x)."
    assert guard.check(a, b) == guard.GuardDecision(guard.SLOT, "operator")


def test_an_appended_instruction_on_a_reworded_request_is_an_extra_sentence() -> None:
    reworded = (
        'Give a one-sentence summary of the following review: "The room was clean but noisy."'
    )
    added = REVIEW + " Write the answer in capital letters only."
    assert extra_sentence(added, reworded)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Log a call with Dana Whitfield at Kestrel Labs: they want a revised quote next week.",
            "Log a call with Dana Whitfield at Kestrel Labs: they want a revised quote before "
            "the end of the month.",
        ),
        (
            "Does this comment break our rule against spam? Answer with yes or no, then give one "
            "reason.",
            "Does this comment break our rule against spam? Answer with a confidence between zero "
            "and one, then give one reason.",
        ),
    ],
)
def test_one_longer_span_swapped_in_a_long_frame(a: str, b: str) -> None:
    assert swapped_words(words_of(a), words_of(b))
    assert guard.check(a, b) == guard.GuardDecision(guard.SLOT, "swapped_words")


def test_a_short_question_reworded_at_length_is_no_long_swap() -> None:
    # most of a short question changes: its frame is under 60% of the text
    a, b = "How can I improve my drawing skills?", "What is the best way to get better at drawing?"
    assert not swapped_words(words_of(a), words_of(b))
