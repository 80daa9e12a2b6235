"""The request path's use of the cache: embed, exact and semantic lookups, and the store.

Every failure here degrades to a miss (or to not storing) with a ``cache_errors`` counter and
a log line, never a 5xx. A stored answer is served only while fresh for this request
(``Cache-Control: max-age``) and, for routed requests, only from its tier or above unless
``cache.serve_lower_tier``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cache.entry import Entry, LookupResult
from cache.text import cache_text
from sidecar.audit_service import admission, near_miss, serve_threshold
from sidecar.deps import Deps
from sidecar.dialect import Usage
from sidecar.exchange import Exchange
from sidecar.outcome import CacheResult
from sidecar.target import Target

log = logging.getLogger("sidecar.caching")
OFFLOAD_CHARS = 64 * 1024  # longer texts get their embedder input cut in a thread
# Without the verifier only a very high cosine is safe (QQP precision 0.86 at 0.95).
COSINE_ONLY_THRESHOLD = 0.95


@dataclass(frozen=True, slots=True)
class Hit:
    """A stored answer fit to serve, and how it was found."""

    entry: Entry
    layer: CacheResult
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete successful upstream answer: the candidate for the store step."""

    body: bytes
    parsed: dict[str, Any]
    target: Target
    usage: Usage | None
    cost_usd: float


def lookup_exact(x: Exchange, deps: Deps) -> Hit | None:
    """The entry stored for exactly this scope and text, if fresh."""
    if deps.cache is None:
        return None
    with x.out.stage("cache_exact"):
        try:
            entry = deps.cache.lookup_exact(x.req.scope, x.req.text)
        except Exception:
            deps.metrics.cache_errors.labels("lookup_exact").inc()
            log.exception("exact lookup failed; treated as a miss")
            return None
    return Hit(entry, CacheResult.EXACT) if entry is not None and _fresh(entry, x) else None


async def with_body(x: Exchange, deps: Deps, hit: Hit | None) -> Hit | None:
    """`hit` with its answer body: a cache keeping bodies only in Redis fetches it here.

    An entry without its body is never served: no shared tier, Redis down or the entry gone
    there all turn the hit into a miss (counted as ``cache_errors{op="body_fetch"}``).
    """
    if hit is None or hit.entry.body:
        return hit
    with x.out.stage("cache_body"):
        body = await deps.bodies.fetch_body(hit.entry) if deps.bodies is not None else None
    if not body:
        deps.metrics.cache_errors.labels("body_fetch").inc()
        return None
    return replace(hit, entry=replace(hit.entry, body=body))


async def embed(x: Exchange, deps: Deps) -> np.ndarray | None:
    """The vector of the request's cache text (None without an embedder or on failure)."""
    if deps.embedder is None:
        return None
    with x.out.stage("embed"):
        try:
            text = x.req.text
            # cache_text of a long prompt tokenizes windows of it: off the loop when long.
            short = len(text) <= OFFLOAD_CHARS
            read = cache_text(text) if short else await asyncio.to_thread(cache_text, text)
            return await deps.embedder.embed(read)
        except Exception:
            deps.metrics.cache_errors.labels("embed").inc()
            log.exception("embedding failed; semantic lookup skipped")
            return None


async def lookup_semantic(x: Exchange, deps: Deps, vec: np.ndarray) -> Hit | None:
    """The best verified neighbour in scope above the threshold, if fresh."""
    if deps.cache is None:
        return None
    serve_lower = x.settings.cache.serve_lower_tier
    min_rank = x.route.rank if x.route.routed and not serve_lower else 0
    with x.out.stage("cache_semantic"):
        try:
            # With a false-hit budget the audit's controller may search less deep.
            threshold = serve_threshold(deps, similarity_threshold(x, deps))
            # Long pairs are judged in a worker thread: the loop never stalls on a 4 MiB text.
            found = await deps.cache.lookup_async(
                x.req.scope, x.req.text, vec, threshold, min_tier_rank=min_rank
            )
        except Exception:
            deps.metrics.cache_errors.labels("lookup").inc()
            log.exception("semantic lookup failed; treated as a miss")
            return None
    if found.similarity is not None:
        deps.metrics.similarity.observe(found.similarity)
        x.out.similarity = found.similarity
    if found.result not in (LookupResult.SEMANTIC, LookupResult.MISS):
        x.out.cache = CacheResult(found.result.value)  # the reason: metric label and log line
    if found.entry is None:
        x.audit_candidate = await near_miss(deps, x.req, vec, threshold, found)
        return None
    if found.similarity is None or not _fresh(found.entry, x):
        return None
    decision = admission(deps, found)  # the false-hit budget's word on its cosine band
    if decision != "serve":
        unfunded = decision == "unfunded"
        x.out.cache = CacheResult.BUDGET_UNFUNDED if unfunded else CacheResult.BUDGET_REJECTED
        x.audit_candidate = await near_miss(deps, x.req, vec, threshold, found)
        return None
    return Hit(found.entry, CacheResult.SEMANTIC, found.similarity)


def similarity_threshold(x: Exchange, deps: Deps) -> float:
    """Request header, then per model, per tier, global; unset = the verifier's operating point."""
    cfg = x.settings.cache
    if x.req.policy.threshold is not None:
        return x.req.policy.threshold
    if x.req.model in cfg.threshold_by_model:
        return cfg.threshold_by_model[x.req.model]
    if x.route.tier in cfg.threshold_by_tier:
        return cfg.threshold_by_tier[x.route.tier]
    if cfg.threshold is not None:
        return cfg.threshold
    verifier = deps.cache.verifier if deps.cache is not None else None
    return COSINE_ONLY_THRESHOLD if verifier is None else verifier.cosine_threshold


def count_miss(x: Exchange, deps: Deps) -> None:
    """Record the lookup result of a request that goes upstream (a miss or a bypass)."""
    if not x.req.policy.lookup:
        x.out.cache = CacheResult.BYPASS
    deps.metrics.lookups.labels(x.out.cache).inc()


def store(x: Exchange, deps: Deps, answer: Answer | None) -> Entry | None:
    """Keep a complete answer if the policy, its size and its dialect allow; else None."""
    cfg = x.settings.cache
    if (
        answer is None
        or deps.cache is None
        or not x.req.policy.store
        or len(answer.body) > cfg.max_cached_body_bytes
        or not x.dialect.cacheable(answer.parsed)
    ):
        return None
    usage = answer.usage or Usage()
    try:
        return deps.cache.put(
            x.req.scope,
            x.req.text,
            x.vec if x.req.policy.semantic else None,
            body=answer.body,
            model=answer.target.deployment.model,
            tier=answer.target.tier,
            tier_rank=answer.target.tier_rank,
            ttl=x.req.policy.max_age or cfg.ttl_s,
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            cost_usd=answer.cost_usd,
        )
    except Exception:
        deps.metrics.cache_errors.labels("put").inc()
        log.exception("cache store failed; answer served, not cached")
        return None


def _fresh(entry: Entry, x: Exchange) -> bool:
    max_age = x.req.policy.max_age
    return max_age is None or time.time() - entry.created <= max_age
