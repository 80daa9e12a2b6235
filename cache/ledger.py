"""The false-hit budget as an account: what served semantic hits earned and what they spent.

Contract (the argument is in docs/cache_audit.md, "Spending the budget"):
- Units are wrong hits. Totals are integers in micro-units so replicas add them in Redis
  (HINCRBY, cache/audit_share.py) and agree exactly.
- Every served semantic hit **earns** the budget ``b`` (it joins the denominator of the
  false-hit rate) and is **charged** what it may cost (``charge``): a hit of a certified band
  the certified set's Wilson upper bound (at most ``b``, never settled); a hit of a band on
  probation a *hold*, its band's expected error, **settled** when its audit's verdict arrives:
  the hold is replaced by 1 (wrong) or 0 (same). A probation hit never audited keeps its hold.
- Credit: ``opening`` (any band) and the ``allowance``, which only **tops up** the opening
  credit to itself for the top band (``topup()`` = max(0, allowance - opening)): the start-up
  credit is max(opening, allowance), not their sum. ``balance()`` = that credit + earned -
  spent. Whatever the traffic, settled wrong probation hits + holds + certified bounds =
  b x hits + max(allowance, opening) - balance.
- ``exposure`` (local to this process, never shared or saved): for each *spending* probation
  hit served here whose verdict is pending, the worst case not yet charged (1 - hold). The
  controller (cache/budget.py) lets such a hit be served only if ``free()`` covers its worst
  case, so the balance cannot go below zero on spending hits, even with audits in flight.
- Pure and synchronous: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MICRO = 1_000_000
LedgerRow = tuple[int, int]  # earned, spent (micro wrong hits)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What one served hit was charged; handed back with its verdict (or its release)."""

    hold: float  # charged when served; replaced by the verdict when ``settles``
    settles: bool  # a probation hit: its audit's verdict replaces the hold
    exposure: float = 0.0  # worst case not yet charged while the verdict is pending


@dataclass
class Ledger:
    """Earned and spent totals (shared part + local delta) and the local exposure."""

    allowance: float = 1.0  # wrong hits the top band may owe before any hit has earned
    opening: float = 0.0  # credit any band may draw on: the budget of a few hits
    shared: list[int] = field(default_factory=lambda: [0, 0])  # adopted from the store
    delta: list[int] = field(default_factory=lambda: [0, 0])  # observed here since a sync
    exposure: float = 0.0

    def earned(self) -> float:
        """Budget earned by every served hit (wrong hits)."""
        return (self.shared[0] + self.delta[0]) / MICRO

    def spent(self) -> float:
        """Charged so far: settled verdicts, holds, certified bounds (wrong hits)."""
        return (self.shared[1] + self.delta[1]) / MICRO

    def topup(self) -> float:
        """What the allowance adds to the opening credit (for the top band only): nothing once
        the opening credit is at least the allowance (5% x 40 hits = 2 wrong hits > 1)."""
        return max(0.0, self.allowance - self.opening)

    def balance(self) -> float:
        """max(allowance, opening) + earned - spent."""
        return self.opening + self.topup() + self.earned() - self.spent()

    def rate_bound(self, budget: float) -> float | None:
        """What the account bounds the false-hit rate of the hits served so far by: b +
        credit / hits (hits = earned / b); None before any hit. The credit is a one-off of the
        state's life (it is saved and shared), so the bound falls toward b as hits accrue."""
        earned = self.earned()
        if budget <= 0 or earned <= 0:
            return None
        return round(budget + (self.opening + self.topup()) * budget / earned, 6)

    def free(self) -> float:
        """Opening + earned - spent - pending worst case: what a spending hit may draw on
        (the top band may add ``topup()``)."""
        return self.opening + self.earned() - self.spent() - self.exposure

    def charge(self, earn: float, hold: float, *, settles: bool, exposed: bool) -> Ticket:
        """A hit was served: it earns ``earn`` and is charged ``hold``."""
        self.delta[0] += _micro(earn)
        self.delta[1] += _micro(hold)
        exposure = 1.0 - hold if exposed else 0.0
        self.exposure += exposure
        return Ticket(hold, settles, exposure)

    def settle(self, ticket: Ticket, wrong: bool) -> None:
        """Its verdict arrived: a probation hit's hold is replaced by what happened."""
        if ticket.settles:
            self.delta[1] += _micro(float(wrong)) - _micro(ticket.hold)
        self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        """No verdict will come (not audited, skipped, failed): the hold stays charged."""
        self.exposure = max(0.0, self.exposure - ticket.exposure)

    def row(self) -> LedgerRow:
        """(earned, spent) in micro-units, everything known here."""
        return (self.shared[0] + self.delta[0], self.shared[1] + self.delta[1])

    def take_delta(self) -> LedgerRow:
        """What changed here since the last sync."""
        return (self.delta[0], self.delta[1])

    def load(self, row: Sequence[int]) -> None:
        """Adopt saved totals (the local delta starts from zero)."""
        self.shared, self.delta = [int(row[0]), int(row[1])], [0, 0]

    def merge(self, total: Sequence[int], pushed: Sequence[int]) -> None:
        """Adopt shared totals read after ``pushed`` was added to them; what was recorded
        while the sync was in flight stays in the delta for the next push."""
        self.delta = [self.delta[0] - int(pushed[0]), self.delta[1] - int(pushed[1])]
        self.shared = [int(total[0]), int(total[1])]


def _micro(x: float) -> int:
    return round(x * MICRO)
