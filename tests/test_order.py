"""Tests for cache/order.py: steps chained by "then" / "->" keep their order."""

from __future__ import annotations

from cache.guard import ROLE, check
from cache.order import MAX_CHARS, field_swap, fields, order_swap, steps

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


BOARD = (
    "## Sprint board\n- **login page**: {}\n- **payment flow**: {}\n- **email alerts**: {}\n\n{}"
)


def test_values_exchanged_between_fields_are_vetoed() -> None:
    stored = BOARD.format("done", "blocked", "in progress", "Write a standup update.")
    asked = BOARD.format("blocked", "done", "in progress", "Write a standup update.")
    assert fields(stored) == {
        "login page": "done",
        "payment flow": "blocked",
        "email alerts": "in progress",
    }
    assert field_swap(asked, stored)
    assert check(asked, stored).reason == ROLE and check(asked, stored).rule == "fields"


def test_fields_keeping_their_values_or_changing_one_pass_this_rule() -> None:
    stored = BOARD.format("done", "blocked", "in progress", "Write a standup update.")
    # the same board under a reworded instruction
    reworded = BOARD.format("done", "blocked", "in progress", "Standup, please.")
    assert not field_swap(reworded, stored)
    # one value changed outright is the slot rules' and siblings' business, not a swap
    assert not field_swap(BOARD.format("done", "done", "in progress", "Write it."), stored)
    # one shared field only
    assert not field_swap("Priority: high\nOwner: Ana", "Priority: low\nTeam: core")
    assert fields("x " * MAX_CHARS + "\nPriority: high") == {}
