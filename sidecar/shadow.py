"""Shadow evaluation: send a sample of a tier's live requests to a candidate in the background.

Contract:
- ``pick(tier)`` is the only call on the request path: one coin flip per configured candidate
  of that tier (``shadow[].rate``). It never waits.
- ``submit(...)`` runs after the client's answer is complete, with the incumbent's answer. It
  never waits and never raises: past ``max_concurrency`` comparisons in flight, or when the
  last hour's candidate spend reached ``max_usd_per_hour``, the sample is skipped (counted by
  reason), never queued. The comparison is a tracked background task; ``close()`` cancels.
- A comparison sends the same request body (model rewritten) to the candidate once (no retries,
  never cached, never shown to the client), then a ``Preferer`` compares the answers: win, tie,
  loss, differ or error. A candidate failure (error status, timeout) is a ``loss`` with its
  failure reason counted; a judge failure is ``error``, never evidence.
- Per candidate it keeps counts, candidate and incumbent latency sketches, USD of both sides,
  and failure reasons; ``rows()`` reports win/tie/loss shares with 95% Wilson intervals.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cache import bands
from cache.bands import Z95
from sidecar.config_sections import Deployment
from sidecar.policy import Policy, Violation
from sidecar.preference import Preference, Preferer, failure
from sidecar.sketch import LatencySketch

log = logging.getLogger("sidecar.shadow")
SKIP_REASONS = ("shutdown", "incumbent_failed", "concurrency", "budget")


@dataclass(frozen=True, slots=True)
class Answer:
    """One side of a comparison: its text (None if it failed), seconds, USD, failure reason."""

    text: str | None
    seconds: float
    usd: float = 0.0
    failure: str | None = None  # http_500, timeout, connect, refusal, empty, ...


@dataclass(frozen=True, slots=True)
class Case:
    """A configured shadow: candidate label (``shadow/<model>``) evaluated on ``tier``."""

    tier: str
    candidate: str
    rate: float


Ask = Callable[[], Awaitable[Answer]]


@dataclass(slots=True)
class ShadowStats:
    """What the comparisons of one candidate found."""

    tier: str
    incumbents: set[str] = field(default_factory=set)
    results: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    candidate_latency: LatencySketch = field(default_factory=LatencySketch)
    incumbent_latency: LatencySketch = field(default_factory=LatencySketch)
    candidate_usd: float = 0.0
    incumbent_usd: float = 0.0


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """95% Wilson score interval of a proportion k/n (None when n is 0: nothing judged yet)."""
    return bands.wilson(k, n, z) if n > 0 else None


class ShadowEvaluator:
    """Samples, bounds, runs and records shadow comparisons."""

    def __init__(
        self,
        cases: list[Case],
        preferer: Preferer,
        *,
        max_concurrency: int = 4,
        max_usd_per_hour: float = 1.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cases, self.preferer = cases, preferer
        self.max_concurrency, self.max_usd_per_hour = max_concurrency, max_usd_per_hour
        self.rng, self.clock = rng or random.Random(), clock
        self.stats = {c.candidate: ShadowStats(c.tier) for c in cases}
        self.skipped: dict[str, int] = {}
        self._spend: deque[tuple[float, float]] = deque()  # (time, usd) in the last hour
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def pick(self, tier: str) -> list[Case]:
        """The candidates that sample this request (one coin flip each)."""
        if self.closed:
            return []
        return [c for c in self.cases if c.tier == tier and self.rng.random() < c.rate]

    def spent_last_hour(self) -> float:
        """Candidate USD spent in the last hour."""
        now = self.clock()
        while self._spend and now - self._spend[0][0] >= 3600.0:
            self._spend.popleft()
        return sum(usd for _, usd in self._spend)

    def submit(
        self, case: Case, prompt: str, incumbent_label: str, incumbent: Answer, ask: Ask
    ) -> bool:
        """Start one comparison in the background; False (and counted) when skipped."""
        reason = None
        if self.closed:
            reason = "shutdown"
        elif incumbent.text is None:
            reason = "incumbent_failed"
        elif len(self._tasks) >= self.max_concurrency:
            reason = "concurrency"
        elif self.spent_last_hour() >= self.max_usd_per_hour:
            reason = "budget"
        if reason is not None:
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
            return False
        task = asyncio.create_task(
            self._compare(case, prompt, incumbent_label, incumbent, ask), name="sidecar-shadow"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _compare(
        self, case: Case, prompt: str, incumbent_label: str, incumbent: Answer, ask: Ask
    ) -> None:
        try:
            cand = await ask()
        except Exception as exc:  # a bug in the sender must not reach the loop's handler
            cand = Answer(None, 0.0, failure=f"error_{type(exc).__name__}")
        self._spend.append((self.clock(), cand.usd))
        reason = cand.failure or (failure(cand.text) if cand.text is not None else "no_answer")
        if cand.text is None:
            result = Preference.LOSS
        else:
            try:
                result = await self.preferer.prefer(prompt, incumbent.text or "", cand.text)
            except Exception:
                log.exception("shadow judge failed")
                result = Preference.ERROR
        self._record(case, incumbent_label, incumbent, cand, result, reason)

    def _record(
        self,
        case: Case,
        incumbent_label: str,
        incumbent: Answer,
        cand: Answer,
        result: Preference,
        reason: str | None,
    ) -> None:
        s = self.stats[case.candidate]
        s.incumbents.add(incumbent_label)
        s.results[result.value] = s.results.get(result.value, 0) + 1
        if reason is not None:
            s.failures[reason] = s.failures.get(reason, 0) + 1
        if cand.text is not None:  # latency of answers only: a refused connection is not fast
            s.candidate_latency.add(cand.seconds)
            s.incumbent_latency.add(incumbent.seconds)
        s.candidate_usd += cand.usd
        s.incumbent_usd += incumbent.usd

    async def drain(self) -> None:
        """Wait for the comparisons in flight (tests and benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop sampling; cancel comparisons in flight."""
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate for the scorecard."""
        return [_row(label, s) for label, s in self.stats.items()]


def _row(label: str, s: ShadowStats) -> dict[str, Any]:
    n = sum(s.results.values())
    judged = n - s.results.get("error", 0)
    out: dict[str, Any] = {"candidate": label, "tier": s.tier, "incumbents": sorted(s.incumbents)}
    out |= {"comparisons": n, "judged": judged, "results": dict(sorted(s.results.items()))}
    for key in ("win", "tie", "loss"):
        k = s.results.get(key, 0)
        out[f"{key}_rate"] = k / judged if judged else None
        out[f"{key}_ci95"] = wilson(k, judged)
    not_worse = s.results.get("win", 0) + s.results.get("tie", 0)
    out["quality_vs_incumbent"] = not_worse / judged if judged else None
    out["quality_ci95"] = wilson(not_worse, judged)
    c50, i50 = s.candidate_latency.quantile(0.5), s.incumbent_latency.quantile(0.5)
    c95, i95 = s.candidate_latency.quantile(0.95), s.incumbent_latency.quantile(0.95)
    out["latency_p50_delta_ms"] = None if c50 is None or i50 is None else (c50 - i50) * 1000
    out["latency_p95_delta_ms"] = None if c95 is None or i95 is None else (c95 - i95) * 1000
    out["candidate_latency_p95_ms"] = None if c95 is None else c95 * 1000
    out["usd_per_1k_candidate"] = s.candidate_usd / n * 1000 if n else None
    out["usd_per_1k_delta"] = (s.candidate_usd - s.incumbent_usd) / n * 1000 if n else None
    out["failure_reasons"] = dict(sorted(s.failures.items()))
    return out


@dataclass
class Evaluation:
    """What the app holds for evaluation: the shadow evaluator, the policy, its last check."""

    shadow: ShadowEvaluator | None = None
    candidates: dict[str, Deployment] = field(default_factory=dict)  # label -> deployment
    policy: Policy | None = None
    violations: list[Violation] = field(default_factory=list)
