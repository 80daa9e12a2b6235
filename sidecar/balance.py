"""Health- and latency-aware ordering of one tier's deployments (``tiers[].strategy``).

Strategies, applied within a tier (tiers themselves stay in rank order):

- ``ordered`` (default): the config's order.
- ``least-latency``: by expected time to a good answer, ``EWMA(ttfb) / (1 - EWMA(error))``
  (a call that fails 30% of the time costs ~1.4 tries). A deployment never seen goes first so
  it gets measured; one whose figures are older than ``probe_after_s`` is tried first by exactly
  one request (a probe), so a deployment that degraded and then recovered wins traffic back.
- ``lowest-cost``: by configured price (input + output per 1M tokens), ties by latency.
- ``weighted``: one deployment drawn with probability proportional to ``weight``, then the rest
  by weight; spreads load by quota or contract.

Under every strategy except ``ordered``, deployments whose breaker is open, and those failing
more than half their recent calls, go last (still tried if everything else fails). The EWMAs are
updated from every upstream call (``observe``). Clock and random source are injected.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

STRATEGIES = ("ordered", "least-latency", "lowest-cost", "weighted")
ALPHA = 0.2  # EWMA weight of the newest call: ~the last 10 calls dominate
UNHEALTHY_ERROR_RATE = 0.5
PROBE_AFTER_S = 5.0


class Candidate(Protocol):
    """What the balancer needs of a target: its label, price and weight."""

    @property
    def label(self) -> str: ...

    @property
    def price(self) -> float: ...

    @property
    def weight(self) -> float: ...


C = TypeVar("C", bound=Candidate)


@dataclass(slots=True)
class Health:
    """Live figures of one deployment."""

    latency: float | None = None  # EWMA of time to first byte of good calls, seconds
    error: float = 0.0  # EWMA of 1 (failed) / 0 (answered)
    seen: float = 0.0  # clock of the last observation (or probe)

    def expected(self) -> float:
        """Expected seconds to a good answer (0 when never measured: try it first)."""
        if self.latency is None:
            return 0.0
        return self.latency / max(0.05, 1.0 - self.error)


class Balancer:
    """Keeps per-deployment health and orders a tier's candidates by a strategy."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        probe_after_s: float = PROBE_AFTER_S,
    ) -> None:
        self.clock, self.rng, self.probe_after_s = clock, rng or random.Random(), probe_after_s
        self.health: dict[str, Health] = {}

    def observe(self, label: str, *, ok: bool, ttfb: float | None = None) -> None:
        """One call to ``label``: answered (with its time to first byte) or failed."""
        h = self.health.setdefault(label, Health())
        h.error += ALPHA * ((0.0 if ok else 1.0) - h.error)
        if ok and ttfb is not None:
            h.latency = ttfb if h.latency is None else h.latency + ALPHA * (ttfb - h.latency)
        h.seen = self.clock()

    def order(
        self, candidates: Sequence[C], strategy: str, is_open: Callable[[str], bool]
    ) -> list[C]:
        """``candidates`` (one tier) in the order to try them."""
        if strategy == "ordered" or len(candidates) < 2:
            return list(candidates)
        probe = None
        if strategy == "least-latency":
            ranked = sorted(candidates, key=lambda c: self._health(c).expected())
            probe = self._probe(ranked, is_open)
        elif strategy == "lowest-cost":
            ranked = sorted(candidates, key=lambda c: (c.price, self._health(c).expected()))
        elif strategy == "weighted":
            ranked = self._weighted(candidates)
        else:
            raise ValueError(f"unknown strategy {strategy!r}")
        healthy = [c for c in ranked if not self._sick(c, is_open)]
        out = healthy + [c for c in ranked if self._sick(c, is_open)]
        if probe is not None:  # a probe goes first even when it looked sick last time
            out.remove(probe)
            out.insert(0, probe)
        return out

    def _health(self, c: Candidate) -> Health:
        return self.health.get(c.label) or Health()

    def _sick(self, c: Candidate, is_open: Callable[[str], bool]) -> bool:
        return is_open(c.label) or self._health(c).error > UNHEALTHY_ERROR_RATE

    def _probe(self, ranked: Sequence[C], is_open: Callable[[str], bool]) -> C | None:
        """The measured deployment (not the best) whose figures went stale, if any."""
        now = self.clock()
        for c in ranked[1:]:
            h = self.health.get(c.label)
            if h is not None and now - h.seen >= self.probe_after_s and not is_open(c.label):
                h.seen = now  # one probe per interval, not every request
                return c
        return None

    def _weighted(self, candidates: Sequence[C]) -> list[C]:
        total = sum(max(0.0, c.weight) for c in candidates)
        rest = sorted(candidates, key=lambda c: -c.weight)
        if total <= 0:
            return rest
        pick = self.rng.uniform(0, total)
        for c in candidates:
            pick -= max(0.0, c.weight)
            if pick <= 0:
                rest.remove(c)
                return [c, *rest]
        return rest
