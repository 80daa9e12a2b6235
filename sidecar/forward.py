"""A miss goes upstream: send to the planned targets, cascade once if the answer fails its
check, and answer the client (JSON here, streams in ``sidecar.relay``; a JSON answer to a stream
request is replayed as events). Returns the response and the complete answer (if any) for the
pipeline's store step.
"""

from __future__ import annotations

from aiohttp import web

from sidecar.billing import account
from sidecar.caching import Answer
from sidecar.cascade import cascade
from sidecar.confidence import adds_logprobs, strip_body
from sidecar.deps import Deps
from sidecar.dispatch import parse_answer, plan, send
from sidecar.exchange import Exchange
from sidecar.relay import relay
from sidecar.reply import SSE_HEADERS, json_response, send_now
from sidecar.target import Reply


async def forward(x: Exchange, deps: Deps) -> tuple[web.StreamResponse, Answer | None]:
    """Send the miss upstream and answer the client; returns (response, answer or None)."""
    reply = await send(x, deps, plan(x, deps))
    if reply.stream is not None:
        return await relay(x, deps, reply, reply.stream)
    reply = await cascade(x, deps, reply)
    if reply.body and reply.status == 200 and adds_logprobs(x, reply.target.tier_rank):
        reply.body = strip_body(reply.body)  # the client never asked for them
    if x.req.stream and reply.status == 200:
        return await _as_stream(x, deps, reply)  # a JSON answer to a stream request
    body = reply.body or b""
    headers = {
        **{k: v for k, v in reply.headers.items() if k.lower() != "content-type"},
        **x.out.headers(),
    }
    # The client gets its answer before billing and the store step run.
    response = await send_now(x, json_response(body, reply.status, headers))
    return response, _answer(x, deps, reply)


def _answer(x: Exchange, deps: Deps, reply: Reply) -> Answer | None:
    """Account a 200 answer; the answer for the store step (None for errors)."""
    parsed = parse_answer(reply)
    if parsed is None:
        return None
    usage = x.dialect.usage(parsed)
    failure = x.dialect.escalation(parsed, x.req)
    cost = account(deps.metrics, deps.upstream.scorecard, reply.target, usage, failure)
    return Answer(reply.body or b"", parsed, reply.target, usage, cost)


async def _as_stream(
    x: Exchange, deps: Deps, reply: Reply
) -> tuple[web.StreamResponse, Answer | None]:
    """Some servers answer ``stream: true`` with plain JSON: replay it as the dialect's events."""
    answer = _answer(x, deps, reply)
    resp = web.StreamResponse(status=200, headers={**SSE_HEADERS, **x.out.headers()})
    await resp.prepare(x.http)
    for event in x.dialect.replay(reply.body or b"{}", x.req):
        await resp.write(event)
    await resp.write_eof()
    return resp, answer
