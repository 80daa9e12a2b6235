"""False-hit budget: per-similarity-band audit counts, Wilson bounds, the cosine to serve to.

Contract (docs/cache_audit.md has the argument):
- The cosine range from the safety ``floor`` up to 1 is cut into fixed bands (``edges``; the
  shipped operating point ``start`` is always an edge). A band's evidence is two counts:
  audited hits and explored near misses judged ``same`` and judged ``different``. Judge errors
  are never evidence.
- Each band is *served* or not. Start: the bands at or above the shipped operating point
  ``start`` are served (a fresh controller changes nothing). A band is *eligible* when the
  Wilson **lower** bound of its own false-hit rate is within the budget (not proven over it);
  a band below ``start`` also needs its own ``min_samples`` verdicts.
- Choice: eligible bands in order of their own Wilson upper bound (cleanest first); the served
  set is the longest prefix whose pooled counts have ``min_samples`` verdicts and a pooled
  Wilson **upper** bound within the budget. Pooling is sound because hits and near misses are
  audited at one rate, so each band's verdicts are proportional to its hits. Bands need not be
  contiguous: slot-differing templated prompts make the *top* bands the wrong ones.
- No such prefix: nothing is served (``threshold()`` is ``CLOSED``) and candidates are only
  compared with fresh answers until a set is proven good (``burn_in="shadow"``, the default,
  so a budget also holds from the first request); with ``burn_in="serve"`` the shipped bands
  not proven bad serve until they have ``min_samples`` verdicts. Nothing below the floor is
  ever served.
- ``threshold()`` is the lowest served band's edge (what the lookup searches down to) and
  ``allows(similarity)`` tells whether the candidate's band is served.
- The decision is a pure function of the counts, so two replicas holding the same counts
  agree. State is counts only: ``to_state()`` / ``load_state()`` (JSON-able) for the snapshot,
  ``take_delta()`` / ``merge_shared()`` for a shared store of counters (Redis hash): each
  replica pushes what it observed since its last sync and adopts the shared totals.
- Pure and synchronous: no aiohttp, no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cache.bands import Z95, BandCounts, BandView, band_label, wilson

CLOSED = 1.01  # a threshold no cosine reaches: semantic hits off
__all__ = ["CLOSED", "BandCounts", "BandView", "BudgetController", "band_edges", "wilson"]
STATE_VERSION = 1
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


@dataclass
class BudgetController:
    """Holds the false-hit rate of served semantic hits under ``budget`` by moving the threshold."""

    budget: float | None  # None: measure only, the threshold stays at ``start``
    start: float  # the shipped operating point (cosine threshold)
    floor: float = 0.70  # never serve below this cosine
    min_samples: int = 30
    z: float = Z95
    # Before the evidence: "shadow" serves nothing and compares candidates with fresh answers
    # (wrong hits stay at zero until a set is proven); "serve" serves the shipped bands.
    burn_in: str = "shadow"
    edges: tuple[float, ...] = field(init=False)
    _shared: list[BandCounts] = field(init=False)  # totals adopted from the shared store
    _delta: list[BandCounts] = field(init=False)  # observed here since the last sync
    _served: list[bool] = field(init=False)

    def __post_init__(self) -> None:
        if self.burn_in not in ("shadow", "serve"):
            raise ValueError(f"burn_in must be shadow or serve, got {self.burn_in!r}")
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
        """Cosine to search down to: the lowest served band's edge (``CLOSED``: none served)."""
        for i, served in enumerate(self._served):
            if served:
                return max(float(self.edges[i]), self.start if i == self._start_band else 0.0)
        return CLOSED

    @property
    def serving(self) -> bool:
        """Is any band served? (False: shadow burn-in, or nothing proven within budget)"""
        return any(self._served)

    def allows(self, similarity: float) -> bool:
        """May a candidate at this cosine be served? (its band is served, and >= threshold)"""
        band = self.band_of(similarity)
        return band is not None and self._served[band] and similarity >= self.threshold()

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

    @property
    def _start_band(self) -> int:
        return self.edges.index(round(self.start, 4))

    def _decide(self) -> None:
        counts = self.counts()
        shipped = [i >= self._start_band for i in range(len(counts))]
        budget = self.budget
        if budget is None:
            self._served = shipped
            return
        eligible = [self._eligible(c, shipped[i], budget) for i, c in enumerate(counts)]
        chosen = self._greedy(counts, eligible, budget)
        if chosen is not None:
            self._served = chosen
            return
        n = sum(c.n for c, s in zip(counts, shipped, strict=True) if s)
        if self.burn_in == "shadow":
            self._served = [False] * len(counts)
            return
        # Burn-in: the shipped bands not proven bad serve until they have min_samples verdicts.
        self._served = [
            s and e and n < self.min_samples for s, e in zip(shipped, eligible, strict=True)
        ]

    def _eligible(self, c: BandCounts, shipped: bool, budget: float) -> bool:
        """Not proven over budget; a band below the shipped point needs its own evidence."""
        if wilson(c.different, c.n, self.z)[0] > budget:
            return False
        return shipped or c.n >= self.min_samples

    def _greedy(
        self, counts: list[BandCounts], eligible: list[bool], budget: float
    ) -> list[bool] | None:
        """Bands in order of their own upper bound (cleanest first); the longest prefix whose
        pooled counts have ``min_samples`` and an upper bound within budget, or None."""
        order = sorted(
            (i for i, ok in enumerate(eligible) if ok),
            key=lambda i: (wilson(counts[i].different, counts[i].n, self.z)[1], -self.edges[i]),
        )
        best, same, diff = 0, 0, 0
        for k, i in enumerate(order, start=1):
            same, diff = same + counts[i].same, diff + counts[i].different
            n = same + diff
            if n >= self.min_samples and wilson(diff, n, self.z)[1] <= budget:
                best = k  # unseen bands (n = 0) come last and ride on the pooled evidence
        if best == 0:
            return None
        chosen = [False] * len(counts)
        for i in order[:best]:
            chosen[i] = True
        return chosen

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
                    open=self._served[i],
                    same=c.same,
                    different=c.different,
                    false_hit_rate=c.different / c.n if c.n else None,
                    false_hit_upper=upper,
                    false_hit_lower=lower,
                )
            )
        return out

    def overall(self) -> BandView:
        """The served bands pooled: what served hits are estimated to look like."""
        served = [c for c, s in zip(self.counts(), self._served, strict=True) if s]
        same, diff = sum(c.same for c in served), sum(c.different for c in served)
        n = same + diff
        lower, upper = wilson(diff, n, self.z)
        threshold = self.threshold()
        return BandView(
            "all",
            min(threshold, 1.0),
            1.0,
            threshold <= 1.0,
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
