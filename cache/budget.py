"""False-hit budget: per-similarity-band audit counts, Wilson bounds, the cosine to serve to.

Contract (docs/cache_audit.md has the argument):
- The cosine range from the safety ``floor`` up to 1 is cut into fixed bands (``edges``; the
  shipped operating point ``start`` is always an edge). A band's evidence is two counts:
  audited hits and explored near misses judged ``same`` and judged ``different``. Judge errors
  are never evidence.
- The served set at threshold ``edges[i]`` is every band from ``i`` up, so its evidence is the
  pooled counts of those bands (audits sample hits and near misses at one rate, so pooled
  counts estimate the false-hit rate of what would be served). A set is *good* when it has at
  least ``min_samples`` verdicts, the Wilson **upper** bound of its false-hit rate is within
  the budget and its lowest band is not itself proven over budget (band lower bound above it);
  *bad* when the Wilson **lower** bound is above the budget.
- ``threshold()``: the lowest edge whose set is good (the budget is met with confidence);
  else the shipped point while its set is still gathering evidence and not bad (burn-in: a
  fresh controller changes nothing); else ``CLOSED`` (above 1: no semantic hit is served until
  exploration proves some set good). It never goes below the floor (the lowest edge).
- The decision is a pure function of the counts, so two replicas holding the same counts
  agree. State is counts only: ``to_state()`` / ``load_state()`` (JSON-able) for the snapshot,
  ``take_delta()`` / ``merge_shared()`` for a shared store of counters (Redis hash): each
  replica pushes what it observed since its last sync and adopts the shared totals.
- Pure and synchronous: no aiohttp, no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Z95 = 1.959963984540054
CLOSED = 1.01  # a threshold no cosine reaches: semantic hits off
STATE_VERSION = 1
# Band edges between the floor and 1 (few, so each band's evidence and label set stay small);
# the shipped point (0.74 with the verifier, 0.95 without) is inserted as an edge and the top
# band ends above 1 so a cosine of 1.0 (rounding) falls inside it.
DEFAULT_EDGES = (0.70, 0.78, 0.82, 0.86, 0.90, 0.93, 0.96, 0.98, 1.0001)


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


@dataclass(slots=True)
class BandCounts:
    """Verdicts observed in one band."""

    same: int = 0
    different: int = 0

    @property
    def n(self) -> int:
        """Verdicts that count as evidence."""
        return self.same + self.different


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
        }


def band_label(lo: float, hi: float) -> str:
    """Bounded label, e.g. ``0.90-0.93``."""
    return f"{lo:.2f}-{min(hi, 1.0):.2f}"


def band_edges(
    start: float, floor: float, edges: Sequence[float] = DEFAULT_EDGES
) -> tuple[float, ...]:
    """Band edges from ``floor`` up, with the start point inserted as an edge."""
    if not 0.0 <= floor <= start <= 1.0:
        raise ValueError(f"need 0 <= floor ({floor}) <= start ({start}) <= 1")
    kept = {round(float(e), 4) for e in edges if floor < e <= 1.0001}
    return tuple(sorted(kept | {round(floor, 4), round(start, 4), 1.0001}))


@dataclass
class BudgetController:
    """Holds the false-hit rate of served semantic hits under ``budget`` by moving the threshold."""

    budget: float | None  # None: measure only, the threshold stays at ``start``
    start: float  # the shipped operating point (cosine threshold)
    floor: float = 0.70  # never serve below this cosine
    min_samples: int = 30
    z: float = Z95
    edges: tuple[float, ...] = field(init=False)
    _shared: list[BandCounts] = field(init=False)  # totals adopted from the shared store
    _delta: list[BandCounts] = field(init=False)  # observed here since the last sync
    _threshold: float = field(init=False)

    def __post_init__(self) -> None:
        if self.budget is not None and not 0.0 < self.budget < 1.0:
            raise ValueError(f"budget must be in (0, 1), got {self.budget}")
        self.start = max(self.start, self.floor)
        self.edges = band_edges(self.start, self.floor)
        n = len(self.edges) - 1
        self._shared = [BandCounts() for _ in range(n)]
        self._delta = [BandCounts() for _ in range(n)]
        self._decide()

    def band_of(self, similarity: float) -> int | None:
        """Index of the band holding ``similarity``, or None below the floor."""
        if similarity < self.edges[0]:
            return None
        for i in range(len(self.edges) - 1):
            if similarity < self.edges[i + 1]:
                return i
        return len(self.edges) - 2

    def threshold(self) -> float:
        """Cosine to serve down to (``CLOSED``, above 1, when no set is allowed to serve)."""
        return self._threshold

    def allows(self, similarity: float) -> bool:
        """May a candidate at this cosine be served?"""
        return similarity >= self._threshold

    def record(self, similarity: float, *, same: bool) -> None:
        """Count one verdict (``same`` or not) observed at ``similarity``; re-decide."""
        band = self.band_of(similarity)
        if band is None:
            return
        if same:
            self._delta[band].same += 1
        else:
            self._delta[band].different += 1
        self._decide()

    def counts(self) -> list[BandCounts]:
        """Per-band totals: shared plus observed here since the last sync."""
        return [
            BandCounts(s.same + d.same, s.different + d.different)
            for s, d in zip(self._shared, self._delta, strict=True)
        ]

    def _pooled(self, counts: list[BandCounts], i: int) -> tuple[int, int]:
        same = sum(c.same for c in counts[i:])
        return same, sum(c.different for c in counts[i:])

    def _decide(self) -> None:
        budget = self.budget
        if budget is None:
            self._threshold = self.start
            return
        counts = self.counts()
        s = self.edges.index(round(self.start, 4))
        for i in range(len(counts)):
            if self._good(counts, i, s, budget):
                self._threshold = float(self.edges[i])
                return
        same, diff = self._pooled(counts, s)
        n = same + diff
        burn_in = n < self.min_samples and wilson(diff, n, self.z)[0] <= budget
        self._threshold = self.start if burn_in else CLOSED

    def _good(self, counts: list[BandCounts], i: int, start: int, budget: float) -> bool:
        """Pooled upper bound within budget; a band below the start point also needs its own
        ``min_samples`` verdicts, so evidence from high bands never opens an unseen low band."""
        if any(c.n < self.min_samples for c in counts[i:start]):
            return False
        if wilson(counts[i].different, counts[i].n, self.z)[0] > budget:
            return False  # its lowest band is itself proven over budget: cut it off
        same, diff = self._pooled(counts, i)
        n = same + diff
        return n >= self.min_samples and wilson(diff, n, self.z)[1] <= budget

    def views(self) -> list[BandView]:
        """Every band's own counts, bounds and whether it is served."""
        out = []
        for i, c in enumerate(self.counts()):
            lower, upper = wilson(c.different, c.n, self.z)
            out.append(
                BandView(
                    label=band_label(self.edges[i], self.edges[i + 1]),
                    lo=float(self.edges[i]),
                    hi=float(self.edges[i + 1]),
                    open=self.edges[i] >= self._threshold,
                    same=c.same,
                    different=c.different,
                    false_hit_rate=c.different / c.n if c.n else None,
                    false_hit_upper=upper,
                    false_hit_lower=lower,
                )
            )
        return out

    def overall(self) -> BandView:
        """The served set pooled (bands at or above the threshold)."""
        counts = self.counts()
        first = next(
            (i for i, e in enumerate(self.edges[:-1]) if e >= self._threshold), len(counts)
        )
        same, diff = self._pooled(counts, first)
        n = same + diff
        lower, upper = wilson(diff, n, self.z)
        return BandView(
            "all",
            min(self._threshold, 1.0),
            1.0,
            self._threshold <= 1.0,
            same,
            diff,
            diff / n if n else None,
            upper,
            lower,
        )

    # -- persistence and sharing ------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """JSON-able state for the snapshot: the edges and per-band counts."""
        return {
            "version": STATE_VERSION,
            "edges": [float(e) for e in self.edges],
            "counts": [[c.same, c.different] for c in self.counts()],
        }

    def load_state(self, state: Mapping[str, Any]) -> bool:
        """Adopt saved counts; False (state ignored) when the version or the bands differ."""
        if state.get("version") != STATE_VERSION or not self._same_edges(state.get("edges")):
            return False
        counts = state.get("counts")
        if not isinstance(counts, list) or len(counts) != len(self._shared):
            return False
        self._shared = [BandCounts(int(s), int(d)) for s, d in counts]
        self._delta = [BandCounts() for _ in self._shared]
        self._decide()
        return True

    def _same_edges(self, edges: Any) -> bool:
        if not isinstance(edges, list):
            return False
        return [round(float(e), 4) for e in edges] == [round(e, 4) for e in self.edges]

    def take_delta(self) -> list[tuple[int, int]]:
        """Per-band (same, different) observed here since the last ``merge_shared``."""
        return [(c.same, c.different) for c in self._delta]

    def merge_shared(
        self, totals: Sequence[tuple[int, int]], pushed: Sequence[tuple[int, int]]
    ) -> None:
        """Adopt shared totals read after ``pushed`` (a ``take_delta()``) was added to them."""
        if len(totals) != len(self._shared) or len(pushed) != len(self._shared):
            raise ValueError("band count mismatch")
        self._shared = [BandCounts(int(s), int(d)) for s, d in totals]
        for c, (s, d) in zip(self._delta, pushed, strict=True):
            # Verdicts recorded while the sync was in flight stay for the next push.
            c.same, c.different = c.same - s, c.different - d
        self._decide()
