"""Writing answers to the client: cached hits (JSON or replayed SSE) and upstream JSON bodies."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from sidecar.deps import Deps
from sidecar.outcome import Outcome
from sidecar.request import ParsedRequest
from sidecar.sse import replay

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def deliver_hit(
    http: web.Request,
    req: ParsedRequest,
    entry: Any,
    layer: str,
    similarity: float | None,
    deps: Deps,
    out: Outcome,
) -> web.StreamResponse:
    """Serve a stored answer: as stored JSON, or replayed as SSE to a streaming client."""
    out.cache, out.similarity = layer, similarity
    out.model, out.tier = entry.model, entry.tier or None
    deps.metrics.lookups.labels(layer).inc()
    deps.metrics.saved.labels(entry.model).inc(entry.cost_usd)
    if not req.stream:
        return web.Response(
            body=entry.body, status=200, headers=out.headers(), content_type="application/json"
        )
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **out.headers()})
    await resp.prepare(http)
    for event in replay(orjson.loads(entry.body), include_usage=req.include_usage):
        await resp.write(event)
    await resp.write_eof()
    return resp


def json_response(body: bytes, status: int, headers: dict[str, str]) -> web.Response:
    """A JSON body passed back as bytes (no re-serialization)."""
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")
