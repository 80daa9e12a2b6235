"""Scorecard and its sketch on a fake clock: windows, rates, quantiles, memory bound, sorting."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sidecar.scorecard import BUCKET_S, MAX_DEPLOYMENTS, SORTABLE, Scorecard, leaderboard, row
from sidecar.sketch import LatencySketch


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sketch_quantiles_within_five_percent_of_exact() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(-2.0, 1.0) for _ in range(5000)]
    sketch = LatencySketch()
    for v in values:
        sketch.add(v)
    for q in (0.5, 0.95, 0.99):
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        got = sketch.quantile(q)
        assert got is not None and abs(got - exact) / exact <= 0.05, (q, got, exact)
    assert sketch.mean == pytest.approx(sum(values) / len(values))
    assert len(sketch.bins) < 150  # bounded by the value range, not the sample count


def test_sketch_merge_equals_one_sketch_of_everything() -> None:
    a, b, both = LatencySketch(), LatencySketch(), LatencySketch()
    for i in range(1, 200):
        (a if i % 2 else b).add(i / 1000)
        both.add(i / 1000)
    a.merge(b)
    assert a.bins == both.bins and a.count == both.count
    assert LatencySketch().quantile(0.5) is None
    a.add(float("nan"))
    assert a.count == both.count


def test_windows_forget_old_buckets_lifetime_keeps_all() -> None:
    clock = FakeClock()
    card = Scorecard(clock)
    card.call("small/m", ttft=0.1, latency=0.2)
    clock.now += 400  # beyond 5 minutes
    card.call("small/m", error="timeout")
    card.call("small/m", error="429")
    card.call("small/m", ttft=0.3, latency=0.5)
    five = row("small/m", card.stats("5m")["small/m"])
    assert five["requests"] == 3 and five["errors"] == 2
    assert five["error_rate"] == pytest.approx(2 / 3)
    assert five["timeout_rate"] == five["rate_limited_rate"] == pytest.approx(1 / 3)
    assert five["latency_p50_ms"] == pytest.approx(500, rel=0.05)
    hour = row("small/m", card.stats("1h")["small/m"])
    assert hour["requests"] == 4 and hour["latency_p50_ms"] == pytest.approx(200, rel=0.05)
    clock.now += 3600 + BUCKET_S
    assert card.stats("1h")["small/m"].calls == 0
    assert card.stats("lifetime")["small/m"].calls == 4


def test_answers_failures_cost_per_success_hits_and_escalations() -> None:
    card = Scorecard(FakeClock())
    for _ in range(3):
        card.answer("small/m", tokens_in=10, tokens_out=5, usd=0.001, failure=None)
    card.answer("small/m", tokens_in=10, tokens_out=0, usd=0.001, failure="refusal")
    card.escalated("small/m", "refusal")
    card.breaker_opened("small/m")
    card.cache_hit("small/m", saved_usd=0.001)
    card.cache_hit("small/m", saved_usd=0.001)
    r = {x["deployment"]: x for x in card.rows("5m")}["small/m"]
    assert (r["answers"], r["successes"], r["failure_rate"]) == (4, 3, 0.25)
    assert r["usd"] == pytest.approx(0.004)
    assert r["usd_per_success"] == pytest.approx(0.004 / 3)  # a failed answer is paid for too
    assert (r["tokens_in"], r["tokens_out"]) == (40, 15)
    assert r["failure_reasons"] == {"refusal": 1} and r["escalation_reasons"] == {"refusal": 1}
    assert r["breaker_openings"] == 1 and r["cache_hits"] == 2
    assert r["saved_usd"] == pytest.approx(0.002)


def test_tracked_deployment_appears_at_zero_with_empty_figures() -> None:
    card = Scorecard(FakeClock())
    card.track("large/x")
    (r,) = card.rows("5m")
    assert r["requests"] == 0 and r["error_rate"] is None and r["latency_p95_ms"] is None


def test_memory_is_bounded_in_buckets_and_deployments() -> None:
    clock = FakeClock()
    card = Scorecard(clock)
    for _ in range(2000):  # 2000 buckets' worth of time
        card.call("a/m", latency=0.01)
        clock.now += BUCKET_S
    ring = card._rings["a/m"]
    assert len(ring.buckets) <= 3600 / BUCKET_S + 1
    for i in range(MAX_DEPLOYMENTS + 10):
        card.call(f"t/{i}")
    assert len(card._rings) == MAX_DEPLOYMENTS


def test_leaderboard_sorts_best_first_and_puts_unknown_last() -> None:
    clock = FakeClock()
    card = Scorecard(clock)
    card.call("a/fast", latency=0.05)
    card.call("b/slow", latency=0.5)
    card.track("c/idle")
    rows = card.rows("5m")
    by_latency = [r["deployment"] for r in leaderboard(rows, "latency_p95_ms")]
    assert by_latency == ["a/fast", "b/slow", "c/idle"]
    by_desc = [r["deployment"] for r in leaderboard(rows, "latency_p95_ms", "desc")]
    assert by_desc == ["b/slow", "a/fast", "c/idle"]
    assert SORTABLE["requests"] is True and SORTABLE["usd_per_success"] is False
