"""Money in one place: tokens and USD spent upstream, USD saved by cache hits.

Prices come from the deployment's config (per 1M tokens); a hit is credited with what its
entry cost when it was stored.
"""

from __future__ import annotations

from cache.entry import Entry
from sidecar.dialect import Usage
from sidecar.metrics import Metrics
from sidecar.scorecard import Scorecard
from sidecar.target import Target


def charge(metrics: Metrics, target: Target, usage: Usage | None) -> float:
    """Record the tokens and USD of one upstream answer; return the USD (0 without usage)."""
    if usage is None:
        return 0.0
    usd = target.deployment.cost_usd(usage.input_tokens, usage.output_tokens)
    model = target.deployment.model
    metrics.tokens.labels(model, "in").inc(usage.input_tokens)
    metrics.tokens.labels(model, "out").inc(usage.output_tokens)
    metrics.spend.labels(model).inc(usd)
    return usd


def account(
    metrics: Metrics,
    scorecard: Scorecard,
    target: Target,
    usage: Usage | None,
    failure: str | None,
) -> float:
    """``charge`` plus the deployment's scorecard (tokens, USD, the answer's failure reason)."""
    usd = charge(metrics, target, usage)
    scorecard.answer(
        target.label,
        tokens_in=usage.input_tokens if usage else 0,
        tokens_out=usage.output_tokens if usage else 0,
        usd=usd,
        failure=failure,
    )
    return usd


def credit_hit(metrics: Metrics, entry: Entry, scorecard: Scorecard | None = None) -> None:
    """A hit saved what its entry cost upstream (credited to the deployment that produced it)."""
    metrics.saved.labels(entry.model).inc(entry.cost_usd)
    if scorecard is not None and entry.tier:
        scorecard.cache_hit(f"{entry.tier}/{entry.model}", entry.cost_usd)
