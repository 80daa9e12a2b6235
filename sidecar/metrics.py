"""Prometheus metrics, all prefixed ``sidecar_``, registered on an injected registry.

Labels stay bounded: endpoint, status class, stage, tier, configured model / deployment names,
cache result. Never prompt text, tenant ids or keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sidecar.metric_types import Counter, Gauge, Histogram

# Sub-millisecond resolution: the sidecar's own stages take microseconds to a few ms.
FAST = (
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512,
    1.0,
)  # fmt: skip
SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
UNIT = tuple(round(x * 0.05, 2) for x in range(1, 21))
# Upstream first byte: a mock or a nearby model answers in milliseconds, a provider in seconds.
TTFB = (
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 1.5, 2.5,
    4.0, 6.0, 10.0, 30.0, 60.0, 120.0,
)  # fmt: skip
# Mean token logprob (<= 0): fine near 0, where a threshold is usually set.
CONFIDENCE = (-5.0, -3.0, -2.0, -1.5, -1.0, -0.75, -0.5, -0.4, -0.3, -0.2, -0.1, -0.05, 0.0)
# Known label values, created at zero by ``Metrics.prime`` (keep in step with their emitters).
UPSTREAM_ERROR_KINDS = ("timeout", "connect", "429", "5xx", "bad_answer", "breaker_open", "stream")
FALLBACK_KINDS = ("deployment", "tier")
ESCALATION_REASONS = ("empty", "refusal", "length", "invalid_json", "low_confidence")
REDIS_OPS = ("write", "read", "follow", "queue_full", "decode", "fetch", "body_missing")
CACHE_OPS = ("lookup_exact", "lookup", "embed", "put", "snapshot", "body_fetch", "audit_state")
LOOKUP_RESULTS = (
    "exact",
    "semantic",
    "miss",
    "bypass",
    # rejected candidates by reason (cache/guard.py, cache/decision.py)
    "guard_slot",
    "guard_polarity",
    "guard_qualifier",
    "guard_role",
    "guard_length",
    "verifier_rejected",
    "budget_rejected",  # verified, but its cosine band is over the false-hit budget
    "budget_unfunded",  # verified, its band on probation, and the error budget spent
    "shared",  # a singleflight follower served the leader's fresh answer (not a cache hit)
)
STAGES = ("parse", "cache_exact", "embed", "classify", "cache_semantic", "total")
ROUTE_SOURCES = ("classifier", "header", "default")


class Metrics:
    """Every metric the sidecar exports."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        # Declared by concern; the order is the exposition order of /metrics.
        self._serving(registry)
        self._upstream(registry)
        self._money(registry)
        self._caching(registry)
        self._routing(registry)
        self._sharing(registry)

    def _serving(self, r: CollectorRegistry) -> None:
        """Requests, readiness and latency per stage and in total."""
        self.requests = Counter(
            "sidecar_requests",
            "Requests by endpoint and status class",
            ["endpoint", "status_class"],
            registry=r,
        )
        self.inflight = Gauge("sidecar_inflight_requests", "Requests being served", registry=r)
        self.ready = Gauge("sidecar_ready", "1 when /readyz answers 200", registry=r)
        self.stage = Histogram(
            "sidecar_stage_seconds",
            "Latency per pipeline stage",
            ["stage"],
            buckets=FAST,
            registry=r,
        )
        self.total = Histogram(
            "sidecar_request_seconds",
            "Total request latency by cache result",
            ["cache"],
            buckets=SLOW,
            registry=r,
        )

    def _upstream(self, r: CollectorRegistry) -> None:
        """Upstream first byte, the overhead added, errors, retries, fallbacks, breakers."""
        self.upstream_ttfb = Histogram(
            "sidecar_upstream_ttfb_seconds", "Upstream time to first byte", buckets=TTFB, registry=r
        )
        self.overhead = Histogram(
            "sidecar_overhead_seconds",
            "Added latency: total minus time spent waiting on upstream",
            ["cache"],
            buckets=FAST,
            registry=r,
        )
        self.upstream_errors = Counter(
            "sidecar_upstream_errors", "Upstream errors", ["deployment", "kind"], registry=r
        )
        self.retries = Counter(
            "sidecar_upstream_retries", "Upstream retries", ["deployment"], registry=r
        )
        self.fallbacks = Counter(
            "sidecar_upstream_fallbacks",
            "Moves to another deployment or tier",
            ["kind"],
            registry=r,
        )
        self.breaker = Gauge(
            "sidecar_breaker_state",
            "Circuit breaker: 0 closed, 1 half-open, 2 open",
            ["deployment"],
            registry=r,
        )

    def _money(self, r: CollectorRegistry) -> None:
        """Tokens, spend and savings per model."""
        self.tokens = Counter(
            "sidecar_tokens",
            "Tokens reported by upstream usage",
            ["model", "direction"],
            registry=r,
        )
        self.spend = Counter(
            "sidecar_spend_usd", "USD spent upstream (config prices)", ["model"], registry=r
        )
        self.saved = Counter(
            "sidecar_saved_usd",
            "USD saved by cache hits, priced at the model that produced the entry",
            ["model"],
            registry=r,
        )

    def _caching(self, r: CollectorRegistry) -> None:
        """Cache lookups, similarity, failures, embedding batches, singleflight waits."""
        self.lookups = Counter(
            "sidecar_cache_lookups", "Cache lookups by result", ["result"], registry=r
        )
        self.similarity = Histogram(
            "sidecar_cache_similarity", "Best candidate cosine similarity", buckets=UNIT, registry=r
        )
        self.cache_errors = Counter(
            "sidecar_cache_errors", "Cache failures degraded to a miss", ["op"], registry=r
        )
        self.embed_batch = Histogram(
            "sidecar_embed_batch_size",
            "Prompts per encoder call",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.embed_seconds = Histogram(
            "sidecar_embed_batch_seconds", "Encoder call latency", buckets=FAST, registry=r
        )
        self.singleflight = Counter(
            "sidecar_singleflight_waits",
            "Requests answered by an identical in-flight miss",
            registry=r,
        )

    def _routing(self, r: CollectorRegistry) -> None:
        """Routing decisions and scores, the cascade, confidence, policy violations."""
        self.route = Counter(
            "sidecar_route_decisions",
            "Routing decisions by tier and source",
            ["tier", "source"],
            registry=r,
        )
        self.route_score = Histogram(
            "sidecar_route_score", "Classifier score", buckets=UNIT, registry=r
        )
        self.classifier_failures = Counter(
            "sidecar_classifier_failures", "Classifier errors (default tier used)", registry=r
        )
        self.escalations = Counter(
            "sidecar_escalations",
            "Cascade escalations to the next tier",
            ["tier", "reason"],
            registry=r,
        )
        self.confidence = Histogram(
            "sidecar_answer_confidence",
            "Mean token logprob of answers checked by the low-confidence cascade",
            ["tier"],
            buckets=CONFIDENCE,
            registry=r,
        )
        self.policy_violations = Gauge(
            "sidecar_policy_violations",
            "Deployments or shadow candidates breaking a rule of the policy file",
            ["rule"],
            registry=r,
        )

    def _sharing(self, r: CollectorRegistry) -> None:
        """The shared Redis tier: errors, local-only mode, replication lag, stream backlog."""
        self.redis_errors = Counter(
            "sidecar_redis_errors", "Redis operation failures", ["op"], registry=r
        )
        self.redis_local_only = Gauge(
            "sidecar_redis_local_only", "1 while the shared tier is unreachable", registry=r
        )
        self.replication_lag = Histogram(
            "sidecar_replication_lag_seconds",
            "Publish-to-apply delay of shared entries",
            buckets=(*FAST, 2.5, 5.0, 10.0),
            registry=r,
        )
        self.stream_backlog = Gauge(
            "sidecar_redis_stream_backlog", "Stream events not yet applied locally", registry=r
        )

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Callback for ``Outcome.stage``: one pipeline stage's latency."""
        self.stage.labels(stage).observe(seconds)

    def prime(
        self,
        deployments: Iterable[str],
        tiers: Iterable[str],
        endpoints: Iterable[str],
        models: Iterable[str] = (),
    ) -> None:
        """Create every known label combination at zero.

        A labelled series otherwise appears on its first increment, and ``rate()`` over a
        series whose first sample is already 3 reads the first burst as 0.
        """
        for model in models:
            self.spend.labels(model)
            self.saved.labels(model)
            for direction in ("in", "out"):
                self.tokens.labels(model, direction)
        for stage in STAGES:
            self.stage.labels(stage)
        for dep in deployments:
            self.retries.labels(dep)
            for kind in UPSTREAM_ERROR_KINDS:
                self.upstream_errors.labels(dep, kind)
        for kind in FALLBACK_KINDS:
            self.fallbacks.labels(kind)
        for tier in tiers:
            for source in ROUTE_SOURCES:
                self.route.labels(tier, source)
            for reason in ESCALATION_REASONS:
                self.escalations.labels(tier, reason)
        for op in REDIS_OPS:
            self.redis_errors.labels(op)
        for op in CACHE_OPS:
            self.cache_errors.labels(op)
        for result in LOOKUP_RESULTS:
            self.lookups.labels(result)
            self.total.labels(result)
            self.overhead.labels(result)
        for endpoint in endpoints:
            for cls in ("2xx", "4xx", "5xx"):
                self.requests.labels(endpoint, cls)

    def observe_embed(self, size: int, seconds: float) -> None:
        """Callback for the micro-batching embedder."""
        self.embed_batch.observe(size)
        self.embed_seconds.observe(seconds)

    def watch_cache(self, stats: Callable[[], tuple[int, int, int, int]]) -> None:
        """Export entries, bytes, evictions and expirations read from the cache at scrape time."""
        self.registry.register(_CacheCollector(stats))


class _CacheCollector(Collector):
    def __init__(self, stats: Callable[[], tuple[int, int, int, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        entries, nbytes, evictions, expirations = self._stats()
        yield GaugeMetricFamily("sidecar_cache_entries", "Entries in the cache", value=entries)
        yield GaugeMetricFamily("sidecar_cache_bytes", "Bytes held by cache entries", value=nbytes)
        yield CounterMetricFamily(
            "sidecar_cache_evictions", "Entries evicted by the LRU bounds", value=evictions
        )
        yield CounterMetricFamily(
            "sidecar_cache_expirations", "Entries dropped by TTL", value=expirations
        )


def status_class(status: int) -> str:
    """``200`` -> ``"2xx"``."""
    return f"{status // 100}xx"
