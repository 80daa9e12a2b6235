"""False-hit budget: per-band evidence and regimes, and the error budget spent hit by hit.

Contract (docs/cache_audit.md has the argument and the measurements):
- The cosine range from the safety ``floor`` up to 1 is cut into fixed bands (``edges``; the
  shipped point ``start`` is an edge). A band is open (served) or closed. Its evidence, per
  **regime** (opening or closing bumps ``gen`` and starts it from zero): audited served
  **hits** (what the band serves; they keep it open or close it) and near-miss **probes**
  (pessimistic: they open a closed band; of an open band, its refused candidates, they count
  toward its expected error, cache/spending.py). A hit verdict for a closed band is dropped.
  Open = initial state XOR odd ``gen``; ``burn_in="serve"`` starts the bands from ``start``
  up open, ``"shadow"`` starts all closed.
- An open band closes when its hits prove it over budget (Wilson lower bound above), or,
  uncertified, when its observed rate is over budget past ``min_samples`` verdicts, at
  ``max_samples()`` verdicts, or when certifying is futile. A closed band opens when at least
  ``min_samples`` probes have a Wilson upper bound within the budget.
- **Certified** bands: open, ``min_samples`` hit verdicts, cleanest first, the longest prefix
  whose pooled hits have a Wilson upper bound ``u`` within the budget. Other open bands are on
  **probation**: payers or spenders, served as far as the error budget pays for them
  (cache/spending.py: admission, charges, audit share; the account is cache/ledger.py).
- The decision is a function of the rows (replicas holding the same rows agree); state and
  sharing in cache/budget_state.py. Pure and synchronous: no aiohttp, no I/O, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cache.bands import (
    Z95,
    BandCounts,
    BandEvidence,
    BandView,
    band_edges,
    wilson,
)
from cache.budget_state import STATE_VERSION, BandRows, Row
from cache.ledger import Ledger, Ticket
from cache.spending import Spending

CLOSED = 1.01  # a threshold no cosine reaches: semantic hits off
# Opening credit of the account, in hits at the budget (b x 40: two wrong hits at 5%, 0.2 at
# 0.5%): bands may explore from the start where the budget is loose; where it is tight they
# explore on earnings (docs/cache_audit.md, "Spending the budget").
OPENING_HITS = 40
ADMISSIONS = ("serve", "closed", "unfunded")  # bounded reasons of ``admission``
__all__ = [
    "ADMISSIONS", "CLOSED", "STATE_VERSION", "BandCounts", "BandView", "BudgetController",
    "Row", "Ticket", "band_edges", "wilson",
]  # fmt: skip


@dataclass
class BudgetController(BandRows, Spending):
    """Holds the false-hit rate of served semantic hits under ``budget``, band by band."""

    budget: float | None  # None: measure only, the shipped bands stay served
    start: float  # the shipped operating point (cosine threshold)
    floor: float = 0.70  # never serve below this cosine
    min_samples: int = 30
    z: float = Z95
    burn_in: str = "serve"  # "serve": shipped bands start on probation; "shadow": closed
    probation_rate: float = 1.0  # audit share of a spending probation band's hits
    allowance: float = 0.0  # top band's credit before any hit has earned (tops up opening)
    edges: tuple[float, ...] = field(init=False)
    ledger: Ledger = field(init=False)
    _certified: list[bool] = field(init=False)
    _cert_upper: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if self.burn_in not in ("shadow", "serve"):
            raise ValueError(f"burn_in must be shadow or serve, got {self.burn_in!r}")
        _check(self.budget, self.allowance)
        self.start = max(self.start, self.floor)
        self.edges = band_edges(self.start, self.floor)
        self.ledger = Ledger(self.allowance, (self.budget or 0.0) * OPENING_HITS)
        self._shared = [BandEvidence() for _ in range(len(self.edges) - 1)]
        self._delta = [BandEvidence() for _ in self._shared]
        self._decide()

    # -- bands --------------------------------------------------------------------------------

    def band_of(self, similarity: float) -> int | None:
        """Index of the band holding ``similarity``, or None below the floor."""
        if similarity < self.edges[0]:
            return None
        for i in range(len(self.edges) - 1):
            if similarity < self.edges[i + 1]:
                return i
        return len(self.edges) - 2

    def is_open(self, band: int) -> bool:
        """Is the band served? (its initial state, flipped by every regime change)"""
        initial = band >= self._start_band and (self.budget is None or self.burn_in == "serve")
        return initial != (self._shared[band].gen % 2 == 1)

    def threshold(self) -> float:
        """Cosine to search down to: the lowest open band's edge (``CLOSED``: none open)."""
        for i in range(len(self.edges) - 1):
            if self.is_open(i):
                return max(float(self.edges[i]), self.start if i == self._start_band else 0.0)
        return CLOSED

    @property
    def serving(self) -> bool:
        """Is any band served?"""
        return self.threshold() <= 1.0

    def allows(self, similarity: float) -> bool:
        """Is a candidate at this cosine in an open band, at or above the threshold?"""
        band = self.band_of(similarity)
        return band is not None and self.is_open(band) and similarity >= self.threshold()

    def counts(self) -> list[BandCounts]:
        """Per band, every verdict known of both kinds (hits of the current regime + probes)."""
        return [self.hits(i).plus(self.probes(i)) for i in range(len(self.edges) - 1)]

    def max_samples(self) -> int:
        """Hit verdicts after which an uncertified band closes: twice what certifying the
        budget takes with no wrong verdict (z^2 (1 - b) / b)."""
        if self.budget is None:
            return 0
        return max(self.min_samples, math.ceil(2 * self.z**2 * (1 - self.budget) / self.budget))

    @property
    def _start_band(self) -> int:
        return self.edges.index(round(self.start, 4))

    def _top_open(self) -> int | None:
        return next((i for i in reversed(range(len(self._shared))) if self.is_open(i)), None)

    # -- evidence and decision ----------------------------------------------------------------

    def set_budget(
        self, budget: float | None, probation_rate: float, allowance: float | None = None
    ) -> None:
        """A new budget (config reload): the evidence stays, the decision is taken again."""
        _check(budget, self.allowance if allowance is None else allowance)
        self.budget, self.probation_rate = budget, probation_rate
        self.ledger.opening = (budget or 0.0) * OPENING_HITS
        if allowance is not None:
            self.allowance = self.ledger.allowance = allowance
        self._decide()

    def record(
        self, similarity: float, *, same: bool, kind: str = "hit", ticket: Ticket | None = None
    ) -> None:
        """Count one verdict at ``similarity``: ``kind`` "hit" (an audited served hit) or
        "probe" (a near miss). A hit's ``ticket`` is settled whatever its band became; a hit
        verdict for a band closed since is dropped as evidence."""
        if ticket is not None:
            self.ledger.settle(ticket, wrong=not same)
        band = self.band_of(similarity)
        if band is None or (kind == "hit" and not self.is_open(band)):
            return
        counts = self._delta[band].hits if kind == "hit" else self._delta[band].probes
        counts.same += same
        counts.different += not same
        self._decide()

    def release(self, ticket: Ticket | None) -> None:
        """A served hit that will get no verdict (not audited, skipped, failed)."""
        if ticket is not None:
            self.ledger.release(ticket)

    def _decide(self) -> None:
        budget = self.budget
        self._certified = self._certify()
        if budget is None:
            return
        for i in range(len(self.edges) - 1):
            if self.is_open(i) and self._fails(i, budget):
                self._flip(i)
            elif not self.is_open(i) and self._probes_pass(i, budget):
                self._flip(i)
        self._certified = self._certify()

    def _fails(self, band: int, budget: float) -> bool:
        c = self.hits(band)
        if wilson(c.different, c.n, self.z)[0] > budget:
            return True  # proven over budget
        if self._certified[band]:
            return False
        if c.n >= self.min_samples and c.different > budget * c.n:
            return True  # observed over budget with enough verdicts to say so
        # Futile: even if every verdict up to max_samples were clean, it could not certify.
        cap = self.max_samples()
        return c.n >= cap or wilson(c.different, max(c.n, cap), self.z)[1] > budget

    def _probes_pass(self, band: int, budget: float) -> bool:
        c = self.probes(band)
        return c.n >= self.min_samples and wilson(c.different, c.n, self.z)[1] <= budget

    def _flip(self, band: int) -> None:
        """A new regime: open <-> closed, its evidence starts from zero (a band closed on its
        served hits never reopens on near misses seen before it was closed)."""
        self._shared[band] = BandEvidence(self._shared[band].gen + 1)
        self._delta[band] = BandEvidence()

    def _certify(self) -> list[bool]:
        """Open bands with their own ``min_samples`` hit verdicts, cleanest first: the longest
        prefix whose pooled hit evidence has an upper bound within the budget (kept in
        ``_cert_upper``, what a certified hit is charged)."""
        n = len(self.edges) - 1
        chosen = [False] * n
        if self.budget is None:
            return chosen
        hits = [self.hits(i) for i in range(n)]
        order = sorted(
            (i for i in range(n) if self.is_open(i) and hits[i].n >= self.min_samples),
            key=lambda i: (wilson(hits[i].different, hits[i].n, self.z)[1], -self.edges[i]),
        )
        best, pooled = 0, BandCounts()
        for k, i in enumerate(order, start=1):
            pooled = pooled.plus(hits[i])
            upper = wilson(pooled.different, pooled.n, self.z)[1]
            if upper <= self.budget:
                best, self._cert_upper = k, upper
        for i in order[:best]:
            chosen[i] = True
        return chosen


def _check(budget: float | None, allowance: float) -> None:
    if budget is not None and not 0.0 < budget < 1.0:
        raise ValueError(f"budget must be in (0, 1), got {budget}")
    if allowance < 0:
        raise ValueError(f"allowance must be >= 0, got {allowance}")
