"""False-hit budget: per-similarity-band evidence per regime, Wilson bounds, the bands served.

Contract (docs/cache_audit.md has the argument and the measurements):
- The cosine range from the safety ``floor`` up to 1 is cut into fixed bands (``edges``; the
  shipped operating point ``start`` is always an edge). Each band is open (served) or closed.
- Two kinds of evidence per band, never pooled (``cache.bands.BandEvidence``): **hits**, the
  verdicts of audited *served* hits (the unbiased estimate of what the band serves), and
  **probes**, near misses compared while it was not served (first occurrences, which read far
  more often wrong than the recurring hits a band serves once open). Hits decide whether an
  open band stays open; probes only decide whether a closed band opens. Judge errors are never
  evidence.
- Evidence is per **regime**, the time between two changes of a band's state: opening or
  closing a band bumps its generation ``gen`` and its evidence starts from zero, because the
  population a band serves changes with the policy (closed, its paraphrases are answered
  upstream and stored, so when it reopens it serves new, riskier prompts). A hit verdict
  recorded for a closed band is dropped (it describes a regime that ended). Open = initial
  state XOR odd ``gen``.
- Start: with ``burn_in="serve"`` (default) the bands at or above ``start`` are open, on
  **probation**; with ``"shadow"`` every band starts closed. Bands below ``start`` start closed.
- An open band closes when its hit evidence proves it over budget (Wilson lower bound above);
  or, while uncertified, when its observed rate is over budget (past ``min_samples``
  verdicts), when it reaches ``max_samples()`` verdicts, or when certifying has become futile
  (its wrong verdicts would keep the upper bound over budget at ``max_samples()`` verdicts).
  A certified band that drifts out of the certified set is uncertified again (probation).
  A closed band opens (on probation) when its probes, at least ``min_samples``, have a Wilson
  upper bound within the budget.
- **Certified** bands: open bands with ``min_samples`` hit verdicts of their own, cleanest
  first, the longest prefix whose pooled hit evidence has an upper bound within the budget.
  Open, uncertified bands are on probation: their hits are audited at ``probation_rate``
  (``audit_rate()``), so the uncertified exposure is short and measured.
- The decision is a function of the evidence rows, so replicas holding the same rows agree.
  ``to_state()`` / ``load_state()`` for the snapshot; ``take_delta()`` / ``merge_shared()`` for
  a shared store (cache/audit_share.py): a newer ``gen`` wins and drops the older regime's hits.
- Pure and synchronous: no aiohttp, no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cache.bands import Z95, BandCounts, BandEvidence, BandView, band_label, view, wilson

CLOSED = 1.01  # a threshold no cosine reaches: semantic hits off
__all__ = ["CLOSED", "BandCounts", "BandView", "BudgetController", "band_edges", "wilson"]
STATE_VERSION = 2
Row = tuple[int, int, int, int, int]  # gen, hit same, hit different, probe same, probe diff
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
    """Holds the false-hit rate of served semantic hits under ``budget`` band by band."""

    budget: float | None  # None: measure only, the shipped bands stay served
    start: float  # the shipped operating point (cosine threshold)
    floor: float = 0.70  # never serve below this cosine
    min_samples: int = 30
    z: float = Z95
    burn_in: str = "serve"  # "serve": shipped bands start on probation; "shadow": closed
    probation_rate: float = 1.0  # audit share of an uncertified open band's hits
    edges: tuple[float, ...] = field(init=False)
    _shared: list[BandEvidence] = field(init=False)  # adopted from the shared store
    _delta: list[BandEvidence] = field(init=False)  # observed here since the last sync
    _certified: list[bool] = field(init=False)

    def __post_init__(self) -> None:
        if self.burn_in not in ("shadow", "serve"):
            raise ValueError(f"burn_in must be shadow or serve, got {self.burn_in!r}")
        if self.budget is not None and not 0.0 < self.budget < 1.0:
            raise ValueError(f"budget must be in (0, 1), got {self.budget}")
        self.start = max(self.start, self.floor)
        self.edges = band_edges(self.start, self.floor)
        n = len(self.edges) - 1
        self._shared = [BandEvidence() for _ in range(n)]
        self._delta = [BandEvidence() for _ in range(n)]
        self._decide()

    # -- queries ----------------------------------------------------------------------------

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
        """May a candidate at this cosine be served? (its band is open, and >= threshold)"""
        band = self.band_of(similarity)
        return band is not None and self.is_open(band) and similarity >= self.threshold()

    def audit_rate(self, similarity: float, base: float) -> float:
        """Share of hits at this cosine to audit: ``probation_rate`` while uncertified."""
        band = self.band_of(similarity)
        if self.budget is None or band is None or self._certified[band]:
            return base
        return max(base, self.probation_rate)

    def max_samples(self) -> int:
        """Hit verdicts after which an uncertified band closes: twice what certifying the
        budget takes with no wrong verdict (z^2 (1 - b) / b)."""
        if self.budget is None:
            return 0
        return max(self.min_samples, math.ceil(2 * self.z**2 * (1 - self.budget) / self.budget))

    def hits(self, band: int) -> BandCounts:
        """The band's served-hit verdicts in its current regime (shared + local)."""
        return self._shared[band].hits.plus(self._delta[band].hits)

    def probes(self, band: int) -> BandCounts:
        """The band's near-miss verdicts (shared + local)."""
        return self._shared[band].probes.plus(self._delta[band].probes)

    def counts(self) -> list[BandCounts]:
        """Per band, every verdict known of both kinds (hits of the current regime + probes)."""
        return [self.hits(i).plus(self.probes(i)) for i in range(len(self.edges) - 1)]

    @property
    def _start_band(self) -> int:
        return self.edges.index(round(self.start, 4))

    # -- evidence and decision --------------------------------------------------------------

    def set_budget(self, budget: float | None, probation_rate: float) -> None:
        """A new budget (config reload): the evidence stays, the decision is taken again."""
        if budget is not None and not 0.0 < budget < 1.0:
            raise ValueError(f"budget must be in (0, 1), got {budget}")
        self.budget, self.probation_rate = budget, probation_rate
        self._decide()

    def record(self, similarity: float, *, same: bool, kind: str = "hit") -> None:
        """Count one verdict at ``similarity``: ``kind`` "hit" (an audited served hit) or
        "probe" (a near miss). A hit verdict for a band closed since is dropped."""
        band = self.band_of(similarity)
        if band is None:
            return
        if kind == "hit" and not self.is_open(band):
            return
        counts = self._delta[band].hits if kind == "hit" else self._delta[band].probes
        counts.same += same
        counts.different += not same
        self._decide()

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
        prefix whose pooled hit evidence has an upper bound within the budget."""
        n = len(self.edges) - 1
        if self.budget is None:
            return [False] * n
        hits = [self.hits(i) for i in range(n)]
        order = sorted(
            (i for i in range(n) if self.is_open(i) and hits[i].n >= self.min_samples),
            key=lambda i: (wilson(hits[i].different, hits[i].n, self.z)[1], -self.edges[i]),
        )
        best, pooled = 0, BandCounts()
        for k, i in enumerate(order, start=1):
            pooled = pooled.plus(hits[i])
            if wilson(pooled.different, pooled.n, self.z)[1] <= self.budget:
                best = k
        chosen = [False] * n
        for i in order[:best]:
            chosen[i] = True
        return chosen

    # -- views ------------------------------------------------------------------------------

    def views(self) -> list[BandView]:
        """Every band's hit evidence, bounds, state and near-miss counts."""
        return [
            view(
                band_label(self.edges[i], self.edges[i + 1]),
                (float(self.edges[i]), float(self.edges[i + 1])),
                self.is_open(i),
                self.hits(i),
                self.probes(i),
                self._certified[i],
                self.z,
            )
            for i in range(len(self.edges) - 1)
        ]

    def overall(self) -> BandView:
        """The open bands' hit evidence pooled: the audited estimate of what is served now."""
        bands = [i for i in range(len(self.edges) - 1) if self.is_open(i)]
        pooled = BandCounts()
        for i in bands:
            pooled = pooled.plus(self.hits(i))
        threshold = self.threshold()
        certified = bool(bands) and all(self._certified[i] for i in bands)
        span = (min(threshold, 1.0), 1.0)
        return view("all", span, bool(bands), pooled, BandCounts(), certified, self.z)

    # -- persistence and sharing ------------------------------------------------------------

    def rows(self) -> list[Row]:
        """Per band (gen, hit same, hit different, probe same, probe different), all known."""
        out: list[Row] = []
        for i, s in enumerate(self._shared):
            h, p = self.hits(i), self.probes(i)
            out.append((s.gen, h.same, h.different, p.same, p.different))
        return out

    def to_state(self) -> dict[str, Any]:
        """JSON-able state for the snapshot: the edges and per-band rows."""
        return {
            "version": STATE_VERSION,
            "edges": [float(e) for e in self.edges],
            "bands": [list(r) for r in self.rows()],
        }

    def load_state(self, state: Mapping[str, Any]) -> bool:
        """Adopt saved rows; False (state ignored) when the version or the bands differ."""
        if state.get("version") != STATE_VERSION or not self._same_edges(state.get("edges")):
            return False
        bands = state.get("bands")
        if not isinstance(bands, list) or len(bands) != len(self._shared):
            return False
        self._shared = [_evidence(tuple(int(v) for v in row)) for row in bands]
        self._delta = [BandEvidence() for _ in self._shared]
        self._decide()
        return True

    def _same_edges(self, edges: Any) -> bool:
        if not isinstance(edges, list):
            return False
        return [round(float(e), 4) for e in edges] == [round(e, 4) for e in self.edges]

    def take_delta(self) -> list[Row]:
        """Per band: the current gen and what was observed here since the last sync."""
        return [(s.gen, *d.row()[1:]) for s, d in zip(self._shared, self._delta, strict=True)]

    def merge_shared(self, totals: Sequence[Row], pushed: Sequence[Row]) -> None:
        """Adopt shared rows read after ``pushed`` (a ``take_delta()``) was applied to them.
        A newer shared gen wins (its hit counts replace ours, our delta of the older regime
        is dropped); verdicts recorded while the sync was in flight stay for the next push."""
        if len(totals) != len(self._shared) or len(pushed) != len(self._shared):
            raise ValueError("band count mismatch")
        for i, (total, sent) in enumerate(zip(totals, pushed, strict=True)):
            if total[0] > self._shared[i].gen:
                self._shared[i], self._delta[i] = _evidence(total), BandEvidence()
            elif total[0] == self._shared[i].gen:
                if sent[0] == total[0]:
                    self._delta[i].hits.minus(sent[1], sent[2])
                    self._delta[i].probes.minus(sent[3], sent[4])
                self._shared[i] = _evidence(total)
            # total gen older: this replica moved on during the sync; its next push says so.
        self._decide()


def _evidence(row: tuple[int, ...]) -> BandEvidence:
    gen, hs, hd, ps, pd = row
    return BandEvidence(gen, BandCounts(hs, hd), BandCounts(ps, pd))
