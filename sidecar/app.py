"""The aiohttp application: factory, routes, the edge middleware, and resource lifecycles.

``create_app(settings, ...)`` wires everything; each resource (upstream session, models and
cache, background tasks) is one ``cleanup_ctx`` entry. Injected parts (tests, benchmarks) are
used as given; missing ones are loaded in the background so ``/healthz`` answers at once and
``/readyz`` turns 200 when the model, classifier and index are loaded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from aiohttp import web, web_protocol
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from sidecar import response_routes, shadowing
from sidecar.audit_lifecycle import audit_ctx
from sidecar.audit_service import status_body
from sidecar.config import Settings
from sidecar.deps import Cache, Deps, Embedder, Router
from sidecar.dialect import Dialect
from sidecar.dialects import default_dialects, parse
from sidecar.errors import (
    BadRequest,
    HTTPError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    SidecarError,
)
from sidecar.exchange import Exchange
from sidecar.leaderboard import ScorecardCollector, scorecard_response
from sidecar.lifecycle import Injected, models_ctx, upstream_ctx
from sidecar.live import Live
from sidecar.metrics import Metrics, status_class
from sidecar.metrics_audit import AuditMetrics
from sidecar.outcome import Outcome
from sidecar.pipeline import handle
from sidecar.reply import SENT
from sidecar.target import Target
from sidecar.upstream import UpstreamClient

DEPS = web.AppKey("deps", Deps)
DIALECTS_BY_PATH = web.AppKey("dialects", dict[str, Dialect])
OUTCOME = web.RequestKey("outcome", Outcome)
PROMPT = web.RequestKey("prompt", str)
log = logging.getLogger("sidecar.access")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Bodies larger than this are parsed in a thread (a 4 MiB body takes ~20 ms of CPU to decode,
# validate and hash: too long for the event loop, which must answer /healthz meanwhile).
OFFLOAD_BYTES = 256 * 1024


def create_app(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    cache: Cache | None = None,
    router: Router | None = None,
    registry: CollectorRegistry | None = None,
    environ: Mapping[str, str] | None = None,
    dialects: Sequence[Dialect] | None = None,
) -> web.Application:
    """Build the sidecar app; pass fakes for ``embedder``/``cache``/``router`` in tests."""
    dialects = default_dialects() if dialects is None else dialects
    metrics = Metrics(registry or CollectorRegistry())
    metrics.prime(
        [Target(t.name, i, d).label for i, t in enumerate(settings.tiers) for d in t.deployments],
        [t.name for t in settings.tiers],
        [d.path for d in dialects],
        {d.model for t in settings.tiers for d in t.deployments},
    )
    environ = os.environ if environ is None else environ
    keys = {
        d.api_key_env: environ[d.api_key_env]
        for t in settings.tiers
        for d in t.deployments
        if d.api_key_env and environ.get(d.api_key_env)
    }
    deps = Deps(
        live=Live(settings),
        metrics=metrics,
        upstream=UpstreamClient(settings, metrics, keys),
        cache=cache,
        embedder=embedder,
        router=router,
    )
    app = web.Application(middlewares=[_edge], client_max_size=settings.server.max_body_bytes)
    app[DEPS] = deps
    app[DIALECTS_BY_PATH] = {d.path: d for d in dialects}
    for dialect in dialects:
        app.router.add_post(dialect.path, _proxy_for(dialect))
    response_routes.add_routes(app, dialects, deps)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/sidecar/cache/audit", _audit_status)
    app.router.add_get("/sidecar/scorecard", _scorecard)
    deps.evaluation = shadowing.build(settings, deps)
    metrics.registry.register(ScorecardCollector(deps.upstream.scorecard, deps.evaluation))
    app.cleanup_ctx.append(upstream_ctx(deps))
    app.cleanup_ctx.append(models_ctx(deps, Injected(embedder, cache, router)))
    app.cleanup_ctx.append(shadowing.evaluation_ctx(deps, deps.evaluation))
    # After models_ctx: torn down first, so audits stop before the cache snapshot is written.
    audit_metrics = AuditMetrics(metrics.registry)
    audit_metrics.watch(lambda: deps.auditor.controller if deps.auditor is not None else None)
    app.cleanup_ctx.append(audit_ctx(deps, audit_metrics))
    return app


@web.middleware
async def _edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, in-flight gauge, errors in the API's shape, request metrics, one log line."""
    deps = request.app[DEPS]
    rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    out = Outcome(request_id=rid, endpoint=request.path, observe=deps.metrics.observe_stage)
    dialect = request.app[DIALECTS_BY_PATH].get(request.path)
    request[OUTCOME] = out
    status = 499  # stays so if the client goes away and the handler is cancelled
    deps.metrics.inflight.inc()
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except Exception as exc:
        if SENT in request:
            # The answer is already on the wire (reply.send_now): a failure in the bookkeeping
            # after it is logged, never answered a second time on the same connection.
            sent = request[SENT]
            status = sent.status
            log.exception("error after the answer was sent", extra={"fields": {"request_id": rid}})
            return sent
        if isinstance(exc, SidecarError):
            status = exc.status
            return _error(exc, dialect, out)
        if isinstance(exc, web.HTTPException):
            status = exc.status
            return _error(_http_error(exc, request), dialect, out)
        status = 500
        log.exception("unhandled error", extra={"fields": {"request_id": rid}})
        return _error(SidecarError("internal error in the sidecar"), dialect, out)
    finally:
        deps.metrics.inflight.dec()
        _finish(request, deps, out, status)


def _http_error(exc: web.HTTPException, request: web.Request) -> SidecarError:
    """aiohttp's HTTP exceptions as the sidecar's own errors."""
    if exc.status == 404:
        return NotFound(f"unknown path {request.path}")
    if exc.status == 405:
        return MethodNotAllowed(f"method {request.method} not allowed on {request.path}")
    if exc.status == 413:
        limit = request.app[DEPS].settings.server.max_body_bytes
        return PayloadTooLarge(f"request body over the limit of {limit} bytes")
    return HTTPError(exc.status, exc.reason)


def _error(err: SidecarError, dialect: Dialect | None, out: Outcome) -> web.Response:
    """The error in the shape of the API the client called (OpenAI's outside the APIs)."""
    return web.Response(
        body=dialect.error_body(err) if dialect is not None else err.body(),
        status=err.status,
        content_type="application/json",
        headers={"X-Request-Id": out.request_id},
    )


def _finish(request: web.Request, deps: Deps, out: Outcome, status: int) -> None:
    """Request metrics and the access log line."""
    proxied = request.path in request.app[DIALECTS_BY_PATH]
    label = request.path if proxied or request.path == "/v1/models" else "other"
    resource = request.match_info.route.resource
    if resource is not None and resource.canonical.endswith("/{rid}"):
        label = resource.canonical  # GET/DELETE by id: the route, never the id itself
    deps.metrics.requests.labels(label, status_class(status)).inc()
    if not proxied:
        return
    total = time.perf_counter() - out.started
    deps.metrics.total.labels(out.cache).observe(total)
    deps.metrics.overhead.labels(out.cache).observe(max(0.0, total - out.upstream_seconds))
    deps.metrics.stage.labels("total").observe(total)
    if not log.isEnabledFor(logging.INFO):  # don't build the record nobody will write
        return
    prompt = None
    if deps.settings.server.log_prompts:
        prompt = request.get(PROMPT)
    log.info("request", extra={"fields": out.log_record(status, prompt=prompt)})


def _proxy_for(dialect: Dialect) -> Handler:
    """The POST handler of one dialect's path: parse, then the one pipeline."""

    async def proxy(request: web.Request) -> web.StreamResponse:
        deps, out = request.app[DEPS], request[OUTCOME]
        live = deps.live.current  # one view of the config for the whole request
        with out.stage("parse"):
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge as exc:
                limit = live.settings.server.max_body_bytes
                raise PayloadTooLarge(f"request body over the limit of {limit} bytes") from exc
            except web_protocol.RequestPayloadError as exc:  # e.g. "gzip" that is not gzip
                enc = request.headers.get("Content-Encoding", "")[:40]
                raise BadRequest(
                    f"could not decode the request body (Content-Encoding: {enc})"
                ) from exc
            if len(raw) > OFFLOAD_BYTES:  # decoding and hashing megabytes would stall the loop
                req = await asyncio.to_thread(
                    parse, dialect, raw, request.headers, live.settings.cache
                )
            else:
                req = parse(dialect, raw, request.headers, live.settings.cache)
        out.scope = req.scope
        request[PROMPT] = req.text
        try:
            return await handle(Exchange(request, dialect, req, live, out), deps)
        except ConnectionResetError:
            # The client went away mid-answer; nothing more to send.
            return request[SENT] if SENT in request else web.Response(status=499)

    return proxy


async def _models(request: web.Request) -> web.Response:
    settings = request.app[DEPS].settings
    seen: dict[str, str] = {settings.routing.alias: "llm-sidecar"}
    for tier in settings.tiers:
        for dep in tier.deployments:
            seen.setdefault(dep.model, f"llm-sidecar:{tier.name}")
    data = [
        {"id": m, "object": "model", "created": 0, "owned_by": owner} for m, owner in seen.items()
    ]
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
    )


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    ready = request.app[DEPS].readiness
    body: dict[str, Any] = {"ready": ready.ready, "parts": ready.parts, "draining": ready.draining}
    request.app[DEPS].metrics.ready.set(1 if ready.ready else 0)
    return web.json_response(body, status=200 if ready.ready else 503)


async def _audit_status(request: web.Request) -> web.Response:
    return web.json_response(status_body(request.app[DEPS]))


async def _scorecard(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    return scorecard_response(request.query, deps.upstream.scorecard, deps.evaluation)


async def _metrics(request: web.Request) -> web.Response:
    payload = await asyncio.to_thread(generate_latest, request.app[DEPS].metrics.registry)
    resp = web.Response(body=payload)
    resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return resp
