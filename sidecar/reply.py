"""Writing answers to the client: cached hits (the dialect's JSON or its replayed SSE events)
and upstream JSON bodies passed back as bytes."""

from __future__ import annotations

from aiohttp import web

from sidecar.billing import credit_hit
from sidecar.caching import Hit
from sidecar.deps import Deps
from sidecar.exchange import Exchange

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def serve_hit(x: Exchange, deps: Deps, hit: Hit) -> web.StreamResponse:
    """Serve a stored answer: as JSON, or replayed as SSE to a streaming client."""
    out = x.out
    out.cache, out.similarity = hit.layer, hit.similarity
    out.model, out.tier = hit.entry.model, hit.entry.tier or None
    deps.metrics.lookups.labels(hit.layer).inc()
    credit_hit(deps.metrics, hit.entry, deps.upstream.scorecard)
    if not x.req.stream:
        body = x.dialect.render(hit.entry.body, x.req)
        return json_response(body, 200, x.out.headers())
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **x.out.headers()})
    await resp.prepare(x.http)
    for event in x.dialect.replay(hit.entry.body, x.req):
        await resp.write(event)
    await resp.write_eof()
    return resp


def json_response(body: bytes, status: int, headers: dict[str, str]) -> web.Response:
    """A JSON body passed back as bytes (no re-serialization)."""
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")
