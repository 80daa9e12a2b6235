"""The typed states used as metric labels are the label sets the metrics prime at zero, so a
new enum member cannot appear in Prometheus without its zero series (and vice versa)."""

from __future__ import annotations

from cache.entry import LookupResult
from sidecar import metrics
from sidecar.outcome import CacheResult
from sidecar.routing import RouteSource
from sidecar.target import ErrorKind


def test_cache_results_are_the_primed_lookup_labels() -> None:
    assert {str(r) for r in CacheResult} == set(metrics.LOOKUP_RESULTS)
    # Every result the store reports is one the proxy can record.
    assert {str(r) for r in LookupResult} <= {str(r) for r in CacheResult}


def test_route_sources_are_the_primed_route_labels() -> None:
    # A request naming a concrete model is not routed and never counted as a route decision.
    routed = {str(s) for s in RouteSource if s is not RouteSource.MODEL}
    assert routed == set(metrics.ROUTE_SOURCES)


def test_upstream_error_kinds_are_the_primed_error_labels() -> None:
    # no_deployment only names the last error in a 502 message; it is never a metric label.
    labelled = {str(k) for k in ErrorKind if k is not ErrorKind.NO_DEPLOYMENT}
    assert labelled == set(metrics.UPSTREAM_ERROR_KINDS)
