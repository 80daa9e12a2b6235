"""Balancing strategies inside a tier, on a fake clock and a seeded random source."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pytest

from sidecar.balance import Balancer


@dataclass(frozen=True)
class Cand:
    label: str
    price: float = 1.0
    weight: float = 1.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


A, B, C = Cand("t/a", price=3.0), Cand("t/b", price=1.0), Cand("t/c", price=2.0)
CLOSED = lambda label: False  # noqa: E731


def labels(cands: list[object]) -> list[str]:
    return [c.label for c in cands]  # type: ignore[attr-defined]


def test_ordered_keeps_config_order_even_when_open() -> None:
    bal = Balancer(FakeClock())
    bal.observe("t/a", ok=False)
    assert labels(bal.order([A, B, C], "ordered", lambda lab: lab == "t/a")) == [
        "t/a",
        "t/b",
        "t/c",
    ]


def test_least_latency_prefers_the_fastest_and_penalises_errors() -> None:
    clock = FakeClock()
    bal = Balancer(clock)
    for _ in range(20):
        bal.observe("t/a", ok=True, ttfb=0.5)
        bal.observe("t/b", ok=True, ttfb=0.05)
        bal.observe("t/c", ok=True, ttfb=0.1)
    assert labels(bal.order([A, B, C], "least-latency", CLOSED)) == ["t/b", "t/c", "t/a"]
    for _ in range(10):  # b starts failing 100%: its error EWMA passes one half -> last
        bal.observe("t/b", ok=False)
    assert labels(bal.order([A, B, C], "least-latency", CLOSED)) == ["t/c", "t/a", "t/b"]


def test_unmeasured_deployment_goes_first_and_open_breakers_last() -> None:
    bal = Balancer(FakeClock())
    bal.observe("t/a", ok=True, ttfb=0.01)
    assert labels(bal.order([A, B], "least-latency", CLOSED)) == ["t/b", "t/a"]
    bal.observe("t/b", ok=True, ttfb=0.001)
    assert labels(bal.order([A, B], "least-latency", lambda lab: lab == "t/b")) == ["t/a", "t/b"]


def test_stale_deployment_gets_exactly_one_probe_per_interval() -> None:
    clock = FakeClock()
    bal = Balancer(clock, probe_after_s=5.0)
    bal.observe("t/a", ok=True, ttfb=1.0)  # slow: degraded earlier
    bal.observe("t/b", ok=True, ttfb=0.1)
    clock.now = 6.0
    bal.observe("t/b", ok=True, ttfb=0.1)  # b stays fresh, a goes stale
    orders = [labels(bal.order([A, B], "least-latency", CLOSED))[0] for _ in range(5)]
    assert orders == ["t/a", "t/b", "t/b", "t/b", "t/b"]
    bal.observe("t/a", ok=True, ttfb=0.01)  # it recovered: the EWMA moves toward it
    for _ in range(10):
        bal.observe("t/a", ok=True, ttfb=0.01)
    assert labels(bal.order([A, B], "least-latency", CLOSED))[0] == "t/a"


def test_lowest_cost_sorts_by_price_and_skips_unhealthy() -> None:
    bal = Balancer(FakeClock())
    assert labels(bal.order([A, B, C], "lowest-cost", CLOSED)) == ["t/b", "t/c", "t/a"]
    for _ in range(10):
        bal.observe("t/b", ok=False)
    assert labels(bal.order([A, B, C], "lowest-cost", CLOSED)) == ["t/c", "t/a", "t/b"]


def test_weighted_draws_in_proportion_to_weights() -> None:
    bal = Balancer(FakeClock(), rng=random.Random(3))
    heavy, light = Cand("t/h", weight=3.0), Cand("t/l", weight=1.0)
    firsts = Counter(labels(bal.order([heavy, light], "weighted", CLOSED))[0] for _ in range(4000))
    assert firsts["t/h"] / 4000 == pytest.approx(0.75, abs=0.03)


def test_unknown_strategy_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        Balancer(FakeClock()).order([A, B], "fastest", CLOSED)
