"""The scorecard outward: ``GET /sidecar/scorecard`` (JSON leaderboard) and Prometheus series.

``GET /sidecar/scorecard?window=5m|1h|lifetime&sort=<column>&order=asc|desc`` answers
``{"window", "sort", "order", "columns", "deployments": [row, ...]}`` sorted best first
(cheapest, fastest, fewest errors; most requests or hits); deployments without a value for the
column come last. A bad parameter is a 400 in OpenAI's error shape naming the allowed values.

Series (labels bounded: configured deployments x the two windows x three quantiles), computed
at scrape time: ``sidecar_scorecard_{calls,error_rate,failure_rate,usd_per_success,
cache_hits}{deployment,window}`` and ``sidecar_scorecard_{latency,ttft}_seconds{deployment,
window,quantile}``; with shadows, ``sidecar_shadow_comparisons_total{candidate,result}`` and
``sidecar_shadow_skipped_total{reason}``. A figure with no data in its window (no answers yet)
is left out rather than exported as NaN or 0. The JSON also carries the shadow candidates' rows
and the policy's last violations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sidecar.errors import BadRequest
from sidecar.preference import Preference
from sidecar.scorecard import QUANTILES, SORTABLE, WINDOWS, Scorecard, leaderboard, row
from sidecar.shadow import SKIP_REASONS, Evaluation

DEFAULT_SORT = "usd_per_success"
EXPORTED_WINDOWS = ("5m", "1h")
RESULTS = tuple(p.value for p in Preference)


def scorecard_response(
    query: Mapping[str, str], card: Scorecard, evaluation: Evaluation | None = None
) -> web.Response:
    """The JSON leaderboard for one window, sorted as asked, with shadows and the policy."""
    window = query.get("window", "5m")
    if window not in WINDOWS:
        raise BadRequest(f"window must be one of {list(WINDOWS)}", param="window")
    sort = query.get("sort", DEFAULT_SORT)
    if sort not in SORTABLE:
        raise BadRequest(f"sort must be one of {sorted(SORTABLE)}", param="sort")
    order = query.get("order")
    if order not in (None, "asc", "desc"):
        raise BadRequest("order must be asc or desc", param="order")
    rows = leaderboard(card.rows(window), sort, order)
    body: dict[str, Any] = {
        "window": window,
        "sort": sort,
        "order": order or ("desc" if SORTABLE[sort] else "asc"),
        "columns": sorted(SORTABLE),
        "deployments": rows,
    }
    if evaluation is not None:
        body["shadow"] = evaluation.shadow.rows() if evaluation.shadow else []
        body["shadow_skipped"] = dict(evaluation.shadow.skipped) if evaluation.shadow else {}
        body["policy"] = {
            "file": evaluation.policy is not None,
            "violations": [
                {"rule": v.rule, "subject": v.subject, "detail": v.detail}
                for v in evaluation.violations
            ],
        }
    return web.Response(body=orjson.dumps(body), content_type="application/json")


class ScorecardCollector(Collector):
    """Exports the 5-minute and 1-hour figures of every deployment at scrape time."""

    def __init__(self, card: Scorecard, evaluation: Evaluation | None = None) -> None:
        self.card, self.evaluation = card, evaluation

    def collect(self) -> Iterable[Metric]:
        labels = ["deployment", "window"]
        plain = {
            "calls": GaugeMetricFamily(
                "sidecar_scorecard_calls", "Upstream calls in the window", labels=labels
            ),
            "error_rate": GaugeMetricFamily(
                "sidecar_scorecard_error_rate", "Failed calls / calls", labels=labels
            ),
            "failure_rate": GaugeMetricFamily(
                "sidecar_scorecard_failure_rate",
                "Answers refused, empty, truncated or invalid JSON / answers",
                labels=labels,
            ),
            "usd_per_success": GaugeMetricFamily(
                "sidecar_scorecard_usd_per_success",
                "USD spent / successful answers",
                labels=labels,
            ),
            "cache_hits": GaugeMetricFamily(
                "sidecar_scorecard_cache_hits",
                "Cache hits served from this deployment's answers",
                labels=labels,
            ),
        }
        timed = {
            name: GaugeMetricFamily(
                f"sidecar_scorecard_{name}_seconds",
                f"{name} quantiles over the window",
                labels=[*labels, "quantile"],
            )
            for name in ("latency", "ttft")
        }
        for window in EXPORTED_WINDOWS:
            for label, stats in self.card.stats(window).items():
                r = row(label, stats)
                r["calls"] = r["requests"]
                for key, family in plain.items():
                    if r[key] is not None:
                        family.add_metric([label, window], float(r[key]))
                for name, family in timed.items():
                    for q in QUANTILES:
                        ms = r[f"{name}_p{round(q * 100)}_ms"]
                        if ms is not None:
                            family.add_metric([label, window, str(q)], ms / 1000)
        yield from plain.values()
        yield from timed.values()
        yield from self._shadow()

    def _shadow(self) -> Iterable[Metric]:
        shadow = self.evaluation.shadow if self.evaluation is not None else None
        results = CounterMetricFamily(
            "sidecar_shadow_comparisons",
            "Shadow comparisons by candidate and result (win, tie, loss, differ, error)",
            labels=["candidate", "result"],
        )
        skipped = CounterMetricFamily(
            "sidecar_shadow_skipped", "Shadow samples skipped, by reason", labels=["reason"]
        )
        if shadow is not None:  # without shadows the families are declared, with no samples
            for cand in shadow.rows():
                for result in RESULTS:
                    results.add_metric([cand["candidate"], result], cand["results"].get(result, 0))
            for reason in SKIP_REASONS:
                skipped.add_metric([reason], shadow.skipped.get(reason, 0))
        yield results
        yield skipped
