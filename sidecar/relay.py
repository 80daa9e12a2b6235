"""Relaying an upstream stream to the client event by event, assembling it as it passes.

Events are written as they arrive (the dialect's reader may hold back an event the client did
not ask for). A stream that breaks after its first byte, or ends without completing (no
``[DONE]``, no finish), ends with the dialect's error event and is never stored;
only a complete stream yields an ``Answer`` for the store step. Closing the upstream response
at the end also cancels the upstream request when the client went away.
"""

from __future__ import annotations

import time

import aiohttp
import orjson
from aiohttp import web

from sidecar.billing import account
from sidecar.caching import Answer
from sidecar.deps import Deps
from sidecar.errors import UpstreamStreamError
from sidecar.exchange import Exchange
from sidecar.reply import SSE_HEADERS
from sidecar.sse import EventSplitter
from sidecar.target import ErrorKind, Reply
from sidecar.upstream_http import iter_chunks


async def relay(
    x: Exchange, deps: Deps, reply: Reply, stream: aiohttp.ClientResponse
) -> tuple[web.StreamResponse, Answer | None]:
    """Stream ``reply`` to the client; the assembled answer if the stream completed."""
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **x.out.headers()})
    splitter, reader = EventSplitter(), x.dialect.reader(x.req)
    started, first, broken = time.perf_counter(), None, False
    try:
        await resp.prepare(x.http)
        chunks = iter_chunks(stream)
        while True:
            t0 = time.perf_counter()
            try:
                data = await anext(chunks)
            except StopAsyncIteration:
                break
            except UpstreamStreamError as exc:
                await _broken(x, deps, reply, resp, exc.message)
                reader.fail()
                broken = True
                break
            finally:
                x.out.upstream_seconds += time.perf_counter() - t0
            first = first or time.perf_counter()
            for event in splitter.feed(data):
                if reader.feed(event):
                    await resp.write(event)
        if rest := splitter.rest():
            await resp.write(rest)
        if not reader.complete and not broken:
            # Closed cleanly but unfinished (no [DONE] / finish): the client must not take a
            # truncated answer for a whole one.
            await _broken(x, deps, reply, resp, "upstream stream ended before it was complete")
        await resp.write_eof()
    finally:
        reply.close()
    if not reader.complete:
        return resp, None
    ended = time.perf_counter()
    ttft = reply.ttfb + ((first or ended) - started)
    deps.upstream.scorecard.call(
        reply.target.label, ttft=ttft, latency=reply.ttfb + ended - started
    )
    parsed = reader.answer()
    usage = x.dialect.usage(parsed)
    failure = x.dialect.escalation(parsed, x.req)
    cost = account(deps.metrics, deps.upstream.scorecard, reply.target, usage, failure)
    return resp, Answer(orjson.dumps(parsed), parsed, reply.target, usage, cost)


async def _broken(
    x: Exchange, deps: Deps, reply: Reply, resp: web.StreamResponse, why: str
) -> None:
    """Count a broken stream and end it with the dialect's error event."""
    deps.upstream.scorecard.call(reply.target.label, error=ErrorKind.STREAM.value)
    deps.metrics.upstream_errors.labels(reply.target.label, ErrorKind.STREAM).inc()
    await resp.write(x.dialect.stream_error(UpstreamStreamError(why)))
