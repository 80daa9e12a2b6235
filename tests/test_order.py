"""Tests for cache/order.py: steps chained by "then" / "->" keep their order."""

from __future__ import annotations

from cache.guard import ROLE, check
from cache.order import MAX_CHARS, order_swap, steps

ROUTE = "Plan a route by bike from my flat that visits the {}, then the {}, then the {}."


def test_the_same_steps_in_another_order_are_vetoed() -> None:
    stored = ROUTE.format("post office", "bakery", "pharmacy")
    asked = "Errand run from my flat by bike: the pharmacy, then the post office, then the bakery."
    assert order_swap(asked, stored)
    assert check(asked, stored).reason == ROLE and check(asked, stored).rule == "order"
    assert order_swap("git add -> git commit -> git push", "git add -> git push -> git commit")


def test_rewordings_keeping_the_order_pass() -> None:
    stored = ROUTE.format("post office", "bakery", "pharmacy")
    asked = "By bike from my flat: the post office, followed by the bakery, and then the pharmacy."
    assert not order_swap(asked, stored)
    # one text without a chain: left to the other rules
    assert not order_swap("Before the bakery, stop at the post office.", stored)
    assert steps("No chain in this sentence.") == []


def test_long_texts_are_not_read() -> None:
    long = "x " * MAX_CHARS + "a then b then c"
    assert steps(long) == []
