"""Relaying an upstream stream to the client event by event, assembling it as it passes.

Events are written as they arrive (the dialect's reader may hold back an event the client did
not ask for). A stream that breaks after its first byte ends with the dialect's error event;
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
from sidecar.upstream import iter_chunks


async def relay(
    x: Exchange, deps: Deps, reply: Reply, stream: aiohttp.ClientResponse
) -> tuple[web.StreamResponse, Answer | None]:
    """Stream ``reply`` to the client; the assembled answer if the stream completed."""
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **x.out.headers()})
    splitter, reader = EventSplitter(), x.dialect.reader(x.req)
    started, first = time.perf_counter(), None
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
                reader.fail()
                deps.upstream.scorecard.call(reply.target.label, error=ErrorKind.STREAM.value)
                deps.metrics.upstream_errors.labels(reply.target.label, ErrorKind.STREAM).inc()
                await resp.write(x.dialect.stream_error(exc))
                break
            finally:
                x.out.upstream_seconds += time.perf_counter() - t0
            first = first or time.perf_counter()
            for event in splitter.feed(data):
                if reader.feed(event):
                    await resp.write(event)
        if rest := splitter.rest():
            await resp.write(rest)
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
