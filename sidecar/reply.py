"""Writing answers to the client: cached hits (the dialect's JSON or its replayed SSE events)
and upstream JSON bodies passed back as bytes.

A complete JSON answer is written at once (`send_now`) and the request's bookkeeping (billing,
the cache store, audits, metrics, the log line) runs after it, off the client's wait: aiohttp
sees the prepared response and does not send it again. The sent response is kept on the
request (`SENT`) so an error raised by that bookkeeping is logged instead of being answered
twice on the same connection.
"""

from __future__ import annotations

import asyncio

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
SENT = web.RequestKey("sent", web.StreamResponse)


async def serve_hit(x: Exchange, deps: Deps, hit: Hit) -> web.StreamResponse:
    """Serve a stored answer: as JSON, or replayed as SSE to a streaming client."""
    out = x.out
    out.cache, out.similarity = hit.layer, hit.similarity
    out.model, out.tier = hit.entry.model, hit.entry.tier or None
    if not x.req.stream:
        body = x.dialect.render(hit.entry.body, x.req)
        response = await send_now(x, json_response(body, 200, out.headers()))
        _count_hit(deps, hit)
        return response
    _count_hit(deps, hit)
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **out.headers()})
    await resp.prepare(x.http)
    for event in x.dialect.replay(hit.entry.body, x.req):
        await resp.write(event)
    await resp.write_eof()
    return resp


def _count_hit(deps: Deps, hit: Hit) -> None:
    deps.metrics.lookups.labels(hit.layer).inc()
    credit_hit(deps.metrics, hit.entry, deps.upstream.scorecard)


def json_response(body: bytes, status: int, headers: dict[str, str]) -> web.Response:
    """A JSON body passed back as bytes (no re-serialization)."""
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


async def send_now(x: Exchange, response: web.StreamResponse) -> web.StreamResponse:
    """Write `response` whole now, before the caller's bookkeeping; returns it for the handler.

    A client gone meanwhile is not an error here: the bookkeeping still runs (the answer was
    paid for and is stored, as when aiohttp wrote it after the handler) and aiohttp's own
    write of the returned response meets the closed connection as it always did.
    """
    x.http[SENT] = response
    if response.prepared:
        return response
    try:
        await response.prepare(x.http)
        await response.write_eof()
    except ConnectionResetError:
        pass
    except asyncio.CancelledError:
        # The client left while a large answer waited for the socket (aiohttp cancels the
        # handler): the bookkeeping after this is synchronous and still runs, as it did when
        # aiohttp wrote the answer after the handler returned; the task then ends normally.
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    return response
