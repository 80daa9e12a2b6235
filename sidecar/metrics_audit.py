"""Audit and budget metrics, registered on the app's injected registry.

Counters: ``sidecar_cache_audits_total{verdict}`` (audited hits), ``..._explorations_total
{verdict}`` (near misses), ``..._audit_skipped_total{reason}``, ``..._audit_upstream_calls_total
{purpose}`` and ``..._audit_spend_usd_total``. Gauges read from the budget controller at scrape
time: precision estimate and its 95% Wilson lower bound per band (``band`` is one of a dozen
fixed cosine bands, or ``all`` for the served set), whether each band is open and whether it
serves now (open bands may refuse unfunded candidates), the threshold and the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cache.budget import BandView, BudgetController
from cache.spending import SERVING_STATES

SKIP_REASONS = ("concurrency", "rate_limit", "unreadable", "shutdown", "cancelled")


class AuditMetrics:
    """Every metric of the hit audit and the false-hit budget."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.registry = registry
        self.audits = Counter(
            "sidecar_cache_audits", "Audited semantic hits by verdict", ["verdict"], registry=r
        )
        self.explorations = Counter(
            "sidecar_cache_explorations",
            "Near-miss candidates compared by verdict",
            ["verdict"],
            registry=r,
        )
        self.skipped = Counter(
            "sidecar_cache_audit_skipped",
            "Sampled audits not run (concurrency, rate_limit, unreadable, shutdown, cancelled)",
            ["reason"],
            registry=r,
        )
        self.calls = Counter(
            "sidecar_cache_audit_upstream_calls",
            "Upstream calls made by audits (refetch, judge)",
            ["purpose"],
            registry=r,
        )
        self.spend = Counter(
            "sidecar_cache_audit_spend_usd", "USD spent by audits (config prices)", registry=r
        )
        self.inflight = Gauge("sidecar_cache_audit_inflight", "Audits running", registry=r)
        # Known label values start at zero, so rate() panels have data from the first scrape.
        for verdict in ("same", "different", "error"):
            self.audits.labels(verdict)
            self.explorations.labels(verdict)
        for reason in SKIP_REASONS:
            self.skipped.labels(reason)
        for purpose in ("refetch", "judge"):
            self.calls.labels(purpose)

    def watch(self, controller: Callable[[], BudgetController | None]) -> None:
        """Export the controller's precision and threshold at scrape time."""
        self.registry.register(_BudgetCollector(controller))


class _BudgetCollector(Collector):
    def __init__(self, controller: Callable[[], BudgetController | None]) -> None:
        self._controller = controller

    def collect(self) -> Iterable[Metric]:
        ctl = self._controller()
        est = GaugeMetricFamily(
            "sidecar_cache_hit_precision",
            "Audited semantic-hit precision (point estimate) by cosine band; all = served set",
            labels=["band"],
        )
        low = GaugeMetricFamily(
            "sidecar_cache_hit_precision_lower",
            "Wilson lower bound of semantic-hit precision by cosine band; all = served set",
            labels=["band"],
        )
        served = GaugeMetricFamily(
            "sidecar_cache_band_served", "1 when the band's hits are served", labels=["band"]
        )
        serving = GaugeMetricFamily(
            "sidecar_cache_budget_serving",
            "1 when a candidate of the band would be served now (open, and certified, a payer "
            "or funded by the error budget); all = any band",
            labels=["band"],
        )
        threshold = GaugeMetricFamily(
            "sidecar_cache_budget_threshold",
            "Cosine the lookup searches down to (above 1: no band open; an open band may "
            "still refuse its candidates: sidecar_cache_budget_serving)",
            labels=[],
        )
        budget = GaugeMetricFamily(
            "sidecar_cache_false_hit_budget", "cache.max_false_hit_rate", labels=[]
        )
        # Without an auditor the families are exported empty: named, typed, no samples.
        if ctl is not None:
            views = ctl.views()
            _add(est, low, ctl.overall())
            states = [ctl.state(i) in SERVING_STATES for i in range(len(views))]
            serving.add_metric(["all"], float(any(states)))
            for view, on in zip(views, states, strict=True):
                _add(est, low, view)
                served.add_metric([view.label], 1.0 if view.open else 0.0)
                serving.add_metric([view.label], float(on))
            threshold.add_metric([], ctl.threshold())
            if ctl.budget is not None:
                budget.add_metric([], ctl.budget)
        yield from (est, low, served, serving, threshold, budget)


def _add(est: GaugeMetricFamily, low: GaugeMetricFamily, view: BandView) -> None:
    if view.false_hit_rate is not None:
        est.add_metric([view.label], 1.0 - view.false_hit_rate)
        low.add_metric([view.label], 1.0 - view.false_hit_upper)
