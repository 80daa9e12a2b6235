"""Per-deployment scorecard: the operator's own leaderboard, built from production traffic.

For every deployment (label ``tier/model``) it keeps, over the last 5 minutes, the last hour and
the process lifetime: upstream calls, errors by kind (timeout, 429, 5xx, connect, stream),
breaker openings, TTFT and total latency (p50/p95/p99, from ``LatencySketch``), answers and
their failure reasons (refusal, empty, invalid_json, length = truncated), escalations by reason,
tokens in/out, USD, USD per successful answer, and cache hits served from its answers.

Memory is bounded: each deployment holds a ring of 10-second buckets covering the longest
window (at most 361 buckets, each a few counters and two sparse sketches), plus one lifetime
bucket; at most ``MAX_DEPLOYMENTS`` deployments are tracked. The clock is injected so tests run
on a fake one. Everything here is synchronous and O(buckets) per read; reads happen on
``GET /sidecar/scorecard`` and at scrape time, never on the request path.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sidecar.sketch import LatencySketch

BUCKET_S = 10.0
WINDOWS: dict[str, float | None] = {"5m": 300.0, "1h": 3600.0, "lifetime": None}
MAX_DEPLOYMENTS = 64  # labels come from config and cache entries; this only guards memory
ERROR_KINDS = ("timeout", "429", "5xx", "connect", "stream")
QUANTILES = (0.5, 0.95, 0.99)


@dataclass(slots=True)
class Stats:
    """Counters and sketches of one deployment over one time span."""

    calls: int = 0  # upstream calls (every attempt, retries included)
    errors: dict[str, int] = field(default_factory=dict)  # kind -> failed calls
    answers: int = 0  # 200 answers accounted
    successes: int = 0  # 200 answers with no failure reason
    failures: dict[str, int] = field(default_factory=dict)  # reason -> answers
    escalations: dict[str, int] = field(default_factory=dict)  # reason -> escalations away
    breaker_openings: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    usd: float = 0.0
    cache_hits: int = 0
    saved_usd: float = 0.0
    ttft: LatencySketch = field(default_factory=LatencySketch)
    latency: LatencySketch = field(default_factory=LatencySketch)

    def merge(self, other: Stats) -> None:
        """Add ``other`` into this."""
        for name in ("calls", "answers", "successes", "breaker_openings", "tokens_in",
                     "tokens_out", "usd", "cache_hits", "saved_usd"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in (
            (self.errors, other.errors),
            (self.failures, other.failures),
            (self.escalations, other.escalations),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        self.ttft.merge(other.ttft)
        self.latency.merge(other.latency)


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


class _Ring:
    """Time buckets of one deployment, oldest first, plus the lifetime total."""

    def __init__(self, span_s: float) -> None:
        self.buckets: deque[tuple[float, Stats]] = deque(maxlen=int(span_s // BUCKET_S) + 1)
        self.lifetime = Stats()

    def current(self, now: float) -> Stats:
        start = now - now % BUCKET_S
        if not self.buckets or self.buckets[-1][0] != start:
            self.buckets.append((start, Stats()))
        return self.buckets[-1][1]

    def window(self, now: float, span_s: float | None) -> Stats:
        if span_s is None:
            return self.lifetime
        out = Stats()
        for start, stats in self.buckets:
            if start + BUCKET_S > now - span_s:
                out.merge(stats)
        return out


class Scorecard:
    """Records per-deployment events and answers leaderboard queries."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._rings: dict[str, _Ring] = {}
        self._span = max(s for s in WINDOWS.values() if s is not None)

    def _update(self, label: str, change: Callable[[Stats], None]) -> None:
        ring = self._rings.get(label)
        if ring is None:
            if len(self._rings) >= MAX_DEPLOYMENTS:
                return
            ring = self._rings[label] = _Ring(self._span)
        change(ring.current(self.clock()))
        change(ring.lifetime)

    def track(self, label: str) -> None:
        """Make a deployment appear (at zero) before its first event."""
        if label not in self._rings and len(self._rings) < MAX_DEPLOYMENTS:
            self._rings[label] = _Ring(self._span)

    def call(
        self,
        label: str,
        *,
        error: str | None = None,
        ttft: float | None = None,
        latency: float | None = None,
    ) -> None:
        """One upstream call: failed with ``error`` (a kind), or answered with its timings."""

        def change(s: Stats) -> None:
            s.calls += 1
            if error is not None:
                _bump(s.errors, error)
            if ttft is not None:
                s.ttft.add(ttft)
            if latency is not None:
                s.latency.add(latency)

        self._update(label, change)

    def stream_failed(self, label: str) -> None:
        """A stream that had started broke: the call counted on start becomes an error."""
        self._update(label, lambda s: _bump(s.errors, "stream"))

    def answer(
        self, label: str, *, tokens_in: int, tokens_out: int, usd: float, failure: str | None
    ) -> None:
        """One 200 answer accounted: tokens, dollars, and its failure reason if it has one."""

        def change(s: Stats) -> None:
            s.answers += 1
            s.tokens_in += tokens_in
            s.tokens_out += tokens_out
            s.usd += usd
            if failure is None:
                s.successes += 1
            else:
                _bump(s.failures, failure)

        self._update(label, change)

    def escalated(self, label: str, reason: str) -> None:
        """A cascade moved a request away from this deployment's answer."""
        self._update(label, lambda s: _bump(s.escalations, reason))

    def breaker_opened(self, label: str) -> None:
        """This deployment's breaker went to open."""

        def change(s: Stats) -> None:
            s.breaker_openings += 1

        self._update(label, change)

    def cache_hit(self, label: str, saved_usd: float) -> None:
        """A cache hit served an answer this deployment produced."""

        def change(s: Stats) -> None:
            s.cache_hits += 1
            s.saved_usd += saved_usd

        self._update(label, change)

    def stats(self, window: str) -> dict[str, Stats]:
        """Merged stats per deployment over ``window`` (a key of ``WINDOWS``)."""
        span = WINDOWS[window]
        now = self.clock()
        return {label: ring.window(now, span) for label, ring in self._rings.items()}

    def rows(self, window: str) -> list[dict[str, Any]]:
        """One flat leaderboard row per deployment (see ``row``)."""
        return [row(label, s) for label, s in self.stats(window).items()]


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def row(label: str, s: Stats) -> dict[str, Any]:
    """The JSON row of one deployment: flat numeric columns (sortable) plus reason maps."""
    tier, _, model = label.partition("/")
    out: dict[str, Any] = {"deployment": label, "tier": tier, "model": model}
    errors = sum(s.errors.values())
    out |= {
        "requests": s.calls,
        "errors": errors,
        "error_rate": _rate(errors, s.calls),
        "timeout_rate": _rate(s.errors.get("timeout", 0), s.calls),
        "rate_limited_rate": _rate(s.errors.get("429", 0), s.calls),
        "breaker_openings": s.breaker_openings,
        "answers": s.answers,
        "successes": s.successes,
        "failure_rate": _rate(s.answers - s.successes, s.answers),
        "tokens_in": s.tokens_in,
        "tokens_out": s.tokens_out,
        "usd": round(s.usd, 8),
        "usd_per_success": None if not s.successes else round(s.usd / s.successes, 10),
        "cache_hits": s.cache_hits,
        "saved_usd": round(s.saved_usd, 8),
    }
    for name, sketch in (("ttft", s.ttft), ("latency", s.latency)):
        for q in QUANTILES:
            out[f"{name}_p{round(q * 100)}_ms"] = _ms(sketch.quantile(q))
    out["errors_by_kind"] = dict(sorted(s.errors.items()))
    out["failure_reasons"] = dict(sorted(s.failures.items()))
    out["escalation_reasons"] = dict(sorted(s.escalations.items()))
    return out


# Columns a leaderboard can be sorted by, and whether larger is better (sorted first).
SORTABLE: dict[str, bool] = {
    "requests": True,
    "answers": True,
    "successes": True,
    "cache_hits": True,
    "saved_usd": True,
    "tokens_in": True,
    "tokens_out": True,
    "usd": False,
    "usd_per_success": False,
    "error_rate": False,
    "timeout_rate": False,
    "rate_limited_rate": False,
    "failure_rate": False,
    "breaker_openings": False,
    **{f"{n}_p{round(q * 100)}_ms": False for n in ("ttft", "latency") for q in QUANTILES},
}


def leaderboard(rows: list[dict[str, Any]], sort: str, order: str | None = None) -> list[Any]:
    """Rows sorted by ``sort`` (best first unless ``order`` says asc/desc); empty values last."""
    descending = SORTABLE[sort] if order is None else order == "desc"
    known = [r for r in rows if r[sort] is not None]
    unknown = [r for r in rows if r[sort] is None]
    known.sort(key=lambda r: (r[sort], r["deployment"]), reverse=descending)
    return known + sorted(unknown, key=lambda r: r["deployment"])
