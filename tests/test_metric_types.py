"""sidecar.metric_types: memoized labels() give the same children and the same exposition."""

from __future__ import annotations

from enum import StrEnum

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from sidecar.metric_types import Counter, Gauge, Histogram
from sidecar.metrics import Metrics


class Result(StrEnum):
    MISS = "miss"


def test_memo_returns_prometheus_child() -> None:
    r = CollectorRegistry()
    c = Counter("c", "c", ["result", "cls"], registry=r)
    a = c.labels("miss", "2xx")
    assert c.labels(Result.MISS, "2xx") is a  # keyed by str(value), like prometheus_client
    assert c.labels(result="miss", cls="2xx") is a  # keywords bypass the memo, same child
    a.inc()
    c.labels(Result.MISS, "2xx").inc(2)
    assert r.get_sample_value("c_total", {"result": "miss", "cls": "2xx"}) == 3


def test_non_string_values_keyed_as_strings() -> None:
    r = CollectorRegistry()
    g = Gauge("g", "g", ["v"], registry=r)
    g.labels(1).set(5)
    g.labels(True).set(7)  # 1 == True, but "1" != "True": two children
    assert r.get_sample_value("g", {"v": "1"}) == 5
    assert r.get_sample_value("g", {"v": "True"}) == 7


def test_remove_and_clear_forget_children() -> None:
    r = CollectorRegistry()
    h = Histogram("h", "h", ["stage"], registry=r)
    h.labels("embed").observe(0.1)
    h.remove("embed")
    h.labels("embed").observe(0.2)  # a fresh child, exported again
    assert r.get_sample_value("h_count", {"stage": "embed"}) == 1
    h.clear()
    assert r.get_sample_value("h_count", {"stage": "embed"}) is None
    h.labels("embed").observe(0.3)
    assert r.get_sample_value("h_sum", {"stage": "embed"}) == pytest.approx(0.3)


def test_errors_unchanged() -> None:
    r = CollectorRegistry()
    c = Counter("c", "c", ["a"], registry=r)
    with pytest.raises(ValueError):
        c.labels("x", "y")
    with pytest.raises(ValueError):
        c.labels("x").labels("y")
    with pytest.raises(ValueError):
        Counter("n", "n", registry=r).labels("x")


def test_sidecar_metrics_exposition() -> None:
    m = Metrics(CollectorRegistry())
    m.observe_stage("embed", 0.002)
    m.observe_stage("embed", 0.004)
    m.lookups.labels(Result.MISS).inc()
    text = generate_latest(m.registry).decode()
    assert 'sidecar_stage_seconds_count{stage="embed"} 2.0' in text
    assert "# TYPE sidecar_stage_seconds histogram" in text
    assert m.registry.get_sample_value("sidecar_cache_lookups_total", {"result": "miss"}) == 1


def test_repeat_lookup_skips_prometheus(monkeypatch: pytest.MonkeyPatch) -> None:
    import prometheus_client.metrics as pm

    calls = []
    real = pm.MetricWrapperBase.labels
    monkeypatch.setattr(
        pm.MetricWrapperBase, "labels", lambda self, *a, **k: calls.append(a) or real(self, *a, **k)
    )
    c = Counter("c", "c", ["a"], registry=CollectorRegistry())
    for _ in range(5):
        c.labels("x").inc()
    assert calls == [("x",)]
