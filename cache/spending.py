"""Spending the false-hit budget: which probation hit the account may serve, and its charge.

Contract (docs/cache_audit.md, "Spending the budget", has the argument and the measurements):
- A band on probation (open, not certified) is a **payer** when its evidence of the current
  regime, at least ``min_samples`` verdicts, puts its expected error (Jeffreys) within the
  budget; else a **spender**. Its evidence: its audited served hits plus its **refusals**, its
  own candidates refused as ``unfunded`` and compared with the miss's fresh answer (the probes
  of an open band). A wrong refusal counts as a whole verdict, a clean one as
  ``REFUSAL_WEIGHT``. Certification and the close rules use served hits only.
- Every served hit earns ``b`` and is charged in the ledger (cache/ledger.py): certified the
  certified set's Wilson upper bound; probation a hold of its expected error, settled by its
  audit's verdict. Certified and payer bands serve. A spender serves only if what it may draw
  on covers this hit being wrong (>= 1 - b): the surplus (earned - spent - pending worst case),
  plus credits while its evidence has no wrong verdict (the opening credit b x
  ``OPENING_HITS``; for the top open band, which it bootstraps, topped up to the
  ``allowance``); other bands keep one wrong hit of the top band in reserve while it is
  uncertified. Else the candidate is refused as ``unfunded``. So wrong spending hits <=
  b x hits + max(allowance, opening credit).
- Audit share (``audit_rate``): certified ``base``; spender ``probation_rate``; payer
  ``probation_rate`` x the share of its certification still missing (m / (m + n)).
Mixed into ``cache.budget.BudgetController``; pure, no I/O.
"""

from __future__ import annotations

from cache.bands import BandCounts, expected_rate, verdicts_to_certify
from cache.ledger import Ledger, Ticket

# A refused candidate of an open band is judged exactly as an audit of that hit would be (the
# miss's fresh answer against the candidate that would have been served) and costs no upstream
# call. But refusals are first occurrences (a refused prompt is stored, its repeats become
# exact hits), which read more often wrong than served hits (docs/cache_audit.md: 5.5% vs
# 0.3% in the near-duplicate band of the 100k day): so a wrong one counts whole, and a clean
# one half, which keeps a band's served hits the larger part of what makes it a payer.
REFUSAL_WEIGHT = 0.5
# A band's state for the status endpoint and ``sidecar_cache_budget_serving{band}``; the
# first four serve a candidate now (``state``; "open": served, no budget set).
BAND_STATES = ("open", "certified", "payer", "funded", "unfunded", "closed")
SERVING_STATES = BAND_STATES[:4]


class Spending:
    """Admission and charges of probation hits (``_certified`` / ``hits`` / ``probes``)."""

    budget: float | None
    min_samples: int
    z: float
    probation_rate: float
    ledger: Ledger
    _certified: list[bool]
    _cert_upper: float

    def hits(self, band: int) -> BandCounts:
        raise NotImplementedError

    def probes(self, band: int) -> BandCounts:
        raise NotImplementedError

    def band_of(self, similarity: float) -> int | None:
        raise NotImplementedError

    def is_open(self, band: int) -> bool:
        raise NotImplementedError

    def allows(self, similarity: float) -> bool:
        raise NotImplementedError

    def _top_open(self) -> int | None:
        raise NotImplementedError

    # -- evidence of a band on probation ------------------------------------------------------

    def evidence(self, band: int) -> tuple[float, float]:
        """(wrong, verdicts) of the band's regime: its hits plus its weighted refusals (none
        for a closed band: its probes only decide whether it opens)."""
        h = self.hits(band)
        if not self.is_open(band):
            return float(h.different), float(h.n)
        p = self.probes(band)
        wrong = h.different + p.different
        return float(wrong), h.n + p.different + REFUSAL_WEIGHT * p.same

    def risk(self, band: int) -> float:
        """Expected error of the band's next hit (``evidence``, Jeffreys' prior)."""
        wrong, n = self.evidence(band)
        return expected_rate(wrong, n)

    def payer(self, band: int) -> bool:
        """On probation but expected within the budget: its hits earn more than they cost."""
        budget = self.budget
        if budget is None:
            return False
        return self.evidence(band)[1] >= self.min_samples and self.risk(band) <= budget

    # -- spending -----------------------------------------------------------------------------

    def admission(self, similarity: float) -> str:
        """``serve``, or why not: ``closed`` (the band is not served) or ``unfunded`` (a
        spending band, and the account cannot take this hit being wrong)."""
        band = self.band_of(similarity)
        if band is None or not self.allows(similarity):
            return "closed"
        return "unfunded" if self.state(band) == "unfunded" else "serve"

    def state(self, band: int) -> str:
        """What a candidate of the band gets now (``BAND_STATES``): ``closed``; served as
        ``open`` (no budget), ``certified``, ``payer`` or ``funded`` (a spender the account
        covers this hit being wrong for), or refused as ``unfunded``."""
        if not self.is_open(band):
            return "closed"
        budget = self.budget
        if budget is None:
            return "open"
        if self._certified[band]:
            return "certified"
        if self.payer(band):
            return "payer"
        return "funded" if self._funds(band, budget) >= 1.0 - budget else "unfunded"

    def _funds(self, band: int, budget: float) -> float:
        """What a spending hit of this band may draw on: the surplus (earned - spent - worst
        case pending); the credits (opening, and the allowance's top-up for the top open band)
        only while the band's evidence (hits and refusals) has no wrong verdict: credit pays
        for discovery, not for a band that has shown it can be wrong; for any other band, while
        the top one is not certified, less one wrong hit of it (min(allowance, 1 - b)): the
        near-duplicate band is the likeliest to be within a tight budget, so it has the first
        claim on the credit (a smaller reserve, the top-up, measured worse: the docs)."""
        ledger, top = self.ledger, self._top_open()
        clean = self.evidence(band)[0] == 0
        funds = ledger.free() - (0.0 if clean else ledger.opening)
        if band == top:
            return funds + (ledger.topup() if clean else 0.0)
        if top is not None and not self._certified[top]:
            funds -= min(ledger.allowance, 1.0 - budget)
        return funds

    def charge(self, similarity: float) -> Ticket | None:
        """A hit at this cosine was served: earn the budget, charge what it may cost."""
        band = self.band_of(similarity)
        if self.budget is None or band is None:
            return None
        if self._certified[band]:
            return self.ledger.charge(self.budget, self._cert_upper, settles=False, exposed=False)
        spends = not self.payer(band)
        return self.ledger.charge(self.budget, self.risk(band), settles=True, exposed=spends)

    def audit_rate(self, similarity: float, base: float) -> float:
        """Share of hits at this cosine to audit (module docstring)."""
        band = self.band_of(similarity)
        if self.budget is None or band is None or self._certified[band]:
            return base
        if not self.payer(band):
            return max(base, self.probation_rate)
        c = self.hits(band)
        missing = verdicts_to_certify(c.different, c.n, self.budget, self.z)
        return max(base, self.probation_rate * missing / (missing + c.n))
