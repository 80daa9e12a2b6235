"""A miss goes upstream: pick targets, send, cascade once if a cheap answer fails its check,
relay (JSON or SSE chunk by chunk), account tokens and dollars, store the answer if cacheable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from aiohttp import web

from classifier.escalation import escalation_reason
from sidecar.deps import Deps
from sidecar.errors import UpstreamStreamError
from sidecar.outcome import Outcome
from sidecar.reply import SSE_HEADERS, json_response
from sidecar.request import ParsedRequest
from sidecar.sse import Assembler, EventSplitter, event_data
from sidecar.upstream import Reply, Target, iter_chunks

if TYPE_CHECKING:
    from sidecar.pipeline import Route

log = logging.getLogger("sidecar.forward")
CACHEABLE_FINISH = frozenset({"stop", "length", "tool_calls", "function_call"})
PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}


async def forward(
    http: web.Request,
    req: ParsedRequest,
    deps: Deps,
    route: Route,
    vec: np.ndarray | None,
    text: str,
    out: Outcome,
) -> tuple[web.StreamResponse, Any]:
    """Send a miss upstream and answer the client; returns (response, stored entry or None)."""
    if not req.policy.lookup:
        out.cache = "bypass"
    deps.metrics.lookups.labels(out.cache).inc()
    targets, keep_model = _targets(deps, req, route)
    reply = await _send(deps, req, targets, keep_model, http, out)
    if reply.stream is not None:
        return await _relay(http, req, deps, reply, vec, text, out)
    reply = await _cascade(deps, req, route, reply, http, out)
    answer = _answer(reply)
    stored = None
    if answer is not None:
        usage = _account(deps, reply.target, answer.get("usage"))
        assert reply.body is not None
        stored = _store(deps, req, text, vec, reply.target, reply.body, answer, usage)
    headers = {
        **{k: v for k, v in reply.headers.items() if k.lower() != "content-type"},
        **out.headers(),
    }
    return json_response(reply.body or b"", reply.status, headers), stored


def _targets(deps: Deps, req: ParsedRequest, route: Route) -> tuple[list[Target], bool]:
    """Targets in try order, and whether the client's model name is kept as is."""
    up = deps.upstream
    if route.routed:
        return up.targets(route.rank), False
    if up.model_for(req.model):
        return up.targets(0, model=req.model), False
    # A model the config does not know goes to the default tier's deployments unchanged.
    default = deps.settings.tier_rank(deps.settings.routing.default_tier)
    return [t for t in up.targets(default) if t.tier_rank == default], True


def _body_for(req: ParsedRequest, keep_model: bool) -> Callable[[Target], bytes]:
    body = dict(req.body)
    if req.stream and req.endpoint == "chat":
        # Ask for usage so spend is accounted; the extra chunk is dropped if the client didn't.
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}

    def render(target: Target) -> bytes:
        model = req.model if keep_model else target.deployment.model
        return orjson.dumps({**body, "model": model})

    return render


async def _send(
    deps: Deps,
    req: ParsedRequest,
    targets: list[Target],
    keep_model: bool,
    http: web.Request,
    out: Outcome,
) -> Reply:
    t0 = time.perf_counter()
    try:
        reply = await deps.upstream.send(
            PATHS[req.endpoint],
            _body_for(req, keep_model),
            http.headers,
            targets,
            stream=req.stream,
        )
    finally:
        out.upstream_seconds += time.perf_counter() - t0
    out.upstream_status = reply.status
    out.tier, out.model = reply.target.tier or None, reply.target.deployment.model
    if keep_model:
        out.model = req.model
    return reply


async def _cascade(
    deps: Deps, req: ParsedRequest, route: Route, reply: Reply, http: web.Request, out: Outcome
) -> Reply:
    """Ask the next tier once when a cheap tier's answer fails the cheap check."""
    tiers = deps.settings.tiers
    rank = reply.target.tier_rank
    if not (
        route.routed
        and reply.status == 200
        and rank + 1 < len(tiers)
        and tiers[rank].escalate
        and req.endpoint != "embeddings"
    ):
        return reply
    answer = _answer(reply)
    reason = escalation_reason(answer, wants_json=req.wants_json) if answer else None
    if reason is None:
        return reply
    _account(deps, reply.target, answer.get("usage") if answer else None)  # spent all the same
    deps.metrics.escalations.labels(reply.target.tier, reason).inc()
    higher = deps.upstream.targets(rank + 1)
    try:
        better = await _send(deps, req, higher, False, http, out)
    except Exception as exc:
        log.warning("escalation from %s failed (%s); first answer kept", reply.target.tier, exc)
        out.tier, out.model = reply.target.tier, reply.target.deployment.model
        return reply
    if better.status != 200:
        out.tier, out.model = reply.target.tier, reply.target.deployment.model
        return reply
    out.escalated = reason
    return better


def _answer(reply: Reply) -> dict[str, Any] | None:
    """The parsed 200 body, or None (errors and non-JSON bodies are never cached)."""
    if reply.status != 200 or not reply.body:
        return None
    try:
        answer = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None


def _account(deps: Deps, target: Target, usage: Any) -> tuple[int, int, float]:
    """Record tokens and USD for one upstream answer; returns (in, out, usd)."""
    if not isinstance(usage, dict):
        return 0, 0, 0.0
    p_in = int(usage.get("prompt_tokens") or 0)
    p_out = int(usage.get("completion_tokens") or 0)
    usd = target.deployment.cost_usd(p_in, p_out)
    model = target.deployment.model
    deps.metrics.tokens.labels(model, "in").inc(p_in)
    deps.metrics.tokens.labels(model, "out").inc(p_out)
    deps.metrics.spend.labels(model).inc(usd)
    return p_in, p_out, usd


def _cacheable(req: ParsedRequest, answer: dict[str, Any]) -> bool:
    if req.endpoint == "embeddings":
        return bool(answer.get("data"))
    choices = answer.get("choices")
    return bool(choices) and all(
        isinstance(c, dict) and c.get("finish_reason") in CACHEABLE_FINISH for c in choices
    )


def _store(
    deps: Deps,
    req: ParsedRequest,
    text: str,
    vec: np.ndarray | None,
    target: Target,
    body: bytes,
    answer: dict[str, Any],
    usage: tuple[int, int, float],
) -> Any:
    cfg = deps.settings.cache
    if (
        deps.cache is None
        or not req.policy.store
        or len(body) > cfg.max_cached_body_bytes
        or not _cacheable(req, answer)
    ):
        return None
    ttl = req.policy.max_age or cfg.ttl_s
    try:
        return deps.cache.put(
            req.scope,
            text,
            vec if req.policy.semantic else None,
            body=body,
            model=target.deployment.model,
            tier=target.tier,
            tier_rank=target.tier_rank,
            ttl=ttl,
            prompt_tokens=usage[0],
            completion_tokens=usage[1],
            cost_usd=usage[2],
        )
    except Exception:
        deps.metrics.cache_errors.labels("put").inc()
        log.exception("cache store failed; answer served, not cached")
        return None


async def _relay(
    http: web.Request,
    req: ParsedRequest,
    deps: Deps,
    reply: Reply,
    vec: np.ndarray | None,
    text: str,
    out: Outcome,
) -> tuple[web.StreamResponse, Any]:
    """Relay SSE event by event as it arrives; store the assembled answer if it completed."""
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **out.headers()})
    splitter, asm = EventSplitter(), Assembler()
    strip_usage = req.endpoint == "chat" and not req.include_usage
    try:
        await resp.prepare(http)
        chunks = iter_chunks(reply)
        while True:
            t0 = time.perf_counter()
            try:
                data = await anext(chunks)
            except StopAsyncIteration:
                break
            except UpstreamStreamError as exc:
                asm.failed = True
                deps.metrics.upstream_errors.labels(reply.target.label, "stream").inc()
                await resp.write(b"data: " + exc.body() + b"\n\n")
                break
            finally:
                out.upstream_seconds += time.perf_counter() - t0
            for event in splitter.feed(data):
                payload = event_data(event)
                chunk = asm.add(payload) if payload is not None else None
                if strip_usage and chunk is not None and not chunk.get("choices"):
                    continue
                await resp.write(event)
        if rest := splitter.rest():
            await resp.write(rest)
        await resp.write_eof()
    finally:
        reply.release()  # also cancels the upstream request when the client went away
    if not asm.complete:
        return resp, None
    answer = asm.result(chat=req.endpoint == "chat")
    usage = _account(deps, reply.target, asm.usage)
    return resp, _store(deps, req, text, vec, reply.target, orjson.dumps(answer), answer, usage)
