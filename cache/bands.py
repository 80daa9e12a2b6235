"""Band evidence: the Wilson score interval, per-band verdict counts and their JSON view.

Pure helpers of the false-hit budget (cache/budget.py); no I/O. A band holds two kinds of
evidence that are never pooled: ``hits`` (audited *served* hits of the band's current regime,
the unbiased estimate of what it serves) and ``probes`` (near misses: candidates not served,
compared with the miss's own fresh answer; first occurrences, known to read pessimistic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Z95 = 1.959963984540054

# Band edges between the floor and 1 (few, so each band's evidence and label set stay small);
# the shipped point (0.74 with the verifier, 0.95 without) is inserted as an edge and the top
# band ends above 1 so a cosine of 1.0 (rounding) falls inside it.
DEFAULT_EDGES = (0.70, 0.78, 0.82, 0.86, 0.90, 0.93, 0.96, 0.98, 1.0001)


def band_edges(
    start: float, floor: float, edges: Sequence[float] = DEFAULT_EDGES
) -> tuple[float, ...]:
    """Band edges from ``floor`` up, with the start point inserted as an edge."""
    if not 0.0 <= floor <= start <= 1.0:
        raise ValueError(f"need 0 <= floor ({floor}) <= start ({start}) <= 1")
    kept = {round(float(e), 4) for e in edges if floor < e <= 1.0001}
    return tuple(sorted(kept | {round(floor, 4), round(start, 4), 1.0001}))


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def expected_rate(wrong: float, n: float) -> float:
    """Expected error of the next hit after ``wrong`` of ``n`` verdicts: the posterior mean
    under Jeffreys' prior, (wrong + 1/2) / (n + 1); 1/2 with no evidence."""
    return (wrong + 0.5) / (n + 1)


def verdicts_to_certify(wrong: int, n: int, budget: float, z: float = Z95) -> int:
    """Clean verdicts still needed for the Wilson upper bound of ``wrong``/``n`` to reach
    ``budget`` (0: already within it; capped at 10^7 when out of reach)."""
    lo, hi = 0, 10**7
    if wilson(wrong, n, z)[1] <= budget:
        return 0
    while lo < hi:  # the upper bound only falls as clean verdicts are added
        mid = (lo + hi) // 2
        if wilson(wrong, n + mid, z)[1] <= budget:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(slots=True)
class BandCounts:
    """Verdicts observed in one band."""

    same: int = 0
    different: int = 0

    @property
    def n(self) -> int:
        """Verdicts that count as evidence."""
        return self.same + self.different

    def plus(self, other: BandCounts) -> BandCounts:
        """Sum of two counts."""
        return BandCounts(self.same + other.same, self.different + other.different)

    def minus(self, same: int, different: int) -> None:
        """Take ``same``/``different`` off (what a sync pushed)."""
        self.same, self.different = self.same - same, self.different - different


@dataclass(slots=True)
class BandEvidence:
    """One band's evidence: the regime ``gen`` (bumped when the band opens or closes), the
    served-hit verdicts of that regime, the near-miss verdicts (all regimes)."""

    gen: int = 0
    hits: BandCounts = field(default_factory=BandCounts)
    probes: BandCounts = field(default_factory=BandCounts)

    def row(self) -> tuple[int, int, int, int, int]:
        """(gen, hit same, hit different, probe same, probe different)."""
        h, p = self.hits, self.probes
        return (self.gen, h.same, h.different, p.same, p.different)


@dataclass(frozen=True, slots=True)
class BandView:
    """One band for metrics and the status endpoint."""

    label: str
    lo: float
    hi: float
    open: bool
    same: int
    different: int
    false_hit_rate: float | None
    false_hit_upper: float
    false_hit_lower: float
    certified: bool = False  # served, and within the budget on its own regime's hit audits
    probe_same: int = 0
    probe_different: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        precision = None if self.false_hit_rate is None else 1.0 - self.false_hit_rate
        return {
            "band": self.label,
            "lo": self.lo,
            "hi": min(self.hi, 1.0),
            "open": self.open,
            "same": self.same,
            "different": self.different,
            "precision": precision,
            "precision_lower": 1.0 - self.false_hit_upper,
            "precision_upper": 1.0 - self.false_hit_lower,
            "certified": self.certified,
            "near_miss_same": self.probe_same,
            "near_miss_different": self.probe_different,
        }


def band_label(lo: float, hi: float) -> str:
    """Bounded label, e.g. ``0.90-0.93``."""
    return f"{lo:.2f}-{min(hi, 1.0):.2f}"


def view(
    label: str,
    span: tuple[float, float],
    open_: bool,
    hits: BandCounts,
    probes: BandCounts,
    certified: bool,
    z: float = Z95,
) -> BandView:
    """The view of one band (or of the pooled served set) from its counts."""
    lower, upper = wilson(hits.different, hits.n, z)
    rate = hits.different / hits.n if hits.n else None
    return BandView(
        label, span[0], span[1], open_, hits.same, hits.different, rate, upper, lower,
        certified, probes.same, probes.different,
    )  # fmt: skip
