"""The request path, top to bottom: exact -> embed -> route -> semantic -> singleflight ->
forward -> store.

Each step is named after what it does and lives in the module it is imported from:
``caching`` (embed, lookups, store), ``routing`` (the route), ``singleflight``, ``forward``
(upstream, cascade, relay), ``reply`` (serving hits). The pipeline never branches on the API:
what differs per API is the exchange's dialect. Any cache, embedder or classifier failure
degrades to a miss or the default tier with a counter and a log line, never a 5xx.
"""

from __future__ import annotations

import logging

from aiohttp import web

from sidecar import audit_service as audit
from sidecar import caching
from sidecar.caching import Hit
from sidecar.deps import Deps
from sidecar.errors import BadRequest
from sidecar.exchange import Exchange
from sidecar.forward import forward
from sidecar.outcome import CacheResult
from sidecar.reply import serve_hit
from sidecar.routing import (
    NOT_ROUTED,
    Route,
    default_route,
    forced_tier,
    header_route,
    scored_route,
)
from sidecar.shadowing import after_answer
from sidecar.singleflight import join

log = logging.getLogger("sidecar.pipeline")


async def handle(x: Exchange, deps: Deps) -> web.StreamResponse:
    """Answer one proxied request from the cache or upstream."""
    policy = x.req.policy
    forced = forced_tier(x.http.headers, x.settings)
    if policy.lookup and (hit := await caching.with_body(x, deps, caching.lookup_exact(x, deps))):
        return await serve_hit(x, deps, hit)
    # One embedding serves both the semantic lookup and the router.
    if x.req.text and (policy.semantic or x.routed):
        x.vec = await caching.embed(x, deps)
    x.route = route(x, deps, forced)
    semantic = policy.lookup and policy.semantic
    if semantic and x.vec is not None:
        if hit := await caching.with_body(x, deps, await caching.lookup_semantic(x, deps, x.vec)):
            response = await serve_hit(x, deps, hit)
            audit.after_hit(x, deps, hit.entry, hit.similarity or 0.0)  # background, after serving
            return response
    key, leads = None, False
    if policy.lookup and policy.store:
        key, timeout = x.flight_key, x.settings.tiers[-1].deployments[0].timeout_s
        entry, leads = await join(deps.singleflight, key, timeout)
        if entry is not None:
            deps.metrics.singleflight.inc()
            return await serve_hit(x, deps, Hit(entry, CacheResult.SHARED))
    stored = None
    try:
        caching.count_miss(x, deps)
        response, answer = await forward(x, deps)
        if answer is not None:
            x.dialect.answered(answer.parsed, x.req, answer.target)
        stored = caching.store(x, deps, answer)
        audit.after_miss(deps, x.req, x.audit_candidate, stored)
        after_answer(x, deps, answer, deps.evaluation)  # shadow sample: background only
        return response
    finally:
        if leads and key is not None:
            deps.singleflight.land(key, stored)


def route(x: Exchange, deps: Deps, forced: int | None) -> Route:
    """Pick the tier for a miss: header override, classifier, or the default tier."""
    settings = x.settings
    if not x.routed:
        return NOT_ROUTED
    if not x.dialect.routable:
        raise BadRequest(
            f"model '{settings.routing.alias}' picks a chat tier; name a model this API serves",
            param="model",
        )
    if forced is not None:
        chosen = header_route(forced, settings)
    elif deps.router is None or not settings.routing.enabled:
        chosen = default_route(settings)
    else:
        chosen = _classify(x, deps) or default_route(settings)
    deps.metrics.route.labels(chosen.tier, chosen.source).inc()
    x.out.score = chosen.score
    return chosen


def _classify(x: Exchange, deps: Deps) -> Route | None:
    """The classifier's route, or None (counted and logged) when it cannot score."""
    with x.out.stage("classify"):
        try:
            if deps.router is None or x.vec is None:
                raise ValueError("no classifier or no embedding for this request")
            score = float(deps.router.score(x.vec, x.req.text))
            chosen = scored_route(score, x.live.thresholds, x.settings)
        except Exception as exc:
            deps.metrics.classifier_failures.inc()
            log.warning("classifier failed (%s); default tier used", exc)
            return None
    deps.metrics.route_score.observe(score)
    return chosen
