"""The request path, top to bottom, as DESIGN.md draws it.

parse -> exact lookup -> embed -> classify -> semantic lookup + verify -> singleflight ->
forward (with fallbacks, cascade) -> store -> metrics. Any cache, embedder or classifier
failure degrades to a miss or the default tier with a counter and a log line, never a 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web

from cache.text import cache_text, normalize
from classifier.router import tier_for
from sidecar.deps import Deps
from sidecar.errors import BadRequest
from sidecar.forward import forward
from sidecar.outcome import Outcome
from sidecar.reply import deliver_hit
from sidecar.request import ParsedRequest

log = logging.getLogger("sidecar.pipeline")
# Without the verifier only a very high cosine is safe (QQP precision 0.86 at 0.95).
COSINE_ONLY_THRESHOLD = 0.95


@dataclass(frozen=True, slots=True)
class Route:
    """Where a miss goes: the tier (by rank) and why."""

    rank: int
    tier: str
    routed: bool  # the request used the routing alias
    score: float | None = None
    source: str = "model"  # classifier | header | default | model


async def handle(
    http: web.Request, req: ParsedRequest, deps: Deps, out: Outcome
) -> web.StreamResponse:
    """Answer one completion/embedding request from cache or upstream."""
    forced = _forced_tier(http, deps)
    # The cache normalizes for its exact layer itself and verifies on the raw text; the
    # singleflight key is normalized so trivially different duplicates share a flight.
    key = (req.scope, normalize(req.text))
    if req.policy.lookup and (entry := _exact(deps, req, out)):
        return await deliver_hit(http, req, entry, "exact", None, deps, out)
    routed = req.model == deps.settings.routing.alias
    # One embedding serves both the semantic lookup and the router.
    vec = await _embed(deps, req, out) if req.text and (req.policy.semantic or routed) else None
    route = _route(forced, req, deps, vec, out)
    semantic = req.policy.semantic and req.policy.lookup and vec is not None
    if semantic and (hit := await _semantic(deps, req, vec, route, out)):
        return await deliver_hit(http, req, hit[0], "semantic", hit[1], deps, out)
    if req.policy.lookup and req.policy.store and (fut := deps.singleflight.follow(key)):
        entry = await _wait_flight(fut, deps)
        if entry is not None:
            deps.metrics.singleflight.inc()
            return await deliver_hit(http, req, entry, "exact", None, deps, out)
    leader = req.policy.lookup and req.policy.store and deps.singleflight.follow(key) is None
    if leader:
        deps.singleflight.lead(key)
    stored: Any = None
    try:
        resp, stored = await forward(http, req, deps, route, vec, req.text, out)
        return resp
    finally:
        if leader:
            deps.singleflight.land(key, stored)


def _exact(deps: Deps, req: ParsedRequest, out: Outcome) -> Any:
    if deps.cache is None:
        return None
    with out.stage(deps, "cache_exact"):
        try:
            entry = deps.cache.lookup_exact(req.scope, req.text)
        except Exception:
            deps.metrics.cache_errors.labels("lookup_exact").inc()
            log.exception("exact lookup failed; treated as a miss")
            return None
    return entry if entry is not None and _fresh(entry, req) else None


def _fresh(entry: Any, req: ParsedRequest) -> bool:
    max_age = req.policy.max_age
    return max_age is None or time.time() - entry.created <= max_age


async def _embed(deps: Deps, req: ParsedRequest, out: Outcome) -> np.ndarray | None:
    if deps.embedder is None:
        return None
    with out.stage(deps, "embed"):
        try:
            return await deps.embedder.embed(cache_text(req.text))
        except Exception:
            deps.metrics.cache_errors.labels("embed").inc()
            log.exception("embedding failed; semantic lookup skipped")
            return None


def _forced_tier(http: web.Request, deps: Deps) -> int | None:
    """The tier named by an ``X-Sidecar-Tier`` request header (400 if unknown)."""
    forced = http.headers.get("X-Sidecar-Tier")
    if forced is None:
        return None
    names = [t.name for t in deps.settings.tiers]
    if forced not in names:
        raise BadRequest(f"X-Sidecar-Tier must be one of {names}")
    return names.index(forced)


def _route(
    forced: int | None, req: ParsedRequest, deps: Deps, vec: np.ndarray | None, out: Outcome
) -> Route:
    """Pick the tier for a miss: header override, classifier, or the default tier."""
    settings = deps.settings
    names = [t.name for t in settings.tiers]
    default = Route(
        settings.tier_rank(settings.routing.default_tier),
        settings.routing.default_tier,
        routed=True,
        source="default",
    )
    if req.model != settings.routing.alias:
        return Route(0, "", routed=False)
    if forced is not None:
        route = Route(forced, names[forced], routed=True, source="header")
    elif deps.router is None or not settings.routing.enabled:
        route = default
    else:
        route = _classify(deps, req, vec, out) or default
    deps.metrics.route.labels(route.tier, route.source).inc()
    out.score = route.score
    return route


def _classify(deps: Deps, req: ParsedRequest, vec: np.ndarray | None, out: Outcome) -> Route | None:
    assert deps.router is not None
    with out.stage(deps, "classify"):
        try:
            if vec is None:
                raise ValueError("no embedding for this request")
            score = float(deps.router.score(vec, req.text))
            rank = tier_for(score, deps.thresholds)
        except Exception as exc:
            deps.metrics.classifier_failures.inc()
            log.warning("classifier failed (%s); default tier used", exc)
            return None
    deps.metrics.route_score.observe(score)
    return Route(
        rank, deps.settings.tiers[rank].name, routed=True, score=score, source="classifier"
    )


def _threshold(deps: Deps, req: ParsedRequest, route: Route) -> float:
    """Request header, then per model, per tier, global; unset = the shipped operating point."""
    cfg = deps.settings.cache
    if req.policy.threshold is not None:
        return req.policy.threshold
    if req.model in cfg.threshold_by_model:
        return cfg.threshold_by_model[req.model]
    if route.tier in cfg.threshold_by_tier:
        return cfg.threshold_by_tier[route.tier]
    if cfg.threshold is not None:
        return cfg.threshold
    verifier = getattr(deps.cache, "verifier", None)
    return float(getattr(verifier, "cosine_threshold", COSINE_ONLY_THRESHOLD))


async def _semantic(
    deps: Deps,
    req: ParsedRequest,
    vec: np.ndarray,
    route: Route,
    out: Outcome,
) -> tuple[Any, float] | None:
    assert deps.cache is not None
    min_rank = route.rank if route.routed and not deps.settings.cache.serve_lower_tier else 0
    with out.stage(deps, "cache_semantic"):
        try:
            found = await deps.cache.lookup_async(
                req.scope, req.text, vec, _threshold(deps, req, route), min_tier_rank=min_rank
            )
        except Exception:
            deps.metrics.cache_errors.labels("lookup").inc()
            log.exception("semantic lookup failed; treated as a miss")
            return None
    if found.similarity is not None:
        deps.metrics.similarity.observe(found.similarity)
        out.similarity = found.similarity
    if found.result not in ("semantic", "miss"):
        out.cache = found.result  # the rejection's reason: metric label and log line
    if found.entry is None or not _fresh(found.entry, req):
        return None
    return found.entry, float(found.similarity)


async def _wait_flight(fut: Any, deps: Deps) -> Any:
    try:
        return await asyncio.wait_for(
            asyncio.shield(fut), timeout=deps.settings.tiers[-1].deployments[0].timeout_s
        )
    except TimeoutError:
        return None
