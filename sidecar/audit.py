"""The background hit auditor: re-ask a sample of semantic hits upstream and judge the answers.

Contract:
- ``sample(kind, similarity)`` is the only call on the request path before the answer is
  sent: one coin flip with ``cache.audit.rate`` (a hit in a band on probation: the
  controller's ``probation_rate``; ``near_miss`` needs ``cache.audit.near_miss``).
- ``submit(...)`` runs after the client's answer was served (a hit) or decided (a near miss).
  It never waits and never raises: past ``max_concurrency`` audits in flight or
  ``max_per_minute`` re-asks in the last minute the audit is skipped (counted), never queued.
  The audit is a fire-and-forget task, tracked so ``close()`` can cancel it on shutdown.
- An audit calls ``refetch()`` (the same request sent upstream, never through the cache and
  never stored), then the judge compares the fresh answer (reference) with the served or
  candidate answer. Upstream failures, timeouts, non-200s and judge failures are
  ``Verdict.ERROR`` with a reason: counted, never evidence. ``same``/``different`` verdicts go
  to the budget controller at the candidate's similarity: a hit's as served-hit evidence, a
  near miss's as probe evidence (never pooled, cache/budget.py).
- Every re-ask is counted (``sidecar_cache_audit_upstream_calls_total``) and priced
  (``sidecar_cache_audit_spend_usd_total``); the client-facing spend counter is not touched.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cache.budget import BudgetController, Ticket
from cache.spending import SERVING_STATES
from sidecar.config_sections import AuditSettings
from sidecar.judge import Judge, Judgement, Verdict
from sidecar.judges import answer_text
from sidecar.metrics_audit import AuditMetrics

log = logging.getLogger("sidecar.audit")
KINDS = ("hit", "near_miss")


@dataclass(frozen=True, slots=True)
class Fresh:
    """A fresh upstream answer: status, body and what it cost."""

    status: int
    body: bytes | None
    cost_usd: float = 0.0
    called: bool = True  # False: the answer came for free (a near miss's own fresh answer)


Refetch = Callable[[], Awaitable[Fresh]]


class Auditor:
    """Samples, bounds and runs audits; feeds verdicts to the budget controller."""

    def __init__(
        self,
        cfg: AuditSettings,
        judge: Judge,
        controller: BudgetController,
        metrics: AuditMetrics,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg, self.judge, self.controller, self.metrics = cfg, judge, controller, metrics
        self._rng = rng or random.Random()
        self._clock = clock
        self._recent: deque[float] = deque()  # re-ask times within the last minute
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    @property
    def inflight(self) -> int:
        """Audits running now."""
        return len(self._tasks)

    def sample(self, kind: str, similarity: float | None = None) -> bool:
        """Should this hit (or near miss) be audited? One coin flip; no other work.

        A hit in a band on probation (open, not yet certified) is audited at the controller's
        ``probation_rate``, others at ``cache.audit.rate``. With a budget and near misses on,
        every near miss is compared: it costs no upstream call (the request's own fresh answer
        is the reference) unless the judge is ``llm``, which is sampled at the rate."""
        if self.closed or self.cfg.rate <= 0:
            return False
        if kind == "near_miss":
            if not self._explores():
                return False
            return self.judge.name != "llm" or self._rng.random() < self.cfg.rate
        rate = self.cfg.rate
        if similarity is not None:
            rate = self.controller.audit_rate(similarity, rate)
        return self._rng.random() < rate

    def _explores(self) -> bool:
        """Near misses compared: as configured; unset (the default), whenever a budget is
        set, which cannot earn evidence for a band it refuses otherwise (docs/cache_audit.md)."""
        if self.cfg.near_miss is not None:
            return self.cfg.near_miss or self._shadow()
        return self.controller.budget is not None

    def _shadow(self) -> bool:
        return self.controller.budget is not None and self.controller.burn_in == "shadow"

    def submit(
        self,
        kind: str,
        prompt: str,
        similarity: float,
        served: bytes,
        refetch: Refetch,
        *,
        free: bool = False,
        ticket: Ticket | None = None,
    ) -> bool:
        """Start one audit in the background; False (and counted) when skipped.

        ``free``: the reference answer costs no upstream call (a near miss's own answer), so
        only the llm judge's call counts against ``max_per_minute``. ``ticket``: the served
        hit's charge to the error budget, settled by the verdict (released without one)."""
        limited = not free or self.judge.name == "llm"
        reason = self._skip_reason(served, limited)
        if reason is not None:
            self.metrics.skipped.labels(reason).inc()
            self.controller.release(ticket)
            return False
        if limited:
            self._recent.append(self._clock())
        task = asyncio.create_task(
            self._audit(kind, prompt, similarity, served, refetch, ticket),
            name=f"sidecar-audit-{kind}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._done)
        self.metrics.inflight.set(len(self._tasks))
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.metrics.inflight.set(len(self._tasks))

    def _skip_reason(self, served: bytes, limited: bool) -> str | None:
        if self.closed:
            return "shutdown"
        if len(self._tasks) >= self.cfg.max_concurrency:
            return "concurrency"
        now = self._clock()
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        if limited and len(self._recent) >= self.cfg.max_per_minute:
            return "rate_limit"
        if answer_text(served) is None:
            return "unreadable"
        return None

    async def _audit(
        self,
        kind: str,
        prompt: str,
        similarity: float,
        served: bytes,
        refetch: Refetch,
        ticket: Ticket | None,
    ) -> None:
        try:
            judgement = await self._judge(prompt, served, refetch)
        except asyncio.CancelledError:
            self.metrics.skipped.labels("cancelled").inc()
            self.controller.release(ticket)
            raise
        except Exception as exc:  # a bug in a judge must never reach the loop's handler
            judgement = Judgement(Verdict.ERROR, reason=f"audit: {type(exc).__name__}")
        self._record(kind, similarity, judgement, ticket)

    async def _judge(self, prompt: str, served: bytes, refetch: Refetch) -> Judgement:
        try:
            async with asyncio.timeout(self.cfg.timeout_s):
                fresh = await refetch()
        except TimeoutError:
            return Judgement(Verdict.ERROR, reason="upstream: timeout")
        except Exception as exc:
            return Judgement(Verdict.ERROR, reason=f"upstream: {type(exc).__name__}")
        if fresh.called:
            self.metrics.calls.labels("refetch").inc()
            self.metrics.spend.inc(fresh.cost_usd)
        reference = answer_text(fresh.body) if fresh.status == 200 and fresh.body else None
        candidate = answer_text(served)
        if reference is None or candidate is None:
            return Judgement(Verdict.ERROR, reason=f"upstream: status {fresh.status}")
        async with asyncio.timeout(self.cfg.timeout_s):
            return await self.judge.judge(prompt, reference, candidate)

    def _record(
        self, kind: str, similarity: float, judgement: Judgement, ticket: Ticket | None
    ) -> None:
        verdict = judgement.verdict
        counter = self.metrics.audits if kind == "hit" else self.metrics.explorations
        counter.labels(verdict.value).inc()
        if verdict is Verdict.ERROR:
            self.controller.release(ticket)  # never evidence: the hit keeps its hold
        else:
            evidence = "hit" if kind == "hit" else "probe"
            same = verdict is Verdict.SAME
            self.controller.record(similarity, same=same, kind=evidence, ticket=ticket)
        log.info(
            "cache audit",
            extra={
                "fields": {
                    "kind": kind,
                    "similarity": round(similarity, 4),
                    "verdict": verdict.value,
                    "judge": self.judge.name,
                    "reason": judgement.reason,
                    "threshold": round(self.controller.threshold(), 4),
                }
            },
        )

    async def close(self) -> None:
        """Stop sampling and cancel every audit in flight (shutdown)."""
        self.closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.metrics.inflight.set(0)

    async def drain(self) -> None:
        """Wait for the audits in flight (tests and benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def status(self) -> dict[str, Any]:
        """The JSON status: settings, controller state, per-band precision."""
        ctl = self.controller
        overall = ctl.overall().as_dict()
        bands = [
            {**v.as_dict(), "payer": ctl.payer(i), "state": (st := ctl.state(i)),
             "serving": st in SERVING_STATES}
            for i, v in enumerate(ctl.views())
        ]  # fmt: skip
        return {
            "audit": {
                "rate": self.cfg.rate,
                "near_miss": self._explores(),
                "judge": self.judge.name,
                "inflight": self.inflight,
                "max_concurrency": self.cfg.max_concurrency,
                "max_per_minute": self.cfg.max_per_minute,
            },
            "budget": {
                "max_false_hit_rate": ctl.budget,
                "start_threshold": ctl.start,
                "floor": ctl.floor,
                "threshold": ctl.threshold(),
                # Some band serves a candidate now (an open band may refuse: "state").
                "serving": any(ctl.state(i) in SERVING_STATES for i in range(len(bands))),
                "min_samples": ctl.min_samples,
                "max_samples": ctl.max_samples(),
                "burn_in": ctl.burn_in,
                "probation_rate": ctl.probation_rate,
                "ledger": {
                    "allowance": ctl.ledger.allowance,
                    "earned": round(ctl.ledger.earned(), 6),
                    "spent": round(ctl.ledger.spent(), 6),
                    "balance": round(ctl.ledger.balance(), 6),
                    "rate_bound": ctl.ledger.rate_bound(ctl.budget or 0.0),
                    "exposure": round(ctl.ledger.exposure, 6),
                },
            },
            "overall": overall,
            "bands": bands,
        }
